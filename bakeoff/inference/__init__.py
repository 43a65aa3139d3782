"""Applying zero-shot models to datasets: the batch engine, its options and the embedding cache."""

from bakeoff.inference.options import RunOptions
from bakeoff.inference.pipeline import Summary, compute_embeddings, run
from bakeoff.media.decode import ImageDecodeError, load_image, to_rgb

__all__ = ["ImageDecodeError", "RunOptions", "Summary", "compute_embeddings", "load_image", "run", "to_rgb"]
