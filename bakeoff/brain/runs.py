"""Where brain runs are stored, and what brain needs of core beyond the user's API.

Everything brain asks of core that a user never calls goes through this module, and from here
only through :mod:`bakeoff.core.interface` (``RunStore``, ``root_dataset``, ``stages``,
``database``): one place to change when that interface does.

A brain run is two records in the dataset's run catalog, as evaluations are:

- ``("brain", key)``: ``config`` (what ran, on which view, from which embeddings) and small
  ``results`` (counts), as JSON: listing runs reads only these;
- ``("brain_data", key)``: arrays that cannot be recomputed (2-D points, embeddings passed
  as an array), each a ``.npy`` file (``np.save(..., allow_pickle=False)``) in base64 inside
  JSON, read back with ``allow_pickle=False``. Embeddings computed by a model are never stored
  here: the run keeps the model's fingerprint and they come back from the embedding cache.
"""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.core.interface import RunRecord, RunStore, database, root_dataset, stages
from bakeoff.errors import BrainError, BrainRunNotFoundError, brief, suggest

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.view import DatasetView

RUN_TYPE = "brain"
DATA_RUN_TYPE = "brain_data"
#: the version of the records this code writes (a later layout can read older ones by it)
RECORD_VERSION = 1
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,99}")
_HEX24 = re.compile(r"[0-9a-f]{24}")


# -- collections -------------------------------------------------------------------------------
def root_of(collection: SampleCollection) -> Dataset:
    """The dataset behind a dataset or view."""
    return root_dataset(collection)


def view_stages(collection: SampleCollection) -> list[dict[str, Any]]:
    """The collection's view stages as JSON (empty for a whole dataset), to rebuild it later."""
    return [stage.to_dict() for stage in stages(collection)]


def view_from_stages(dataset: Dataset, stage_dicts: list[dict[str, Any]]) -> DatasetView | Dataset:
    """The view that :func:`view_stages` described (the dataset itself for no stages)."""
    if not stage_dicts:
        return dataset
    from bakeoff.core.stages import ViewStage
    from bakeoff.core.view import DatasetView

    return DatasetView(dataset, [ViewStage.from_dict(s) for s in stage_dicts])


def dataset_token(dataset: Dataset) -> str:
    """A stable id of the dataset (not its name, which can change): keys the in-process results cache."""
    return str(root_of(dataset).id)


def cached_embeddings(collection: SampleCollection, fingerprint: str, ids: list[str],
                      filepaths: list[str]) -> dict[str, np.ndarray]:
    """``{sample_id: vector}`` of the samples whose file has a valid cached embedding for ``fingerprint``.

    A vector counts only while its file has the size and modification time it had when encoded
    (the rule of the embedding cache, :mod:`bakeoff.storage.embeddings`).
    """
    from bakeoff.media.decode import file_identity
    from bakeoff.storage.embeddings import get_embeddings
    from bakeoff.storage.engine import read

    with read(database(collection)) as conn:
        found = get_embeddings(conn, fingerprint, sorted(set(filepaths)))
    out: dict[str, np.ndarray] = {}
    identities: dict[str, tuple[int, int] | None] = {}
    for sample_id, path in zip(ids, filepaths, strict=True):
        hit = found.get(path)
        if hit is None:
            continue
        if path not in identities:
            try:
                identities[path] = file_identity(path)
            except OSError:
                identities[path] = None
        if identities[path] == (hit[0], hit[1]):
            out[sample_id] = hit[2]
    return out


@contextmanager
def transaction(collection: SampleCollection) -> Iterator[None]:
    """The block's writes to the dataset's database (fields, run records) commit together, or not at all."""
    from bakeoff.storage.engine import write

    with write(database(collection)):
        yield


# -- brain keys and records --------------------------------------------------------------------
def check_brain_key(key: Any) -> str:
    """``key`` if it can name a brain run (a letter, then letters, digits, ``_``; at most 100), else BrainError."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise BrainError(f"invalid brain key {brief(key)}: use a name that starts with a letter and holds only "
                         "letters, digits and underscores, at most 100 characters (e.g. 'clip_sim')")
    return key


def list_records(dataset: SampleCollection) -> list[RunRecord]:
    """Every brain run's record (``key``, ``config``, ``results``, ``created_at``, ``updated_at``), oldest first."""
    return RunStore(dataset, RUN_TYPE).records()


