"""Brain runs as FiftyOne manages them: list, inspect, load, rename and delete, by brain key.

Each function takes the dataset first (``fob.list_brain_runs(dataset)``); the dataset's methods
of the same names (``dataset.list_brain_runs()``) call these.

Example::

    fob.list_brain_runs(dataset)                      # ['clip_sim', 'clip_umap', 'uniqueness']
    fob.list_brain_runs(dataset, type="similarity")   # ['clip_sim']
    fob.get_brain_info(dataset, "clip_sim")["config"]["embeddings"]
    index = fob.load_brain_results(dataset, "clip_sim")
    fob.rename_brain_run(dataset, "clip_sim", "sim")
    fob.delete_brain_run(dataset, "sim")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bakeoff.brain import runs
from bakeoff.brain.results import forget
from bakeoff.errors import BrainError, InvalidOptionError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

#: the run types, by the function that makes them
TYPES = ("similarity", "duplicates", "visualization", "uniqueness", "mistakenness")


def list_brain_runs(dataset: SampleCollection, type: str | None = None, method: str | None = None) -> list[str]:  # noqa: A002
    """The brain keys of the dataset, oldest first; ``type`` (e.g. ``"similarity"``) and ``method`` filter them."""
    if type is not None and type not in TYPES:
        raise InvalidOptionError(f"unknown brain run type {brief(type)}: use one of {list(TYPES)}")
    out = []
    for record in runs.list_records(runs.root_of(dataset)):
        config = record["config"] or {}
        if (type is None or config.get("type") == type) and (method is None or config.get("method") == method):
            out.append(record["key"])
    return out


def has_brain_run(dataset: SampleCollection, brain_key: str) -> bool:
    return runs.has_record(runs.root_of(dataset), brain_key)


def get_brain_info(dataset: SampleCollection, brain_key: str) -> dict[str, Any]:
    """``key``, ``type``, ``method``, ``timestamp``, ``version``, ``config`` and ``results`` (counts) of a run."""
    record = runs.load_record(runs.root_of(dataset), brain_key)
    config = record["config"] or {}
    return {"key": brain_key, "type": config.get("type"), "method": config.get("method"),
            "timestamp": record["updated_at"], "version": config.get("version"), "config": config,
            "results": record["results"] or {}}


def load_brain_results(dataset: SampleCollection, brain_key: str, model: Any = None) -> Any:
    """The results of a run: a similarity index (``compute_similarity``, ``compute_near_duplicates``), a
    visualization, or None for runs that only wrote a field (uniqueness, mistakenness), as FiftyOne.

    Similarity indexes come back from the embedding cache (never stored twice) and are kept in
    this process until the run is written again. ``model``: the model to encode text queries
    (and samples the cache lacks) with, when the run was made with a model object rather than
    a zoo name.
    """
    root = runs.root_of(dataset)
    kind = get_brain_info(root, brain_key)["type"]
    if kind in ("similarity", "duplicates"):
        from bakeoff.brain.similarity import load_similarity_index

        return load_similarity_index(root, brain_key, model=model, types=(kind,))
    if kind == "visualization":
        from bakeoff.brain.visualization import load_visualization

        return load_visualization(root, brain_key)
    return None


def load_brain_view(dataset: SampleCollection, brain_key: str) -> SampleCollection:
    """The view the run was computed on (the dataset itself when it ran on the whole dataset)."""
    root = runs.root_of(dataset)
    config = get_brain_info(root, brain_key)["config"]
    return runs.view_from_stages(root, config.get("view") or [])


def rename_brain_run(dataset: SampleCollection, brain_key: str, new_brain_key: str) -> None:
    """Give a run another key (the fields it wrote keep their names)."""
    root = runs.root_of(dataset)
    runs.load_record(root, brain_key)
    runs.check_brain_key(new_brain_key)
    if runs.has_record(root, new_brain_key):
        raise BrainError(f"cannot rename brain run {brain_key!r} to {new_brain_key!r}: that key is taken")
    forget(root, brain_key)
    runs.rename_record(root, brain_key, new_brain_key)


def delete_brain_run(dataset: SampleCollection, brain_key: str) -> None:
    """Delete a run, and the fields it wrote (uniqueness, mistakenness, points), as FiftyOne does."""
    root = runs.root_of(dataset)
    config = runs.load_record(root, brain_key)["config"] or {}
    forget(root, brain_key)
    with runs.transaction(root):
        for field in config.get("fields") or []:
            if root.has_field(field):
                root.delete_sample_field(field)
        runs.delete_record(root, brain_key)


def delete_brain_runs(dataset: SampleCollection) -> None:
    """Delete every brain run of the dataset (and the fields they wrote)."""
    for key in list_brain_runs(dataset):
        delete_brain_run(dataset, key)
