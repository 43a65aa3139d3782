"""The embeddings a brain method works on, and the reference that brings them back later.

A brain method takes FiftyOne's arguments: ``model=`` (a loaded bakeoff model or a zoo name)
or ``embeddings=`` (a field name, an ``[n, d]`` array or ``{sample_id: vector}``), or
``similarity_index=`` (a :class:`~bakeoff.brain.similarity.SimilarityIndex` or its brain key).
With a model, the image embeddings come from bakeoff's embedding cache: what the cache lacks
is decoded and encoded once, with a progress bar, and cached for every later call
(:func:`bakeoff.inference.pipeline.compute_embeddings`). With ``model=`` and a field name in
``embeddings=``, the vectors are also stored in that field, as in FiftyOne.

Every vector is normalized to unit length (the methods compare by cosine). Samples without a
usable vector (an unreadable image, ``None`` in the field, a zero or NaN vector) are left out
and counted in :attr:`Embeddings.missing`.

A run records where its embeddings came from (:attr:`Embeddings.source`): the model's
fingerprint and zoo name (vectors reloaded from the cache, never stored twice), the field, or,
for an array, the array itself (see :mod:`bakeoff.brain.runs`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.brain import runs
from bakeoff.errors import BrainError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

logger = logging.getLogger(__name__)


@dataclass
class Embeddings:
    """Unit vectors of the samples that have one, in collection order."""

    ids: list[str]
    vectors: np.ndarray                 # float32 [len(ids), d], unit rows
    missing: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    model: Any = None

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1]) if self.vectors.ndim == 2 else 0


def load_model(model: Any, model_kwargs: Mapping[str, Any] | None = None) -> Any:
    """A zoo name loaded (with ``model_kwargs``), or a bakeoff model checked."""
    from bakeoff.inference.pipeline import check_model

    if isinstance(model, str):
        import bakeoff.zoo as foz

        model = foz.load_zoo_model(model, **dict(model_kwargs or {}))
    check_model("model", model)
    return model


def _model_source(model: Any, name: str | None, model_kwargs: Mapping[str, Any] | None) -> dict[str, Any]:
    source: dict[str, Any] = {"kind": "model", "fingerprint": model.fingerprint, "model": name}
    if name is not None and model_kwargs:
        try:
            source["model_kwargs"] = json.loads(json.dumps(dict(model_kwargs)))
        except (TypeError, ValueError):  # not JSON: the run cannot reload the model by name
            source["model"] = None
    return source


def resolve(collection: SampleCollection, model: Any = None, embeddings: Any = None,
            model_kwargs: Mapping[str, Any] | None = None, similarity_index: Any = None,
            batch_size: int | None = None, num_workers: int | None = None, skip_failures: bool = True,
            progress: Any = None) -> Embeddings:
    """The collection's embeddings from whichever of the arguments was given (see the module's docstring)."""
    if similarity_index is not None and model is None and embeddings is None:
        return from_index(collection, similarity_index)
    if model is not None:
        name = model if isinstance(model, str) else None
        loaded = load_model(model, model_kwargs)
        if embeddings is not None and not isinstance(embeddings, str):
            raise BrainError("with model=, embeddings= can only name a field to store the embeddings in "
                             f"(got {type(embeddings).__name__}); pass one or the other")
        return from_model(collection, loaded, name, model_kwargs, embeddings_field=embeddings,
                          batch_size=batch_size, num_workers=num_workers, skip_failures=skip_failures,
                          progress=progress)
    if isinstance(embeddings, str):
        return from_field(collection, embeddings)
    if embeddings is not None:
        return from_array(collection, embeddings)
    raise BrainError("no embeddings to work on: pass model= (a bakeoff model or a zoo name such as "
                     "'clip-vit-base32-torch'), embeddings= (a field name, an [n, d] array or {sample_id: vector}) "
                     "or similarity_index= (a similarity index or its brain key)")


def _ids_and_paths(collection: SampleCollection) -> tuple[list[str], list[str]]:
    ids, paths = collection.values("id"), collection.values("filepath")
    if len(ids) != len(paths):
        raise BrainError("the collection changed while it was read; run the brain method again")
    return ids, paths


def from_model(collection: SampleCollection, model: Any, name: str | None = None,
               model_kwargs: Mapping[str, Any] | None = None, embeddings_field: str | None = None,
               **options: Any) -> Embeddings:
    """Image embeddings of ``model``: from the cache, the rest encoded (with progress) and cached."""
    from bakeoff.inference.pipeline import compute_embeddings

    ids = collection.values("id")
    matrix = compute_embeddings(collection, model, embeddings_field=embeddings_field, **options)
    if len(matrix) != len(ids):
        raise BrainError("the collection changed while its embeddings were computed; run the brain method again")
    return _normalized(ids, matrix, _model_source(model, name, model_kwargs), model)


def from_field(collection: SampleCollection, field_name: str) -> Embeddings:
    """The vectors stored in a field (``None`` for samples without one)."""
    ids = collection.values("id")
    values = collection.values(field_name)  # UnknownFieldError (a KeyError) names a field that is not there
    rows, have = [], []
    for sample_id, value in zip(ids, values, strict=True):
        if value is not None:
            rows.append(value)
            have.append(sample_id)
    try:
        matrix = np.asarray(rows, dtype=np.float32) if rows else np.zeros((0, 0), np.float32)
    except (TypeError, ValueError):
        raise BrainError(f"field {field_name!r} does not hold vectors of one length: store one list or array "
                         "of numbers per sample, all of the same size") from None
    if matrix.ndim != 2:
        raise BrainError(f"field {field_name!r} does not hold vectors (got values of shape {matrix.shape[1:]})")
    found = _normalized(have, matrix, {"kind": "field", "field": field_name})
    have_set = set(have)
    found.missing = [i for i in ids if i not in have_set] + found.missing
    return found


def from_array(collection: SampleCollection, embeddings: Any) -> Embeddings:
    """An ``[n, d]`` array in collection order, or ``{sample_id: vector}``."""
    ids = collection.values("id")
    if isinstance(embeddings, Mapping):
        known = set(ids)
        unknown = [k for k in embeddings if k not in known]
        if unknown:
            raise BrainError(f"embeddings= has vectors for {len(unknown)} ids that are not in the collection "
                             f"(e.g. {brief(unknown[0])})")
        have = [i for i in ids if i in embeddings]
        rows = [embeddings[i] for i in have]
        matrix = _as_matrix(rows)
        found = _normalized(have, matrix, {"kind": "array"})
        found.missing = [i for i in ids if i not in embeddings] + found.missing
        return found
    matrix = _as_matrix(embeddings)
    if len(matrix) != len(ids):
        raise BrainError(f"embeddings= has {len(matrix)} rows and the collection {len(ids)} samples: pass one "
                         "vector per sample, in collection order (or a dict {sample_id: vector})")
    return _normalized(ids, matrix, {"kind": "array"})


def _as_matrix(rows: Any) -> np.ndarray:
    try:
        matrix = np.asarray(rows, dtype=np.float32)
    except (TypeError, ValueError):
        raise BrainError("embeddings= must be numbers: an [n, d] array or {sample_id: vector} of equal lengths") \
            from None
    if matrix.ndim != 2:
        raise BrainError(f"embeddings= must be a 2-d array [n, d], got shape {matrix.shape}")
    return matrix


def from_index(collection: SampleCollection, index: Any) -> Embeddings:
    """The embeddings of a similarity index (or its brain key) for the samples of ``collection``."""
    from bakeoff.brain.similarity import SimilarityIndex, load_similarity_index

    if isinstance(index, str):
        index = load_similarity_index(runs.root_of(collection), index)
    if not isinstance(index, SimilarityIndex):
        raise BrainError(f"similarity_index= must be a SimilarityIndex or its brain key, got {brief(index)}")
    ids = collection.values("id")
    vectors, have = index.get_embeddings(ids, allow_missing=True)
    have_set = set(have)
    return Embeddings(have, vectors, [i for i in ids if i not in have_set], dict(index.embeddings_source),
                      index.model_if_loaded)


def _normalized(ids: list[str], matrix: np.ndarray, source: dict[str, Any], model: Any = None) -> Embeddings:
    """Unit rows; rows that are NaN, infinite or zero are left out (their ids in ``missing``)."""
    matrix = np.asarray(matrix, dtype=np.float32)
    if matrix.ndim != 2:
        matrix = matrix.reshape(len(ids), -1) if len(ids) else np.zeros((0, 0), np.float32)
    norms = np.linalg.norm(matrix, axis=1) if matrix.size else np.zeros(len(matrix), np.float32)
    good = np.isfinite(norms) & (norms > 0) & np.all(np.isfinite(matrix), axis=1)
    missing = [i for i, ok in zip(ids, good, strict=True) if not ok]
    if missing:
        logger.warning("%d of %d samples have no usable embedding (unreadable image, missing value, zero or NaN "
                       "vector): they are left out", len(missing), len(ids))
    kept = [i for i, ok in zip(ids, good, strict=True) if ok]
    vectors = np.ascontiguousarray(matrix[good] / norms[good, None], dtype=np.float32)
    return Embeddings(kept, vectors, missing, source, model)


def reload(collection: SampleCollection, source: dict[str, Any], arrays: dict[str, Any], model: Any = None,
           progress: Any = None) -> Embeddings:
    """The embeddings a run recorded, for the samples of ``collection`` now.

    ``model`` runs: the cached vectors (no model needed); samples the cache lacks (added since, or
    their file changed) are encoded when ``model`` is given, else left out with a warning: loading
    a model is never a side effect of loading results. ``field`` runs read the field again;
    ``array`` runs use the array stored with the run.
    """
    kind = source.get("kind")
    if kind == "field":
        return from_field(collection, source["field"])
    if kind == "array":
        stored_ids, vectors = arrays.get("embedding_ids", []), arrays.get("embeddings")
        if vectors is None:
            raise BrainError("this run's embeddings were not stored; compute it again")
        position = {sample_id: i for i, sample_id in enumerate(stored_ids)}
        ids = collection.values("id")
        have = [i for i in ids if i in position]
        found = _normalized(have, vectors[[position[i] for i in have]] if have else vectors[:0], source)
        found.missing = [i for i in ids if i not in position] + found.missing
        return found
    if kind != "model":
        raise BrainError(f"unknown embeddings source {brief(source)}; compute the run again")
    ids, paths = _ids_and_paths(collection)
    vectors = runs.cached_embeddings(collection, source["fingerprint"], ids, paths)
    lacking = [i for i in ids if i not in vectors]
    if lacking and model is not None:
        logger.info("%d samples have no cached embedding: encoding them", len(lacking))
        fresh = from_model(collection.select(lacking), model, progress=progress)
        vectors.update(zip(fresh.ids, fresh.vectors, strict=True))
    have = [i for i in ids if i in vectors]
    dim = next((len(v) for v in vectors.values()), 0)
    matrix = np.stack([vectors[i] for i in have]) if have else np.zeros((0, dim), np.float32)
    out = _normalized(have, matrix, source, model)
    out.missing = [i for i in ids if i not in vectors] + out.missing
    if out.missing:
        logger.warning("%d samples have no embedding for %s in the cache and no model was at hand to encode them: "
                       "they are left out (pass model= to load_brain_results to encode them)",
                       len(out.missing), source["fingerprint"])
    return out


def model_from_source(source: dict[str, Any]) -> Any:
    """The model a run recorded by zoo name, loaded; None when it recorded only a fingerprint."""
    name = source.get("model")
    if not name:
        return None
    return load_model(name, source.get("model_kwargs"))