def load_record(dataset: SampleCollection, key: str) -> RunRecord:
    """The record of brain run ``key``, else :class:`BrainRunNotFoundError` with the keys there are."""
    record = RunStore(dataset, RUN_TYPE).load(key) if isinstance(key, str) else None
    if record is None:
        keys = [r["key"] for r in list_records(dataset)]
        hint = suggest(key, keys) if isinstance(key, str) else ""
        raise BrainRunNotFoundError(f"dataset {root_of(dataset).name!r} has no brain run {brief(key)}.{hint} "
                                    f"Brain runs: {keys}")
    return record


def has_record(dataset: SampleCollection, key: str) -> bool:
    return isinstance(key, str) and RunStore(dataset, RUN_TYPE).load(key) is not None


def save_record(dataset: SampleCollection, key: str, config: dict[str, Any], results: dict[str, Any] | None = None,
                arrays: dict[str, Any] | None = None) -> None:
    """Write (or replace) the run ``key``: its config and results, and its arrays when it has any."""
    data = RunStore(dataset, DATA_RUN_TYPE)
    encoded = encode_arrays(arrays) if arrays else None
    with transaction(dataset):
        if encoded:
            data.save(key, {"version": RECORD_VERSION}, encoded)
        else:
            data.delete(key)
        RunStore(dataset, RUN_TYPE).save(key, {**config, "version": RECORD_VERSION}, results or {})


def load_arrays(dataset: SampleCollection, key: str) -> dict[str, Any]:
    """The arrays saved with run ``key`` (``{}`` when it has none)."""
    record = RunStore(dataset, DATA_RUN_TYPE).load(key)
    return decode_arrays(record["results"] or {}) if record is not None else {}


def rename_record(dataset: SampleCollection, key: str, new_key: str) -> None:
    data = RunStore(dataset, DATA_RUN_TYPE)
    with transaction(dataset):
        data.delete(new_key)  # a leftover of a run that no longer exists
        data.rename(key, new_key)
        RunStore(dataset, RUN_TYPE).rename(key, new_key)


def delete_record(dataset: SampleCollection, key: str) -> None:
    with transaction(dataset):
        RunStore(dataset, DATA_RUN_TYPE).delete(key)
        RunStore(dataset, RUN_TYPE).delete(key)


# -- arrays as JSON, without pickle ------------------------------------------------------------
def encode_array(array: np.ndarray) -> str:
    """A numeric array as base64 of its ``.npy`` bytes (``allow_pickle=False``: object arrays are refused)."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_array(text: str) -> np.ndarray:
    """The array :func:`encode_array` wrote; never unpickles."""
    try:
        array = np.load(io.BytesIO(base64.b64decode(text.encode("ascii"), validate=True)), allow_pickle=False)
    except (ValueError, TypeError, OSError) as error:
        raise BrainError(f"a stored brain array cannot be read ({error}); compute the run again") from None
    return array


def encode_ids(ids: list[str]) -> dict[str, Any]:
    """Sample ids compactly: 12 bytes each when they are bakeoff's 24-hex-digit ids, else a JSON list."""
    if ids and all(_HEX24.fullmatch(i) for i in ids):
        packed = np.frombuffer(bytes.fromhex("".join(ids)), dtype=np.uint8).reshape(len(ids), 12)
        return {"hex12": encode_array(packed)}
    return {"list": list(ids)}


def decode_ids(stored: dict[str, Any]) -> list[str]:
    if "hex12" in stored:
        text = decode_array(stored["hex12"]).astype(np.uint8).tobytes().hex()
        return [text[i : i + 24] for i in range(0, len(text), 24)]
    return [str(i) for i in stored.get("list", [])]


def encode_arrays(arrays: dict[str, Any]) -> dict[str, Any]:
    """``{"name": array or list of ids}`` as JSON (ids go under names ending in ``ids``)."""
    return {name: encode_ids(list(value)) if name.endswith("ids") else encode_array(np.asarray(value))
            for name, value in arrays.items()}


def decode_arrays(stored: dict[str, Any]) -> dict[str, Any]:
    return {name: decode_ids(value) if name.endswith("ids") else decode_array(value) for name, value in stored.items()}
