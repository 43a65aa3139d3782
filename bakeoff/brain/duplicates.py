"""Duplicates: exact copies (same file bytes) and near-duplicates (embeddings within a cosine distance).

Duplicates skew an evaluation: a test image that is also in the prompts' or the training
data, or twice in the test set, counts twice; two copies with *different* ground truths are
label noise (at least one is wrong). :func:`compute_near_duplicates` finds them (FiftyOne's
name and arguments); its index answers FiftyOne's ``duplicate_ids``, ``neighbors_map`` and
``duplicates_view()``, and bakeoff's :attr:`~DuplicatesMixin.pairs` says, pair by pair, the
distance, whether the files are byte-identical, and whether their labels differ.

Example::

    dups = fob.compute_near_duplicates(dataset, threshold=0.05, model="clip-vit-base32-torch")
    dups.duplicate_ids                  # the samples to drop to keep one of each group
    dups.neighbors_map                  # {kept_id: [(duplicate_id, distance), ...]}
    [p for p in dups.pairs if p.labels_differ]    # copies labelled differently
    fob.compute_exact_duplicates(dataset)         # {first_id: [ids of byte-identical copies]}
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.errors import BrainError, InvalidOptionError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.view import DatasetView

logger = logging.getLogger(__name__)

#: neighbours looked at per sample: a group of more copies than this is found in parts
MAX_NEIGHBORS = 32
#: pairs closer than this are checked for identical files
EXACT_CANDIDATE_DISTANCE = 1e-3
#: pairs a saved run lists in its results (``pair_list``: ``[id_a, id_b, exact]``, nearest first) for
#: ``bakeoff.compare`` to count those among the evaluated samples (evaluation cannot import brain)
MAX_SAVED_PAIRS = 10_000


@dataclass(frozen=True)
class DuplicatePair:
    """Two samples within the threshold: ``id_a`` comes first in the collection."""

    id_a: str
    id_b: str
    distance: float
    exact: bool                      # the two files have the same bytes
    label_a: str | None = None
    label_b: str | None = None

    @property
    def labels_differ(self) -> bool:
        """Both are labelled, differently: at least one label is wrong (or the copy is ambiguous)."""
        return self.label_a is not None and self.label_b is not None and self.label_a != self.label_b

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "labels_differ": self.labels_differ}


class DuplicatesMixin:
    """FiftyOne's duplicate queries on a similarity index (``find_duplicates``, ``duplicate_ids``, ...)."""

    _ids: list[str]
    _search: Any
    view: Any

    def _init_duplicates(self) -> None:
        self._neighbor_cache: tuple[np.ndarray, np.ndarray] | None = None
        self._thresh: float | None = None
        self._duplicate_ids: list[str] = []
        self._unique_ids: list[str] = []
        self._neighbors_map: dict[str, list[tuple[str, float]]] = {}
        self._pairs: list[DuplicatePair] = []
        self.label_field: str | None = None

    def _neighbors(self) -> tuple[np.ndarray, np.ndarray]:
        if self._neighbor_cache is None:
            idx, sims = self._search.neighbors(MAX_NEIGHBORS)
            self._neighbor_cache = (idx, (1.0 - sims).astype(np.float32))
        return self._neighbor_cache

    @property
    def thresh(self) -> float | None:
        """The distance threshold of the last :meth:`find_duplicates`."""
        return self._thresh

    @property
    def duplicate_ids(self) -> list[str]:
        """Samples within the threshold of an earlier kept sample: drop these to keep one of each group."""
        return list(self._duplicate_ids)

    @property
    def unique_ids(self) -> list[str]:
        """The kept samples: no two closer than the threshold (greedily, in collection order)."""
        return list(self._unique_ids)

    @property
    def neighbors_map(self) -> dict[str, list[tuple[str, float]]]:
        """``{kept_id: [(duplicate_id, distance), ...]}``, nearest first."""
        return {k: list(v) for k, v in self._neighbors_map.items()}

    @property
    def pairs(self) -> list[DuplicatePair]:
        """Every pair within the threshold (each once), nearest first, with exactness and labels."""
        return list(self._pairs)

    @property
    def conflicting_pairs(self) -> list[DuplicatePair]:
        """The pairs whose labels differ: label noise, or leakage that an evaluation counts twice."""
        return [p for p in self._pairs if p.labels_differ]

    def summary(self) -> dict[str, Any]:
        """Counts for reports: pairs, exact pairs, pairs with different labels, duplicates to drop."""
        return {"thresh": self._thresh, "pairs": len(self._pairs), "exact_pairs": sum(p.exact for p in self._pairs),
                "conflicting_pairs": len(self.conflicting_pairs), "duplicates": len(self._duplicate_ids),
                "label_field": self.label_field}

    def find_duplicates(self, thresh: float | None = None, fraction: float | None = None) -> None:
        """Find the duplicates within cosine distance ``thresh``, or the ``thresh`` that makes a ``fraction`` of
        the samples duplicates (FiftyOne's method); fills :attr:`duplicate_ids`, :attr:`neighbors_map`, ..."""
        if (thresh is None) == (fraction is None):
            raise InvalidOptionError("find_duplicates() needs thresh= (a cosine distance, e.g. 0.1) or fraction= "
                                     "(of samples to call duplicates, in [0, 1]), not both")
        if fraction is not None:
            thresh = self._thresh_for_fraction(_check_unit("fraction", fraction))
        thresh = _check_distance(thresh)
        idx, dists = self._neighbors()
        kept, duplicate_of = _greedy(idx, dists, thresh)
        self._thresh = thresh
        ids = self._ids
        self._unique_ids = [ids[i] for i in np.flatnonzero(kept)]
        self._duplicate_ids = [ids[i] for i in np.flatnonzero(~kept)]
        groups: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for i, (j, d) in duplicate_of.items():
            groups[ids[j]].append((ids[i], float(d)))
        self._neighbors_map = {k: sorted(v, key=lambda x: x[1]) for k, v in groups.items()}
        self._pairs = self._find_pairs(idx, dists, thresh)

    def _thresh_for_fraction(self, fraction: float) -> float:
        idx, dists = self._neighbors()
        lo, hi = 0.0, 2.0
        for _ in range(30):
            mid = (lo + hi) / 2
            share = (~_greedy(idx, dists, mid)[0]).mean() if len(idx) else 0.0
            lo, hi = (mid, hi) if share < fraction else (lo, mid)
        return hi

    def _find_pairs(self, idx: np.ndarray, dists: np.ndarray, thresh: float) -> list[DuplicatePair]:
        rows, cols = np.nonzero(dists <= thresh)
        found: dict[tuple[int, int], float] = {}
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            a, b = sorted((r, int(idx[r, c])))
            found[(a, b)] = float(dists[r, c])
        if not found:
            return []
        ids = self._ids
        involved = sorted({ids[i] for pair in found for i in pair})
        files, labels = _paths_and_labels(self.view, involved, self.label_field)
        close = {i for pair, d in found.items() if d <= EXACT_CANDIDATE_DISTANCE for i in pair}
        hashes = {ids[i]: file_hash(files[ids[i]]) for i in close if ids[i] in files}
        pairs = []
        for (a, b), d in sorted(found.items(), key=lambda item: (item[1], item[0])):
            ia, ib = ids[a], ids[b]
            exact = ia in hashes and hashes[ia] is not None and hashes[ia] == hashes.get(ib)
            pairs.append(DuplicatePair(ia, ib, max(d, 0.0), bool(exact), labels.get(ia), labels.get(ib)))
        return pairs

    def duplicates_view(self, type_field: str | None = None, id_field: str | None = None,
                        dist_field: str | None = None, sort_by: str = "distance", reverse: bool = False) -> DatasetView:
        """The kept samples, each followed by its duplicates (FiftyOne's method); the optional fields record
        ``"nearest"``/``"duplicate"``, the kept sample's id and the distance to it."""
        if self._thresh is None:
            raise BrainError("call find_duplicates(thresh=...) first")
        if sort_by not in ("distance", "count"):
            raise InvalidOptionError(f"sort_by must be 'distance' or 'count', got {brief(sort_by)}")
        groups = list(self._neighbors_map.items())
        if sort_by == "distance":
            groups.sort(key=lambda g: g[1][0][1], reverse=reverse)
        else:
            groups.sort(key=lambda g: len(g[1]), reverse=not reverse)
        order: list[str] = []
        kinds, nearest, distance = {}, {}, {}
        for kept, dups in groups:
            order.append(kept)
            kinds[kept], nearest[kept], distance[kept] = "nearest", kept, 0.0
            for dup, d in dups:
                order.append(dup)
                kinds[dup], nearest[dup], distance[dup] = "duplicate", kept, d
        for field, values in ((type_field, kinds), (id_field, nearest)):
            if field:
                self.view.set_values(field, values)
        if dist_field:
            from bakeoff.brain.results import write_float_field

            write_float_field(self.view, dist_field, list(distance), list(distance.values()))
        return self.view.select(order, ordered=True)


