"""Applying zero-shot models to datasets: the batch engine, its options and the embedding cache."""

from bakeoff.inference.decode import ImageDecodeError, load_image, to_rgb
from bakeoff.inference.options import RunOptions
from bakeoff.inference.pipeline import Summary, compute_embeddings, run

__all__ = ["ImageDecodeError", "RunOptions", "Summary", "compute_embeddings", "load_image", "run", "to_rgb"]
