"""Datasets: named, stored collections of samples.

Example::

    import bakeoff as fo
    dataset = fo.Dataset("pets", persistent=True)
    dataset.add_samples([fo.Sample("cat.jpg", ground_truth=fo.Classification(label="cat"))])
    dataset.name = "my-pets"
    fo.load_dataset("my-pets").count()     # 1, also from another process
"""

from __future__ import annotations

import atexit
import copy
import logging
import os
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bakeoff._config import config
from bakeoff.core.collection import SampleCollection
from bakeoff.core.dataset_extras import DatasetProperties, SavedViewsAndIndexes
from bakeoff.core.field_management import FieldManagement
from bakeoff.core.fields import Field, infer_field
from bakeoff.core.sample import Sample
from bakeoff.core.schema import (
    DEFAULT_FIELDS,
    READONLY_FIELDS,
    Schema,
    catalog_rows,
    flatten,
)
from bakeoff.errors import (
    DatasetExistsError,
    FieldError,
    FieldTypeError,
    InvalidDatasetNameError,
    SampleNotFoundError,
    UnknownFieldError,
    ValuesLengthError,
    brief,
)
from bakeoff.storage import catalog
from bakeoff.storage import samples as store
from bakeoff.storage.engine import get_engine, read, try_write, write
from bakeoff.storage.identifiers import check_field_path

logger = logging.getLogger(__name__)

#: Rows written per transaction by bulk writes: a crash loses at most this many.
WRITE_BATCH_SIZE = 10_000

_instances: weakref.WeakValueDictionary[tuple[str, str], Dataset] = weakref.WeakValueDictionary()
_instances_lock = threading.Lock()
_exit_hooks: set[str] = set()


def new_id() -> str:
    """A 24-hex-digit id: 4 bytes of time then 8 random bytes (sorts roughly by creation)."""
    return f"{int(time.time()):08x}{os.urandom(8).hex()}"


#: the longest dataset name: the same in Python, the CLI and the App (whose URLs carry it)
MAX_NAME_LENGTH = 200


def _check_name(name: Any) -> str:
    """A name every part of bakeoff can carry: 1-200 characters, no slash or control character."""
    if (not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH
            or any(c in name for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in name)):
        raise InvalidDatasetNameError(
            f"invalid dataset name {brief(name)}: use 1 to {MAX_NAME_LENGTH} characters without '/', '\\' or "
            "control characters (a name travels in the App's URLs and on command lines), e.g. 'pets-2026'"
        )
    return name


def _register_exit_cleanup(uri: str) -> None:
    if uri in _exit_hooks:
        return
    _exit_hooks.add(uri)

    def cleanup() -> None:
        try:
            catalog.delete_datasets_owned_by_this_process(get_engine(uri))
        except Exception:  # noqa: BLE001 - never fail interpreter exit; the next start cleans up
            logger.debug("could not delete this process's non-persistent datasets in %s", uri, exc_info=True)

    atexit.register(cleanup)