def _greedy(idx: np.ndarray, dists: np.ndarray, thresh: float) -> tuple[np.ndarray, dict[int, tuple[int, float]]]:
    """In index order, keep a sample unless an earlier kept one is within ``thresh``: then it duplicates the
    nearest such. Samples with no neighbour within ``thresh`` are kept without a look."""
    close = dists <= thresh
    kept = np.ones(len(idx), dtype=bool)
    duplicate_of: dict[int, tuple[int, float]] = {}
    for i in np.flatnonzero(close.any(axis=1)).tolist():
        for j, d, ok in zip(idx[i].tolist(), dists[i].tolist(), close[i].tolist(), strict=True):
            if ok and j < i and kept[j]:  # neighbours come nearest first
                kept[i] = False
                duplicate_of[i] = (j, d)
                break
    return kept, duplicate_of


def _check_distance(thresh: Any) -> float:
    if isinstance(thresh, bool) or not isinstance(thresh, int | float | np.floating) or not 0 <= thresh <= 2:
        raise InvalidOptionError(f"thresh/threshold is a cosine distance in [0, 2] (0.1: very similar), "
                                 f"got {brief(thresh)}")
    return float(thresh)


def _check_unit(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or not 0 <= value <= 1:
        raise InvalidOptionError(f"{name} must be in [0, 1], got {brief(value)}")
    return float(value)


def _paths_and_labels(collection: SampleCollection, ids: list[str],
                      label_field: str | None) -> tuple[dict[str, str], dict[str, str | None]]:
    subset = collection.select(ids)
    got_ids = subset.values("id")
    paths = dict(zip(got_ids, subset.values("filepath"), strict=True))
    labels: dict[str, str | None] = {}
    if label_field and collection.has_field(label_field):
        values = subset.values(label_field)
        labels = {i: _label_of(v) for i, v in zip(got_ids, values, strict=True)}
    return paths, labels


def _label_of(value: Any) -> str | None:
    label = getattr(value, "label", value)
    return None if label is None else str(label)


def file_hash(path: str) -> str | None:
    """SHA-256 of a file's bytes (None when it cannot be read)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        return None
    return digest.hexdigest()


def compute_exact_duplicates(samples: SampleCollection, num_workers: int | None = None, skip_failures: bool = True,
                             progress: Any = None) -> dict[str, list[str]]:
    """``{first_id: [ids of the later samples whose file has the same bytes]}`` (FiftyOne's function).

    Only files of the same size are hashed. ``skip_failures=False`` raises on an unreadable file.
    """
    from bakeoff.errors import ImageDecodeError

    ids, paths = samples.values("id"), samples.values("filepath")
    by_size: dict[int, list[int]] = defaultdict(list)
    for i, path in enumerate(paths):
        try:
            by_size[os.path.getsize(path)].append(i)
        except OSError as error:
            if not skip_failures:
                raise ImageDecodeError(path, str(error)) from None
    groups: dict[str, list[str]] = {}
    for members in by_size.values():
        if len(members) < 2:
            continue
        first_of: dict[str, str] = {}
        for i in members:
            digest = file_hash(paths[i])
            if digest is None:
                if not skip_failures:
                    raise ImageDecodeError(paths[i], "cannot be read")
                continue
            if digest in first_of:
                groups.setdefault(first_of[digest], []).append(ids[i])
            else:
                first_of[digest] = ids[i]
    order = {sample_id: n for n, sample_id in enumerate(ids)}
    return dict(sorted(groups.items(), key=lambda g: order[g[0]]))


def compute_near_duplicates(samples: SampleCollection, threshold: float = 0.2, embeddings: Any = None,
                            similarity_index: Any = None, model: Any = None, model_kwargs: dict[str, Any] | None = None,
                            batch_size: int | None = None, num_workers: int | None = None, skip_failures: bool = True,
                            progress: Any = None, label_field: str | None = "ground_truth",
                            brain_key: str | None = None, backend: str | None = None) -> Any:
    """Find near-duplicates: samples whose embeddings are within cosine distance ``threshold`` (FiftyOne's
    function; ``0.2`` by default, lower is stricter). Returns a similarity index with the duplicates found.

    ``label_field`` names the ground truth compared in :attr:`DuplicatesMixin.pairs` (bakeoff's addition);
    ``brain_key`` saves the run.
    """
    from bakeoff.brain import embeddings as emb
    from bakeoff.brain import runs
    from bakeoff.brain.search import build_search, choose_backend
    from bakeoff.brain.similarity import SimilarityIndex, check_new_key, save_embeddings_run

    threshold = _check_distance(threshold)
    if brain_key is not None:
        check_new_key(runs.root_of(samples), brain_key, "duplicates")
    if len(samples) == 0:
        raise BrainError("compute_near_duplicates() got an empty collection")
    found = emb.resolve(samples, model=model, embeddings=embeddings, model_kwargs=model_kwargs,
                        similarity_index=similarity_index, batch_size=batch_size, num_workers=num_workers,
                        skip_failures=skip_failures, progress=progress)
    chosen = choose_backend(backend, len(found.ids))
    config = {"type": "duplicates", "method": chosen, "backend": chosen, "metric": "cosine", "thresh": threshold,
              "label_field": label_field, "embeddings": found.source, "view": runs.view_stages(samples)}
    index = SimilarityIndex(samples, config, found, build_search(found.vectors, chosen), brain_key)
    index.label_field = label_field
    index.find_duplicates(thresh=threshold)
    if brain_key is not None:
        listed = [[p.id_a, p.id_b, int(p.exact)] for p in index.pairs[:MAX_SAVED_PAIRS]]
        save_embeddings_run(samples, brain_key, config, found, {**index.summary(), "pair_list": listed})
    return index
