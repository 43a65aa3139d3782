"""bakeoff's demo: synthetic labelled images that need no download, and the small models trained on them.

A data package low in the layers (the zoo's ``demo-shapes`` dataset is generated from it); the
``bakeoff demo`` run that uses it all lives in :mod:`bakeoff.cli.demo_run`.
"""

from bakeoff.demo.shapes import COLORS, SHAPES, ShapeSpec, captions_for, class_names, render, write_dataset
from bakeoff.demo.shipped import DEMO_MODELS, available_models

__all__ = ["COLORS", "DEMO_MODELS", "SHAPES", "ShapeSpec", "available_models", "captions_for", "class_names",
           "render", "write_dataset"]
