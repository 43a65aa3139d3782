"""``compute_visualization``: a 2-D (or n-D) map of the images from their embeddings (FiftyOne's function).

Methods: ``"umap"`` (umap-learn, the default as in FiftyOne; ``pip install 'bakeoff[brain]'``),
``"pca"`` and ``"tsne"`` (scikit-learn), and ``"manual"`` for ``points=`` computed elsewhere.
Extra keyword arguments go to the method's estimator (``n_neighbors=``, ``min_dist=`` for UMAP,
``perplexity=`` for t-SNE). ``seed`` makes the map reproducible (UMAP then runs on one thread).

The points are saved with the run (``brain_key``) as a compact float32 array, with the sample
ids, and optionally in a vector field (``points_field``) on the samples.

Example::

    results = fob.compute_visualization(dataset, model="clip-vit-base32-torch", method="umap",
                                        brain_key="clip_umap", seed=51)
    results.points.shape           # (1000, 2)
    results.sample_ids[:3]
"""

from __future__ import annotations

import importlib
import logging
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.brain import embeddings as emb
from bakeoff.brain import runs
from bakeoff.brain.results import BrainResults, cached
from bakeoff.brain.similarity import check_new_key
from bakeoff.errors import BrainError, InvalidOptionError, MissingDependencyError, UnknownOptionError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset

logger = logging.getLogger(__name__)

TYPE = "visualization"
METHODS = ("umap", "pca", "tsne", "manual")
DEFAULT_METHOD = "umap"


class VisualizationResults(BrainResults):
    """The points of a visualization, one row per sample of :attr:`sample_ids` (FiftyOne's ``VisualizationResults``).

    :attr:`current_points` and :attr:`current_sample_ids` follow :meth:`use_view` (the points of the
    samples of that view, in this run's order).
    """

    def __init__(self, samples: SampleCollection, config: dict[str, Any], sample_ids: list[str], points: np.ndarray,
                 key: str | None = None) -> None:
        super().__init__(samples, config, key)
        self.sample_ids = list(sample_ids)
        self.points = np.asarray(points, dtype=np.float32)

    @property
    def method(self) -> str:
        return str(self.config.get("method"))

    @property
    def index_size(self) -> int:
        return len(self.sample_ids)

    @property
    def current_sample_ids(self) -> list[str]:
        return [self.sample_ids[i] for i in self._current_rows()]

    @property
    def current_points(self) -> np.ndarray:
        return self.points[self._current_rows()]

    def _current_rows(self) -> list[int]:
        if not self.has_view:
            return list(range(len(self.sample_ids)))
        present = set(self.view.values("id"))
        return [i for i, sample_id in enumerate(self.sample_ids) if sample_id in present]


