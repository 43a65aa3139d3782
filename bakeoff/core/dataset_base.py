"""The state every part of a :class:`~bakeoff.core.dataset.Dataset` shares, and the reads they all need.

``Dataset`` is built from parts that each do one job: its live sample objects
(:mod:`~bakeoff.core.live_samples`), its fields (:mod:`~bakeoff.core.field_management`), saved views,
indexes and properties (:mod:`~bakeoff.core.dataset_extras`), and the rest in
:mod:`~bakeoff.core.dataset`. Each part extends :class:`DatasetBase`, which declares the attributes
``Dataset.__init__`` sets and implements :meth:`~DatasetBase._sync` and :meth:`~DatasetBase._check_alive`,
so a part reads as what it is and a type checker checks it on its own. Only ``Dataset`` is ever made.
"""

from __future__ import annotations

import threading
import weakref
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from bakeoff.core.collection import SampleCollection
from bakeoff.core.sample import Sample
from bakeoff.core.schema import Schema
from bakeoff.errors import DatasetNotFoundError
from bakeoff.storage import catalog
from bakeoff.storage import samples as store
from bakeoff.storage.engine import in_write, lock_for_reading, read


class DatasetBase(SampleCollection):
    """What a dataset is made of; the attributes are set by ``Dataset.__init__``."""

    _uri: str
    _engine: sa.Engine
    _deleted: bool
    #: the catalog row's: the id never changes; the name and persistence are re-read by :meth:`_sync`
    _id: str
    _name: str
    _persistent: bool
    _table_name: str
    _created_at: datetime
    _last_loaded_at: datetime
    #: (schema, table) of the last schema version read, or None to read it again
    _synced: tuple[Schema, sa.Table] | None
    #: ``info`` and the properties (classes, default_classes, description, tags, media_type) as last
    #: read or assigned; None until first used and after ``reload()``
    _info: dict[str, Any] | None
    _properties: dict[str, Any] | None
    #: id -> the one in-memory Sample of that id; weak, so samples nobody holds are freed
    _samples: weakref.WeakValueDictionary[str, Sample]
    _samples_lock: threading.Lock  # App threads share datasets and their samples

    def _check_alive(self) -> None:
        if self._deleted:
            raise self._gone()

    def _gone(self) -> DatasetNotFoundError:
        """The dataset is deleted (found now when another process deleted it): the error to raise."""
        self._deleted = True
        return DatasetNotFoundError(f"dataset {self._name!r} is deleted")

    def _sync(self) -> tuple[Schema, sa.Table]:
        """The schema and table as of the current read's snapshot (re-read when another process changed them).

        Called inside a :func:`~bakeoff.storage.engine.read`, the schema comes from
        the same snapshot as the rows the caller then reads: a field another process
        adds or drops meanwhile is either there for the whole read or not at all.
        Threads share this object (the App): each gets the pair for its own snapshot.
        """
        self._check_alive()
        with read(self._engine) as conn:
            present = lock_for_reading(conn, self._table_name)
            row = catalog.get_dataset(conn, id=self._id)
            if row is None or not present:
                raise self._gone()
            self._name, self._persistent = row.name, bool(row.persistent)
            cached = self._synced
            if cached is None or cached[0].version != row.schema_version or in_write(conn):
                schema = Schema.from_catalog(catalog.field_rows(conn, self._id), row.schema_version)
                cached = (schema, store.build_table(self._table_name, schema.columns()))
                if not in_write(conn):  # an uncommitted schema may yet be rolled back: never cache it
                    self._synced = cached  # one assignment: other threads see the old pair or the new one
        return cached

    def _has_samples(self) -> bool:
        _, table = self._sync()
        with read(self._engine) as conn:
            return conn.execute(sa.select(table.c.id).limit(1)).first() is not None