class Dataset(FieldManagement, SavedViewsAndIndexes, DatasetProperties):
    """A named collection of samples stored in bakeoff's database.

    Non-persistent datasets (the default) are deleted when the process that
    made them exits; ``persistent=True`` keeps them across restarts.

    There is one ``Dataset`` object per dataset and one :class:`Sample` object per
    sample in a process (weakly held): ``dataset[id] is sample``.

    The class is put together from parts (:mod:`bakeoff.core.dataset_base` says which); the
    public API is the same whichever part holds a method.
    """

    #: samples read from the dataset itself are its live objects; a view's are separate (FiftyOne's SampleView)
    _yields_dataset_samples = True

    def __init__(self, name: str | None = None, persistent: bool = False, overwrite: bool = False, _row=None) -> None:
        self._uri = config.database_uri
        self._engine = get_engine(self._uri)
        self._deleted = False
        if _row is None:
            _row = self._create(name, persistent, overwrite)
        # the attributes every part of a dataset shares: see DatasetBase
        self._id = _row.id
        self._name = _row.name
        self._persistent = bool(_row.persistent)
        self._table_name = _row.samples_table
        self._created_at = _row.created_at
        self._last_loaded_at = _row.last_loaded_at
        self._synced = None
        self._info = None
        self._properties = None
        self._samples = weakref.WeakValueDictionary()
        self._samples_lock = threading.Lock()
        with _instances_lock:
            _instances[(self._uri, self._id)] = self

    def _create(self, name: str | None, persistent: bool, overwrite: bool):
        if name is None:
            name = datetime.now().strftime("%Y.%m.%d.%H.%M.%S.%f")
        _check_name(name)
        if overwrite:
            from bakeoff.core.registry import dataset_exists, delete_dataset

            if dataset_exists(name):
                delete_dataset(name)
        dataset_id = uuid.uuid4().hex
        now = catalog.utcnow()
        owner = (None, None, None) if persistent else catalog.process_identity()
        schema = Schema(DEFAULT_FIELDS)
        table = store.build_table(f"samples_{dataset_id}", schema.columns())
        rows = [r for path, field in DEFAULT_FIELDS.items() for r in catalog_rows(path, field)]
        with write(self._engine) as conn:
            if catalog.get_dataset(conn, name=name) is not None:
                raise DatasetExistsError(
                    f"a dataset named {name!r} exists already; load it with bakeoff.load_dataset({name!r}), "
                    "pick another name, or pass overwrite=True to replace it"
                )
            catalog.insert_dataset(
                conn, id=dataset_id, name=name, persistent=persistent, samples_table=table.name,
                created_at=now, last_loaded_at=now, schema_version=0,
                owner_host=owner[0], owner_pid=owner[1], owner_started=owner[2],
            )
            catalog.insert_fields(conn, dataset_id, rows)
            store.create_table(conn, table)
            row = catalog.get_dataset(conn, id=dataset_id)
        if not persistent:
            _register_exit_cleanup(self._uri)
        return row

    # -- identity and lifecycle -----------------------------------------------------------
    def _root(self) -> Dataset:
        return self

    @property
    def id(self) -> str:
        return self._id

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        _check_name(value)
        self._check_alive()
        if value == self._name:
            return
        with write(self._engine) as conn:
            if catalog.get_dataset(conn, name=value) is not None:
                raise DatasetExistsError(
                    f"cannot rename dataset {self._name!r} to {value!r}: that name is taken; "
                    "pick another name or delete the other dataset first"
                )
            catalog.update_dataset(conn, self._id, name=value)
        self._name = value

    @property
    def persistent(self) -> bool:
        return self._persistent

    @persistent.setter
    def persistent(self, value: bool) -> None:
        self._check_alive()
        value = bool(value)
        owner = (None, None, None) if value else catalog.process_identity()
        with write(self._engine) as conn:
            catalog.update_dataset(conn, self._id, persistent=value, owner_host=owner[0], owner_pid=owner[1],
                                   owner_started=owner[2])
        if not value:
            _register_exit_cleanup(self._uri)
        self._persistent = value

    @property
    def created_at(self) -> datetime:
        """When the dataset was made: naive UTC, or aware in ``config.timezone`` (as FiftyOne)."""
        return store.read_datetime(store.stored_datetime(self._created_at))

    @property
    def last_loaded_at(self) -> datetime:
        return store.read_datetime(store.stored_datetime(self._last_loaded_at))

    @property
    def info(self) -> dict[str, Any]:
        """A dict of dataset-level information; assigning saves it, after changes in place call :meth:`save`."""
        if self._info is None:
            self._check_alive()
            with read(self._engine) as conn:
                row = catalog.get_dataset(conn, id=self._id)
            if row is None:  # deleted by another process
                raise self._gone()
            self._info = dict(row.info or {})
        return self._info

    @info.setter
    def info(self, value: dict[str, Any]) -> None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise FieldTypeError(f"dataset.info must be a dict, got {brief(value)}")
        self._info = dict(value)
        self.save()  # as FiftyOne: assigning saves; edits in place need save()

    def save(self) -> None:
        """Persist :attr:`info`, :attr:`classes`, :attr:`default_classes`, :attr:`description` and :attr:`tags`
        edited in place."""
        self._check_alive()
        with write(self._engine) as conn:
            catalog.update_dataset(conn, self._id, info=self.info)
        self._save_properties()

    def _set_info(self, **values: Any) -> None:
        self.info.update(values)
        self.save()

    @property
    def deleted(self) -> bool:
        return self._deleted

    def delete(self) -> None:
        """Delete the dataset and all its samples; sample objects keep their values but lose their id."""
        self._check_alive()
        with write(self._engine) as conn:
            catalog.drop_dataset(conn, self._id, self._table_name)
        self._deleted = True
        self._detach_samples(None)

    def reload(self) -> None:
        """Re-read the dataset and its in-memory samples from the database (unsaved edits are dropped).

        As FiftyOne, this counts as loading the dataset: :attr:`last_loaded_at` advances.
        """
        self._check_alive()
        self._last_loaded_at = _touch_loaded(self._engine, self._id) or self._last_loaded_at
        self._info = self._properties = None
        self._synced = None
        self._sync()
        self._refresh_samples(self._live_samples())

    # -- writing samples ------------------------------------------------------------------
    def add_sample(self, sample: Sample, expand_schema: bool = True) -> str:
        """Add one sample; returns its id. A sample from another dataset is copied."""
        return self.add_samples([sample], expand_schema=expand_schema)[0]

    def add_samples(self, samples: Iterable[Sample], expand_schema: bool = True) -> list[str]:
        """Add samples in transactions of :data:`WRITE_BATCH_SIZE`; returns their ids.

        New fields are added to the schema (their types inferred from the values)
        unless ``expand_schema=False``, in which case they raise.
        """
        samples = list(samples)
        self._expand_schema(samples, expand_schema)
        schema, table = self._sync()
        ids: list[str] = []
        for start in range(0, len(samples), WRITE_BATCH_SIZE):
            batch = samples[start : start + WRITE_BATCH_SIZE]
            now = catalog.utcnow()
            rows = []
            for sample in batch:
                row: dict[str, Any] = {"id": new_id(), "created_at": now, "last_modified_at": now}
                for name, value in sample._data.items():
                    if name in READONLY_FIELDS or (value is None and name not in schema.fields):
                        continue  # a new field whose values are all None is not added (as FiftyOne)
                    field = schema.fields[name]  # shared by threads: read only (its path is already name)
                    flatten(name, field, field.validate(value), row)
                rows.append(row)
            with write(self._engine) as conn:
                store.insert_rows(conn, table, rows)
            for sample, row in zip(batch, rows, strict=True):
                if sample._dataset is not None:
                    continue  # from a dataset (this one or another): a copy was added, the original stays
                values = dict.fromkeys(schema.fields)  # fields it lacks read as None; untyped None fields go
                values.update((n, v) for n, v in sample._data.items() if n in schema.fields)
                values.update(id=row["id"], created_at=now, last_modified_at=now)
                sample._bind(self, values)
                with self._samples_lock:
                    self._samples[row["id"]] = sample
            ids.extend(row["id"] for row in rows)
        if ids:
            self._note_image_samples()
        self._analyze(len(ids))
        return ids

    def _analyze(self, rows_written: int) -> None:
        """Refresh planner statistics after a write that changed a good part of the table."""
        if rows_written < 1000:
            return
        _, table = self._sync()
        with write(self._engine) as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() or 0
            if rows_written * 10 >= total:
                store.analyze(conn, table)

    def _expand_schema(self, samples: Sequence[Sample], expand_schema: bool) -> None:
        schema, _ = self._sync()
        inferred: dict[str, Field | None] = {}
        for sample in samples:
            for name, value in sample._data.items():
                if name in schema.fields or (inferred.get(name) is not None):
                    continue
                inferred[name] = infer_field(value)
        # a new field whose every value is None is left out, as FiftyOne does: its type cannot be inferred
        new = {n: f for n, f in inferred.items() if f is not None}
        if new and not expand_schema:
            raise UnknownFieldError(f"samples have fields {list(new)} that the dataset lacks; pass expand_schema=True")
        self._add_fields(new)

    def _set_values(self, field: str, values: Sequence[Any] | Mapping[str, Any], expand_schema: bool,
                    rowids: Callable[[], list[int]], collection: SampleCollection | None = None) -> None:
        """Implements ``collection.set_values``; ``rowids()`` gives the collection's rows in order.

        The in-memory samples of the collection are re-read afterwards (as FiftyOne).

        All values are written in one transaction: other readers see all of them or
        none, and a killed process leaves none (a new field it created stays, empty).
        """
        check_field_path(field)
        head, _, sub = field.partition(".")
        if head in READONLY_FIELDS:
            raise FieldError(f"field {head!r} is set by bakeoff and cannot be assigned")
        keys: list[Any]  # sample ids or row numbers
        if isinstance(values, Mapping):
            keys, vals, key = list(values.keys()), list(values.values()), "id"
            affected = self._live_samples(keys)
        else:
            vals = list(values)
            keys = rowids()
            key = store.ROWID
            if len(keys) != len(vals):  # FiftyOne writes the shorter of the two: see the README's differences
                raise ValuesLengthError(
                    f"set_values({field!r}, ...) got {len(vals)} values for {len(keys)} samples; "
                    "pass one value per sample in collection order, or a dict {sample_id: value}"
                )
            affected = self._live_in(collection or self)
        schema, _ = self._sync()
        if head not in schema.fields:
            if sub:
                raise UnknownFieldError(f"unknown field {head!r}; set the whole document first")
            inferred = next((infer_field(v) for v in vals if v is not None), None)
            if inferred is None or not expand_schema:
                raise UnknownFieldError(
                    f"unknown field {brief(field)}; add it with dataset.add_sample_field() first"
                    + (" (all values are None, so its type cannot be inferred)" if inferred is None else "")
                )
            self._add_fields({head: inferred})
        with write(self._engine) as conn:
            schema, table = self._sync()  # as of now: writers queue, so nothing changes it until commit
            self._write_values(conn, schema, table, field, key, keys, vals)
        self._analyze(len(keys))
        self._refresh_samples(affected)

    def _write_values(self, conn, schema: Schema, table: sa.Table, field: str, key: str, keys: Sequence[Any],
                      vals: Sequence[Any]) -> None:
        """Write ``vals`` into ``field`` of the rows whose ``key`` (id or rowid) is ``keys``, in ``conn``'s transaction."""
        head, _, sub = field.partition(".")
        target = copy.copy(schema.field(field))  # the schema's Field is shared by threads: never mutate it
        target.path = field
        now = catalog.utcnow()
        rows = []
        for k, v in zip(keys, vals, strict=True):
            row: dict[str, Any] = {key: k, "last_modified_at": now}
            flatten(field, target, target.validate(v), row)
            if sub and v is not None:
                row[head] = True
            rows.append(row)
        # with a sub-path, the document marker is set only where a value is: other rows' documents stay
        groups = [[r for r in rows if head in r], [r for r in rows if head not in r]] if sub else [rows]
        matched = 0
        for group in groups:
            for start in range(0, len(group), WRITE_BATCH_SIZE):
                matched += store.update_rows(conn, table, key, group[start : start + WRITE_BATCH_SIZE])
        if key == "id" and matched < len(rows):  # raised inside the transaction: nothing is written
            raise SampleNotFoundError(f"{len(rows) - matched} of the given sample ids are not in dataset "
                                      f"{self.name!r}; nothing was written")

    def _edit_tags(self, collection: SampleCollection, edit: Callable[[list[str]], list[str]]) -> None:
        """Read and rewrite the tags of ``collection``'s samples in one write transaction.

        Writers queue (SQLite's BEGIN IMMEDIATE, PostgreSQL's advisory lock), so the
        tags read here are the latest and nobody else's change is lost: two
        processes tagging at once both win. The collection's in-memory samples are re-read.
        """
        affected = self._live_in(collection)
        with write(self._engine) as conn:
            schema, table = self._sync()
            _, builder = collection._builder()
            rows = conn.execute(builder.select([store.ROWID, "tags"])).all()
            changed = [(rowid, edit(list(tags or []))) for rowid, tags in rows]
            changed = [(rowid, new) for (rowid, new), (_, old) in zip(changed, rows, strict=True) if new != (old or [])]
            self._write_values(conn, schema, table, "tags", store.ROWID, [r for r, _ in changed],
                               [t for _, t in changed])
        self._analyze(len(changed))
        self._refresh_samples(affected)

    def _save_sample(self, sample: Sample, changed: Iterable[str]) -> None:
        """Write the ``changed`` fields of ``sample`` (and its ``last_modified_at``)."""
        sample_id = sample.id
        if sample_id is None:  # deleted by another thread since save() looked
            raise SampleNotFoundError(f"the sample is no longer in dataset {self._name!r}; add it again with "
                                      "dataset.add_sample(sample)")
        names = [n for n in changed if n not in READONLY_FIELDS]
        new = [n for n in names if n not in self._sync()[0].fields]
        if new:
            self._expand_schema([Sample._from_db(self, {n: sample._data[n] for n in new})], True)
        schema, table = self._sync()
        names = [n for n in names if n in schema.fields]
        now = catalog.utcnow()
        row: dict[str, Any] = {"id": sample_id, "last_modified_at": now}
        for name in names:
            field = schema.fields[name]  # shared by threads: read only (its path is already name)
            flatten(name, field, field.validate(sample._data[name]), row)
        with write(self._engine) as conn:
            store.update_rows(conn, table, "id", [row])
        sample._data["last_modified_at"] = now
        if sample._view_fields is not None:  # a view's sample: the dataset's object of that id follows
            self._refresh_samples(self._live_samples([sample_id]))

    def delete_samples(self, samples_or_ids: Iterable[Sample | str]) -> None:
        """Delete samples (objects or ids) from the dataset."""
        if isinstance(samples_or_ids, str | Sample):
            samples_or_ids = [samples_or_ids]
        given = (s.id if isinstance(s, Sample) else s for s in samples_or_ids)
        ids = [i for i in given if i is not None]  # a sample in no dataset has no row to delete
        _, table = self._sync()
        with write(self._engine) as conn:
            store.delete_rows(conn, table, ids)
        self._detach_samples(ids)

    def clear(self) -> None:
        """Delete every sample (the schema stays)."""
        _, table = self._sync()
        with write(self._engine) as conn:
            conn.execute(table.delete())
        self._detach_samples(None)

    # -- copies, metadata, summary --------------------------------------------------------
    def clone(self, name: str | None = None, persistent: bool = False) -> Dataset:
        """A new dataset with the same samples (same ids), fields, indexes, runs and :attr:`info`."""
        schema, table = self._sync()
        copy = Dataset(name, persistent=persistent)
        target = store.build_table(copy._table_name, schema.columns())
        with write(self._engine) as conn:
            new_table = store.build_table(copy._table_name, Schema(DEFAULT_FIELDS).columns())
            new_table.drop(conn)
            store.create_table(conn, target)
            store.copy_rows(conn, table, target)
            for columns in store.list_indexes(conn, table).values():
                if len(columns) == 1 and columns[0] not in ("id", "filepath"):
                    store.create_index(conn, target, columns[0])
            conn.execute(catalog.fields_table.delete().where(catalog.fields_table.c.dataset_id == copy._id))
            catalog.copy_catalog_rows(conn, self._id, copy._id)
            source = catalog.get_dataset(conn, id=self._id)
            catalog.update_dataset(conn, copy._id, info=dict(source.info or {}) if source is not None else {})
            catalog.bump_schema_version(conn, copy._id)
        copy._synced = None
        copy._info = None
        return copy

    def summary(self) -> str:
        schema, _ = self._sync()
        width = max(len(n) for n in schema.fields) + 2
        lines = [
            f"Name:        {self.name}",
            "Media type:  image",
            f"Num samples: {self.count()}",
            f"Persistent:  {self.persistent}",
            "Sample fields:",
        ]
        lines += [f"    {name + ':':<{width}} {field!r}" for name, field in schema.fields.items()]
        return "\n".join(lines)

    def __repr__(self) -> str:
        if self._deleted:
            return f"<deleted dataset {self._name!r}>"
        return self.summary()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Dataset) and (self._uri, self._id) == (other._uri, other._id)

    def __copy__(self) -> Dataset:
        return self  # as FiftyOne: one object per dataset (use clone() for a copy of the data)

    def __deepcopy__(self, memo: dict) -> Dataset:
        return self

    def __hash__(self) -> int:
        return hash((self._uri, self._id))

    # -- importers (see bakeoff.core.importing) -------------------------------------------
    @classmethod
    def from_dir(cls, dataset_dir: str | os.PathLike, dataset_type=None, label_field: str = "ground_truth",
                 name: str | None = None, max_samples: int | None = None, shuffle: bool = False,
                 seed: int | None = None, persistent: bool = False, overwrite: bool = False,
                 compute_metadata: bool = True, progress: bool | None = None) -> Dataset:
        """A dataset from a folder with one subfolder of images per class.

        Example::

            dataset = fo.Dataset.from_dir("/data/pets", fo.types.ImageClassificationDirectoryTree)
        """
        from bakeoff.core.importing import import_directory_tree

        return import_directory_tree(cls, dataset_dir, dataset_type, label_field, name, max_samples, shuffle,
                                     seed, persistent, overwrite, compute_metadata, progress)


def _touch_loaded(engine, dataset_id: str) -> datetime | None:
    """Record now as the dataset's ``last_loaded_at`` (as FiftyOne) when that needs no waiting; the new time,
    or None when a writer holds the database or this thread is inside a read snapshot (it is bookkeeping)."""
    now = catalog.utcnow()
    with try_write(engine) as conn:
        if conn is None:
            return None
        catalog.update_dataset(conn, dataset_id, last_loaded_at=now)
    return now
