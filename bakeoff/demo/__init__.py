"""bakeoff's demo: synthetic labelled images that need no download (and, later, models trained on them)."""

from bakeoff.demo.shapes import COLORS, SHAPES, ShapeSpec, captions_for, class_names, render, write_dataset

__all__ = ["COLORS", "SHAPES", "ShapeSpec", "captions_for", "class_names", "render", "write_dataset"]
