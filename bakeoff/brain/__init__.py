"""bakeoff's brain: put the cached image embeddings to work, with FiftyOne Brain's names.

Example::

    import bakeoff.brain as fob

    index = fob.compute_similarity(dataset, model="clip-vit-base32-torch", brain_key="clip_sim")
    view = fob.sort_by_similarity(dataset, "a dog on a beach", k=25, brain_key="clip_sim")
    fob.compute_visualization(dataset, model="clip-vit-base32-torch", method="umap", brain_key="clip_umap")
    fob.compute_uniqueness(dataset, model="clip-vit-base32-torch")
    dups = fob.compute_near_duplicates(dataset, threshold=0.05, model="clip-vit-base32-torch")
    fob.compute_mistakenness(dataset, "clip", label_field="ground_truth")
    fob.list_brain_runs(dataset)

Every embedding comes from bakeoff's embedding cache: an image is encoded once per model,
whichever of these (or ``apply_model``) asked first. UMAP and the approximate similarity
backend need ``pip install 'bakeoff[brain]'`` (umap-learn, faiss-cpu); the rest needs nothing more.
"""

from bakeoff.brain.duplicates import DuplicatePair, compute_exact_duplicates, compute_near_duplicates
from bakeoff.brain.management import (
    delete_brain_run,
    delete_brain_runs,
    get_brain_info,
    has_brain_run,
    list_brain_runs,
    load_brain_results,
    load_brain_view,
    rename_brain_run,
)
from bakeoff.brain.mistakenness import compute_mistakenness
from bakeoff.brain.prompt_lab import PromptLab, PromptLabResult
from bakeoff.brain.similarity import SimilarityIndex, compute_similarity, sort_by_similarity
from bakeoff.brain.uniqueness import compute_uniqueness
from bakeoff.brain.visualization import VisualizationResults, compute_visualization

__all__ = [
    "DuplicatePair", "PromptLab", "PromptLabResult", "SimilarityIndex", "VisualizationResults", "compute_exact_duplicates", "compute_mistakenness",
    "compute_near_duplicates", "compute_similarity", "compute_uniqueness", "compute_visualization",
    "delete_brain_run", "delete_brain_runs", "get_brain_info", "has_brain_run", "list_brain_runs",
    "load_brain_results", "load_brain_view", "rename_brain_run", "sort_by_similarity",
]
