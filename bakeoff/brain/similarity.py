"""``compute_similarity`` and ``sort_by_similarity``: search the images by an image, a vector or a sentence.

Example::

    import bakeoff.brain as fob

    index = fob.compute_similarity(dataset, model="clip-vit-base32-torch", brain_key="clip_sim")
    view = index.sort_by_similarity("a dog on a beach", k=25)          # text, by the model's text tower
    view = index.sort_by_similarity(dataset.first().id, k=10)          # more like this sample
    view = fob.sort_by_similarity(dataset.match(F("clip_eval") == False), "a red car", k=10,
                                  brain_key="clip_sim", dist_field="dist")

Distances are cosine distances, ``1 - cosine similarity`` (FiftyOne's default metric): 0 for
the same direction, 2 for the opposite one. The index holds unit vectors in memory; searches
are exact (numpy) up to a million vectors and approximate past that, or as ``backend=``
says (see :mod:`bakeoff.brain.search`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.brain import embeddings as emb
from bakeoff.brain import runs
from bakeoff.brain.duplicates import DuplicatesMixin
from bakeoff.brain.results import BrainResults, cached, check_k, forget, write_float_field
from bakeoff.brain.search import ExactSearch, build_search, check_vectors, choose_backend
from bakeoff.errors import BrainError, InvalidOptionError, SampleNotFoundError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.view import DatasetView

TYPE = "similarity"
#: embeddings passed as an array are stored with the run up to this size; past it, store them in a field
MAX_STORED_BYTES = 256 << 20


class SimilarityIndex(DuplicatesMixin, BrainResults):
    """Unit image embeddings of a collection and a search structure over them (FiftyOne's ``SimilarityIndex``).

    Example::

        index = fob.compute_similarity(dataset, model=model, brain_key="sim")
        index.sort_by_similarity("a photo of a cat", k=10)   # a view, most similar first
        ids, distances = index.search(query_vector, k=10)   # the raw answer
    """

    def __init__(self, samples: SampleCollection, config: dict[str, Any], found: emb.Embeddings,
                 search: ExactSearch, key: str | None = None) -> None:
        super().__init__(samples, config, key)
        self._ids = found.ids
        self._position = {sample_id: i for i, sample_id in enumerate(found.ids)}
        self._missing = found.missing
        self._source = found.source
        self._model = found.model
        self._search = search
        self._init_duplicates()

    # -- FiftyOne's properties ------------------------------------------------------------
    @property
    def backend(self) -> str:
        """``"exact"`` or ``"faiss"``."""
        return self._search.name

    @property
    def sample_ids(self) -> list[str]:
        """The ids of the indexed samples, in index order."""
        return list(self._ids)

    @property
    def index_size(self) -> int:
        return len(self._ids)

    @property
    def total_index_size(self) -> int:
        return len(self._ids)

    @property
    def missing_size(self) -> int:
        """Samples of the collection without an embedding (unreadable images, missing values)."""
        return len(self._missing)

    @property
    def dim(self) -> int:
        return self._search.dim

    @property
    def embeddings_source(self) -> dict[str, Any]:
        """Where the embeddings came from: ``{"kind": "model", "fingerprint", "model"}``, a field, or an array."""
        return dict(self._source)

    @property
    def supports_prompts(self) -> bool:
        """Whether text queries can be encoded: the index has its model or can load it by zoo name."""
        return self._model is not None or bool(self._source.get("model"))

    @property
    def model_if_loaded(self) -> Any:
        return self._model

    def get_model(self) -> Any:
        """The model behind the embeddings (loaded by zoo name when the run recorded one), for text queries."""
        if self._model is None:
            self._model = emb.model_from_source(self._source)
        if self._model is None:
            raise BrainError(
                "this index has no model to encode text with: it was built from "
                + ("a model object, not a zoo name" if self._source.get("kind") == "model" else "precomputed embeddings")
                + "; give it one with index.set_model(model) or fob.load_brain_results(dataset, key, model=model)")
        return self._model

    def set_model(self, model: Any) -> None:
        """The model to encode text queries with; for a model-built index it must be the same model."""
        model = emb.load_model(model)
        fingerprint = self._source.get("fingerprint")
        if fingerprint is not None and model.fingerprint != fingerprint:
            raise BrainError(f"this index holds embeddings of {fingerprint}, not of {model.fingerprint}: pass that model")
        self._model = model

    def get_embeddings(self, sample_ids: Iterable[str] | None = None,
                       allow_missing: bool = True) -> tuple[np.ndarray, list[str]]:
        """``(vectors, ids)``: the unit embeddings of ``sample_ids`` (default: all) that the index holds."""
        if sample_ids is None:
            return self._search.vectors.copy(), list(self._ids)
        wanted = [sample_ids] if isinstance(sample_ids, str) else list(sample_ids)
        have = [i for i in wanted if i in self._position]
        if not allow_missing and len(have) != len(wanted):
            lacking = next(i for i in wanted if i not in self._position)
            raise SampleNotFoundError(f"sample {brief(lacking)} is not in this similarity index")
        rows = [self._position[i] for i in have]
        return self._search.vectors[rows], have

    # -- queries ----------------------------------------------------------------------------
    def query_vector(self, query: Any, aggregation: str = "mean") -> np.ndarray:
        """The unit vector a query stands for: sample id(s), a vector (or several), or text prompt(s).

        Several queries are averaged (``aggregation="mean"``, FiftyOne's default).
        """
        if aggregation != "mean":
            raise InvalidOptionError(f"aggregation={brief(aggregation)} is not supported; use 'mean'")
        vectors = self._query_vectors(query)
        mean = vectors.mean(axis=0)
        norm = float(np.linalg.norm(mean))
        if not np.isfinite(norm) or norm == 0:
            raise BrainError("the queries cancel out (their mean is the zero vector): query them one at a time")
        return (mean / norm).astype(np.float32)

    def _query_vectors(self, query: Any) -> np.ndarray:
        if hasattr(query, "id") and not isinstance(query, str | np.ndarray):
            query = query.id  # a Sample
        if isinstance(query, str):
            query = [query]
        if isinstance(query, list | tuple) and query and all(isinstance(q, str) for q in query):
            known = [q in self._position for q in query]
            if all(known):
                return self._search.vectors[[self._position[q] for q in query]]
            if any(known):
                raise BrainError("a query mixes sample ids and text prompts; pass ids or prompts, not both")
            if all(len(q) == 24 and all(c in "0123456789abcdef" for c in q) for q in query):
                raise SampleNotFoundError(f"sample {brief(query[0])} is not in this similarity index "
                                          f"({self.index_size} samples); compute the index again to add it")
            return self._text_vectors(list(query))
        if isinstance(query, list | tuple) and not query:
            raise BrainError("the query is empty: pass a sample id, a vector or a text prompt")
        return check_vectors(query, self.dim)

    def _text_vectors(self, prompts: list[str]) -> np.ndarray:
        if any(not p.strip() for p in prompts):
            raise BrainError("a text query is empty: type a few words, e.g. 'a dog on a beach'")
        vectors = self.get_model().encode_texts(prompts)
        return check_vectors(vectors, self.dim, what="text embedding (is the model the one the index was built with?)")

    def search(self, query: Any, k: int | None = None, reverse: bool = False, aggregation: str = "mean",
               samples: SampleCollection | None = None) -> tuple[list[str], np.ndarray]:
        """``(sample_ids, distances)`` of the ``k`` samples most similar to ``query`` (least with ``reverse``),
        among the samples of ``samples`` (default: :attr:`view`), nearest first. The App's search uses this."""
        k = check_k(k)
        vector = self.query_vector(query, aggregation)
        rows = self._rows_of(samples if samples is not None else self.view)
        if rows is not None and not len(rows):
            return [], np.zeros(0, np.float32)
        idx, sims = self._search.search(vector[None], k, reverse, rows)
        return [self._ids[i] for i in idx[0]], np.clip(1.0 - sims[0], 0.0, 2.0).astype(np.float32)

    def _rows_of(self, collection: SampleCollection) -> np.ndarray | None:
        """The index rows of ``collection``'s samples (None: all of them, read nothing)."""
        if collection is self._samples or (runs.root_of(collection) is runs.root_of(self._samples)
                                           and runs.view_stages(collection) == runs.view_stages(self._samples)):
            return None
        ids = collection.values("id")
        rows = np.array(sorted(self._position[i] for i in ids if i in self._position), dtype=np.int64)
        return None if len(rows) == len(self._ids) else rows  # a superset of the index: search all of it

    def sort_by_similarity(self, query: Any, k: int | None = None, reverse: bool = False,
                           aggregation: str = "mean", dist_field: str | None = None) -> DatasetView:
        """The samples of :attr:`view` sorted by similarity to ``query``, most similar first (FiftyOne's method).

        ``query``: a sample id or ids, a vector or ``[m, d]`` array, or text prompt(s) (encoded by
        the index's model). ``k``: how many (None: all). ``dist_field``: a float field in which each
        returned sample's cosine distance to the query is stored.
        """
        return sort_view(self, self.view, query, k, reverse, dist_field, aggregation)


def sort_view(index: SimilarityIndex, collection: SampleCollection, query: Any, k: int | None, reverse: bool,
              dist_field: str | None, aggregation: str = "mean") -> DatasetView:
    """``collection`` narrowed to the ``k`` matches, in order (``dist_field``: sorted by the stored distances)."""
    ids, distances = index.search(query, k, reverse, aggregation, samples=collection)
    if dist_field is None:
        return collection.select(ids, ordered=True)
    write_float_field(collection, dist_field, ids, distances.tolist())
    return collection.select(ids).sort_by(dist_field, reverse=reverse)


def compute_similarity(samples: SampleCollection, embeddings: Any = None, brain_key: str | None = None,
                       model: Any = None, model_kwargs: dict[str, Any] | None = None, batch_size: int | None = None,
                       num_workers: int | None = None, skip_failures: bool = True, progress: Any = None,
                       backend: str | None = None) -> SimilarityIndex:
    """Index the samples' image embeddings for similarity search (FiftyOne's ``compute_similarity``).

    ``model``: a bakeoff model or zoo name; its embeddings come from the embedding cache (what it
    lacks is encoded once, with progress, and cached), and text queries use its text tower.
    ``embeddings``: with a model, a field to also store the vectors in; without one, the
    embeddings themselves (a field name, an ``[n, d]`` array, or ``{sample_id: vector}``).
    ``brain_key``: save the index as a brain run (it is replaced when run again).
    ``backend``: ``"exact"`` (``"sklearn"`` too), ``"faiss"``, or None (exact up to a million).

    Example::

        index = fob.compute_similarity(dataset, model="demo-clip", brain_key="demo_sim")
        dataset_view = index.sort_by_similarity("a red circle", k=5)
    """
    if brain_key is not None:
        check_new_key(runs.root_of(samples), brain_key, TYPE)
    if len(samples) == 0:
        raise BrainError("compute_similarity() got an empty collection: there is nothing to index")
    found = emb.resolve(samples, model=model, embeddings=embeddings, model_kwargs=model_kwargs,
                        batch_size=batch_size, num_workers=num_workers, skip_failures=skip_failures,
                        progress=progress)
    if not found.ids:
        raise BrainError(f"none of the {len(found.missing)} samples has a usable embedding: nothing to index")
    chosen = choose_backend(backend, len(found.ids))
    config = {"type": TYPE, "method": chosen, "backend": chosen, "metric": "cosine", "dim": found.dim,
              "embeddings": found.source, "view": runs.view_stages(samples)}
    index = SimilarityIndex(samples, config, found, build_search(found.vectors, chosen), brain_key)
    if brain_key is not None:
        save_embeddings_run(samples, brain_key, config, found, {"index_size": index.index_size,
                                                                "missing_size": index.missing_size})
    return index


def save_embeddings_run(samples: SampleCollection, key: str, config: dict[str, Any], found: emb.Embeddings,
                        results: dict[str, Any], arrays: dict[str, Any] | None = None) -> None:
    """Save a run whose embeddings must come back: passed as an array, they are stored with it."""
    arrays = dict(arrays or {})
    if found.source.get("kind") == "array":
        if found.vectors.nbytes > MAX_STORED_BYTES:
            raise BrainError(f"embeddings= is {found.vectors.nbytes >> 20} MB, more than a brain run stores "
                             f"({MAX_STORED_BYTES >> 20} MB): store them in a field (dataset.set_values('emb', "
                             "list(array))) and pass embeddings='emb', or pass model= to use the embedding cache")
        arrays.update(embedding_ids=found.ids, embeddings=found.vectors)
    runs.save_record(samples, key, config, results, arrays)


def check_new_key(dataset: Dataset, key: str, run_type: str) -> None:
    """A valid key, free or used by a run of the same type (which the new run replaces)."""
    runs.check_brain_key(key)
    if runs.has_record(dataset, key):
        existing = runs.load_record(dataset, key)["config"].get("type")
        if existing != run_type:
            raise BrainError(f"brain key {key!r} holds a {existing} run; delete it first "
                             f"(fob.delete_brain_run(dataset, {key!r})) or pick another key")


def load_similarity_index(dataset: Dataset, key: str, model: Any = None,
                          types: tuple[str, ...] = (TYPE, "duplicates")) -> SimilarityIndex:
    """The similarity index saved as ``key`` (cached in this process until the run is written again);
    a ``compute_near_duplicates`` run comes back with its duplicates found again."""
    record = runs.load_record(dataset, key)
    if record["config"].get("type") not in types:
        raise BrainError(f"brain run {key!r} is a {record['config'].get('type')} run, not a similarity index")
    if model is not None:  # loaded afresh: samples the cache lacks are encoded with it
        model = emb.load_model(model)
        fingerprint = record["config"].get("embeddings", {}).get("fingerprint")
        if fingerprint is not None and model.fingerprint != fingerprint:
            raise BrainError(f"brain run {key!r} holds embeddings of {fingerprint}, not of {model.fingerprint}: "
                             "pass that model")
        forget(dataset, key)
    index = cached(dataset, key, record["updated_at"], lambda: _load(dataset, key, record, model))
    if model is not None:
        index.set_model(model)
    return index


def _load(dataset: Dataset, key: str, record: Mapping[str, Any], model: Any = None) -> SimilarityIndex:
    config = record["config"]
    view = runs.view_from_stages(dataset, config.get("view") or [])
    found = emb.reload(view, config["embeddings"], runs.load_arrays(dataset, key), model)
    if not found.ids:
        raise BrainError(f"similarity index {key!r} has no embeddings left (its samples were deleted, or their "
                         "cached embeddings removed): compute it again")
    backend = config.get("backend", "exact")
    index = SimilarityIndex(view, config, found, build_search(found.vectors, backend), key)
    if config.get("type") == "duplicates":
        index.label_field = config.get("label_field")
        index.find_duplicates(thresh=config["thresh"])
    return index


def similarity_keys(dataset: Dataset) -> list[str]:
    return [r["key"] for r in runs.list_records(dataset) if (r["config"] or {}).get("type") == TYPE]


def similarity_key(dataset: Dataset, brain_key: str | None) -> str:
    """``brain_key``, or the dataset's one similarity index when it is None; else a :class:`BrainError` saying what to do."""
    if brain_key is not None:
        return brain_key
    keys = similarity_keys(dataset)
    if len(keys) != 1:
        raise BrainError(f"dataset {dataset.name!r} has {len(keys)} similarity indexes {keys}: "
                         + ("compute one with fob.compute_similarity(dataset, model=..., brain_key=...)"
                            if not keys else "pass brain_key= to say which"))
    return keys[0]


def sort_by_similarity(collection: SampleCollection, query: Any, k: int | None = None, reverse: bool = False,
                       dist_field: str | None = None, brain_key: str | None = None) -> DatasetView:
    """``collection`` sorted by similarity to ``query`` with the similarity index ``brain_key`` (FiftyOne's
    ``view.sort_by_similarity``). Without ``brain_key`` the dataset's one similarity index is used.

    Example::

        view = fob.sort_by_similarity(dataset, "a dog on a beach", k=25, brain_key="clip_sim")
        view = fob.sort_by_similarity(dataset.match(F("clip_eval") == False), sample.id, k=10)
    """
    k = check_k(k)
    dataset = runs.root_of(collection)
    index = load_similarity_index(dataset, similarity_key(dataset, brain_key))
    return sort_view(index, collection, query, k, reverse, dist_field)
