"""Applying zero-shot models to datasets: the streaming pipeline and the embedding cache."""

from bakeoff.inference.decode import ImageDecodeError, load_image, to_rgb
from bakeoff.inference.pipeline import Summary, compute_embeddings, run

__all__ = ["ImageDecodeError", "Summary", "compute_embeddings", "load_image", "run", "to_rgb"]
