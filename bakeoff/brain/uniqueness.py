"""``compute_uniqueness``: how unlike the rest of the collection each image is (FiftyOne's function).

A sample's uniqueness is the weighted mean cosine distance to its three nearest other samples
(weights 0.6, 0.3, 0.1: the nearest counts most, so one near-copy is enough to lower it),
divided by the largest such value in the collection: in [0, 1], 1 for the most unusual image,
near 0 for an image with close copies. As in FiftyOne, the scores are relative to the
collection they were computed on.

Example::

    fob.compute_uniqueness(dataset, model="clip-vit-base32-torch")
    dataset.sort_by("uniqueness", reverse=True).limit(25)     # the most unusual images first
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.brain import embeddings as emb
from bakeoff.brain import runs
from bakeoff.brain.results import write_float_field
from bakeoff.brain.search import build_search, choose_backend
from bakeoff.brain.similarity import check_new_key
from bakeoff.errors import BrainError

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

TYPE = "uniqueness"
WEIGHTS = np.array([0.6, 0.3, 0.1], dtype=np.float64)


def uniqueness_scores(vectors: np.ndarray, backend: str = "exact") -> np.ndarray:
    """Uniqueness in [0, 1] of each unit row of ``vectors`` (1.0 for a lone vector)."""
    n = len(vectors)
    if n < 2:
        return np.ones(n)
    _, sims = build_search(vectors, backend).neighbors(len(WEIGHTS))
    dists = np.clip(1.0 - sims.astype(np.float64), 0.0, 2.0)
    weights = WEIGHTS[: dists.shape[1]] / WEIGHTS[: dists.shape[1]].sum()
    raw = dists @ weights
    top = raw.max()
    return raw / top if top > 0 else np.zeros(n)


def compute_uniqueness(samples: SampleCollection, uniqueness_field: str = "uniqueness", embeddings: Any = None,
                       similarity_index: Any = None, model: Any = None, model_kwargs: dict[str, Any] | None = None,
                       batch_size: int | None = None, num_workers: int | None = None, skip_failures: bool = True,
                       progress: Any = None, backend: str | None = None) -> None:
    """Store each sample's uniqueness (see the module) in the float field ``uniqueness_field``; the run is saved
    under that name as its brain key. Samples without an embedding get None.

    Example::

        fob.compute_uniqueness(dataset, model="demo-clip")
        dataset.bounds("uniqueness")      # (0.0..., 1.0)
    """
    from bakeoff.storage.identifiers import check_field_name

    check_field_name(uniqueness_field)
    dataset = runs.root_of(samples)
    check_new_key(dataset, uniqueness_field, TYPE)
    if len(samples) == 0:
        raise BrainError("compute_uniqueness() got an empty collection")
    found = emb.resolve(samples, model=model, embeddings=embeddings, model_kwargs=model_kwargs,
                        similarity_index=similarity_index, batch_size=batch_size, num_workers=num_workers,
                        skip_failures=skip_failures, progress=progress)
    chosen = choose_backend(backend, len(found.ids))
    scores = uniqueness_scores(found.vectors, chosen)
    config = {"type": TYPE, "method": "nearest-neighbors", "backend": chosen, "metric": "cosine",
              "fields": [uniqueness_field], "embeddings": found.source, "view": runs.view_stages(samples)}
    with runs.transaction(samples):  # the scores and the run's record: both or neither
        write_float_field(samples, uniqueness_field, found.ids + found.missing,
                          scores.tolist() + [None] * len(found.missing))
        runs.save_record(dataset, uniqueness_field, config, {"num_samples": len(found.ids),
                                                             "missing_size": len(found.missing)})