def reduce(vectors: np.ndarray, method: str, num_dims: int = 2, seed: int | None = None, **kwargs: Any) -> np.ndarray:
    """``[n, num_dims]`` float32 points for ``[n, d]`` unit vectors by ``method`` ("umap", "pca" or "tsne")."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, num_dims), np.float32)
    if n <= num_dims + 2 and method != "pca":  # too few points for a neighbour graph: a linear map still works
        logger.info("%d samples: PCA instead of %s", n, method)
        method, kwargs = "pca", {}
    try:
        if method == "pca":
            points = _pca(vectors, num_dims, seed, **kwargs)
        elif method == "tsne":
            points = _tsne(vectors, num_dims, seed, **kwargs)
        else:
            points = _umap(vectors, num_dims, seed, **kwargs)
    except TypeError as error:
        if "unexpected keyword" in str(error):
            raise UnknownOptionError(f"compute_visualization(method={method!r}): {error}") from None
        raise
    return np.ascontiguousarray(points, dtype=np.float32)


def _pca(vectors: np.ndarray, num_dims: int, seed: int | None, **kwargs: Any) -> np.ndarray:
    from sklearn.decomposition import PCA

    components = min(num_dims, *vectors.shape)
    points = PCA(n_components=components, random_state=seed, **kwargs).fit_transform(vectors)
    return np.pad(points, ((0, 0), (0, num_dims - components)))


def _tsne(vectors: np.ndarray, num_dims: int, seed: int | None, **kwargs: Any) -> np.ndarray:
    from sklearn.manifold import TSNE

    options = {"perplexity": min(30.0, (len(vectors) - 1) / 3), "init": "pca", "metric": "cosine",
               "method": "barnes_hut" if num_dims < 4 else "exact", **kwargs}
    return TSNE(n_components=num_dims, random_state=seed, **options).fit_transform(vectors)


def _umap(vectors: np.ndarray, num_dims: int, seed: int | None, **kwargs: Any) -> np.ndarray:
    try:
        umap = importlib.import_module("umap")  # untyped, and an optional extra
    except ImportError:
        raise MissingDependencyError("method='umap' needs umap-learn: pip install umap-learn (or pip install "
                                     "'bakeoff[brain]'), or use method='pca' or 'tsne'") from None
    options = {"n_neighbors": min(15, len(vectors) - 1), "metric": "cosine", **kwargs}
    if len(vectors) < 4 * options["n_neighbors"]:
        options.setdefault("init", "random")  # the spectral start needs a connected graph of enough points
    with warnings.catch_warnings():  # "n_jobs value 1 overridden to 1 by setting random_state": expected
        warnings.simplefilter("ignore", UserWarning)
        return umap.UMAP(n_components=num_dims, random_state=seed, **options).fit_transform(vectors)


def _check_points(samples: SampleCollection, points: Any, num_dims: int) -> tuple[list[str], np.ndarray]:
    ids = samples.values("id")
    if isinstance(points, Mapping):
        have = [i for i in ids if i in points]
        points = [points[i] for i in have]
        ids = have
    try:
        array = np.asarray(points, dtype=np.float32)
    except (TypeError, ValueError):
        raise BrainError("points= must be numbers: an [n, num_dims] array or {sample_id: point}") from None
    if array.ndim != 2 or array.shape != (len(ids), num_dims) or not np.all(np.isfinite(array)):
        raise BrainError(f"points= has shape {array.shape}; pass finite points of shape ({len(ids)}, {num_dims}), "
                         "one per sample in collection order (or a dict {sample_id: point})")
    return ids, array


def compute_visualization(samples: SampleCollection, embeddings: Any = None, points: Any = None,
                          points_field: str | None = None, brain_key: str | None = None, num_dims: int = 2,
                          method: str | None = None, similarity_index: Any = None, model: Any = None,
                          model_kwargs: dict[str, Any] | None = None, batch_size: int | None = None,
                          num_workers: int | None = None, skip_failures: bool = True, progress: Any = None,
                          seed: int | None = None, **kwargs: Any) -> VisualizationResults:
    """Map the samples' embeddings to ``num_dims`` dimensions with ``method`` (see the module).

    Embeddings come as for :func:`~bakeoff.brain.compute_similarity` (``model=``, ``embeddings=``,
    ``similarity_index=``); ``points=`` skips them. Samples without an embedding get no point.

    Example::

        results = fob.compute_visualization(dataset, model="demo-clip", method="pca", brain_key="map")
        results.points[:2]
    """
    method = DEFAULT_METHOD if method is None else method
    if method not in METHODS:
        raise InvalidOptionError(f"unknown visualization method {brief(method)}: use one of {list(METHODS)}")
    if isinstance(num_dims, bool) or not isinstance(num_dims, int) or not 1 <= num_dims <= 3:
        raise InvalidOptionError(f"num_dims must be 1, 2 or 3, got {brief(num_dims)}")
    dataset = runs.root_of(samples)
    if brain_key is not None:
        check_new_key(dataset, brain_key, TYPE)
    if points_field is not None:
        from bakeoff.storage.identifiers import check_field_name

        check_field_name(points_field)
    if len(samples) == 0:
        raise BrainError("compute_visualization() got an empty collection")
    source: dict[str, Any] = {"kind": "points"}
    if points is not None or method == "manual":
        if points is None:
            raise BrainError("method='manual' needs points=: the [n, num_dims] points to show")
        ids, array = _check_points(samples, points, num_dims)
        method = "manual"
    else:
        found = emb.resolve(samples, model=model, embeddings=embeddings, model_kwargs=model_kwargs,
                            similarity_index=similarity_index, batch_size=batch_size, num_workers=num_workers,
                            skip_failures=skip_failures, progress=progress)
        ids, source = found.ids, found.source
        array = reduce(found.vectors, method, num_dims, seed, **kwargs)
    config = {"type": TYPE, "method": method, "num_dims": num_dims, "seed": seed,
              "options": {k: v for k, v in kwargs.items() if isinstance(v, str | int | float | bool | None)},
              "points_field": points_field, "fields": [points_field] if points_field else [],
              "embeddings": source, "view": runs.view_stages(samples)}
    results = VisualizationResults(samples, config, ids, array, brain_key)
    with runs.transaction(samples):  # the points field and the run's record: both or neither
        if points_field is not None:
            samples.set_values(points_field, {i: p for i, p in zip(ids, array, strict=True)})
        if brain_key is not None:
            runs.save_record(dataset, brain_key, config, {"num_points": len(ids)},
                             arrays={"sample_ids": ids, "points": array})
    return results


def load_visualization(dataset: Dataset, key: str) -> VisualizationResults:
    """The visualization saved as ``key``: its points and sample ids as computed."""
    record = runs.load_record(dataset, key)

    def load() -> VisualizationResults:
        config = record["config"]
        arrays = runs.load_arrays(dataset, key)
        view = runs.view_from_stages(dataset, config.get("view") or [])
        return VisualizationResults(view, config, arrays.get("sample_ids", []),
                                    arrays.get("points", np.zeros((0, config.get("num_dims", 2)))), key)

    return cached(dataset, key, record["updated_at"], load)
