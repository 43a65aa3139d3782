"""What the layers above core may use of datasets and views besides the user's API: core's one interface.

:mod:`bakeoff.evaluation`, :mod:`bakeoff.inference` and :mod:`bakeoff.brain` work on
collections through the public API a user calls (``values``, ``set_values``,
``add_sample_field``, ``match``, ``transaction``, ...) and, for the few things a user never
calls, through this module only: none of them reads a private name of core
(``tests/test_layers.py`` checks it). Everything here takes a dataset or a view; what
belongs to the dataset (runs, statistics, the database) is its dataset's for a view.

Example, an evaluation storing its record::

    from bakeoff.core.interface import RunStore, field_writes, stages

    runs = RunStore(collection, "evaluation")
    runs.save("clip_eval", {"pred_field": "clip", "view": [s.to_dict() for s in stages(collection)],
                            "field_writes": field_writes(collection, ["clip", "ground_truth"])})
    runs.load("clip_eval")["config"]["pred_field"]      # 'clip'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from bakeoff.storage import catalog
from bakeoff.storage import samples as store
from bakeoff.storage.engine import read, write

if TYPE_CHECKING:
    import sqlalchemy as sa

    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.expressions import ViewExpression
    from bakeoff.core.stages import ViewStage

#: The path of each sample's row number in :func:`value_lists` and :class:`RowWriter` rows: a key that
#: stays put while the dataset lives (ids can be given by the user, row numbers cannot).
ROWID: str = store.ROWID

__all__ = ["ROWID", "RowWriter", "RunRecord", "RunStore", "database", "field_writes", "refresh_statistics",
           "root_dataset", "set_field_from_expression", "stages", "value_lists"]


def root_dataset(collection: SampleCollection) -> Dataset:
    """The dataset itself, or the dataset a view looks at."""
    return collection._root()


def stages(collection: SampleCollection) -> list[ViewStage]:
    """A view's stages in order (``[s.to_dict() for s in stages(view)]`` stores them); ``[]`` for a dataset."""
    return list(collection._stage_list())


def value_lists(collection: SampleCollection, paths: Sequence[str]) -> list[list[Any]]:
    """Several stored scalar paths read in one query (one scan), one list per path in collection order.

    Paths are ``"id"``, ``"filepath"``, ``"clip.label"``, ``"clip.confidence"``, :data:`ROWID`...;
    values come as stored (no documents built), which is what makes it fast on 100k samples.

    Example::

        ids, labels = value_lists(dataset, ["id", "ground_truth.label"])
    """
    return collection._value_lists(paths)


def set_field_from_expression(collection: SampleCollection, field: str, expr: ViewExpression) -> None:
    """Store ``expr``'s value in the existing scalar ``field`` of every sample of the collection.

    The database computes and writes the values in one statement; sample objects in memory are
    re-read. A document or list field raises :class:`~bakeoff.errors.FieldTypeError`.

    Example::

        set_field_from_expression(view, "clip_eval", F("clip.label") == F("ground_truth.label"))
    """
    collection._set_field_from_expression(field, expr)


def field_writes(collection: SampleCollection, paths: Sequence[str]) -> dict[str, int]:
    """``{path: writes}``: how many write transactions changed each top-level field so far.

    A field that does not exist (deleted, renamed) is left out. Comparing two readings tells whether
    a field changed in between (an evaluation is stale when its fields did).
    """
    dataset = root_dataset(collection)
    with read(dataset._engine) as conn:
        return catalog.field_writes(conn, dataset._id, list(paths))


def refresh_statistics(collection: SampleCollection, rows_written: int) -> None:
    """Tell the database planner about a bulk write of ``rows_written`` rows (done when it is a good part
    of the table; cheap otherwise). Writes through the public API do it themselves."""
    root_dataset(collection)._analyze(rows_written)


def database(collection: SampleCollection) -> sa.Engine:
    """The engine of the database the dataset lives in.

    For storage-level data kept beside the dataset's (the embedding cache of
    :mod:`bakeoff.storage.embeddings`), and to make several writes one transaction with
    :func:`bakeoff.storage.engine.write`: the writes of this module and of the public API
    join a transaction this thread holds on the same engine.
    """
    return root_dataset(collection)._engine


class RunRecord(TypedDict):
    """One stored run: what it was asked (``config``) and what it found (``results``), both JSON."""

    run_type: str
    key: str
    config: Any
    results: Any
    created_at: datetime
    updated_at: datetime


class RunStore:
    """The records of one type of run on a dataset (``"evaluation"``, ``"model"``...), keyed by a name.

    Records are JSON and travel with the dataset (``clone`` copies them); each write is one
    transaction, or joins the one this thread holds (:func:`database`).

    Example::

        runs = RunStore(dataset, "evaluation")
        runs.save("clip_eval", {"pred_field": "clip"})
        runs.keys()                          # ['clip_eval']
        runs.rename("clip_eval", "clip_eval_v1")
        runs.delete("clip_eval_v1")
    """

    def __init__(self, collection: SampleCollection, run_type: str) -> None:
        self.dataset = root_dataset(collection)
        self.run_type = run_type

    def __repr__(self) -> str:
        return f"RunStore({self.dataset.name!r}, {self.run_type!r})"

    def save(self, key: str, config: Any, results: Any = None) -> None:
        """Create or replace the record ``key``."""
        with write(self.dataset._engine) as conn:
            catalog.put_run(conn, self.dataset._id, self.run_type, key, config, results)

    def load(self, key: str) -> RunRecord | None:
        """The record ``key``, or None when there is none."""
        with read(self.dataset._engine) as conn:
            row = catalog.get_run(conn, self.dataset._id, self.run_type, key)
        return None if row is None else _record(row)

    def records(self) -> list[RunRecord]:
        """Every record of this type, oldest first."""
        with read(self.dataset._engine) as conn:
            return [_record(row) for row in catalog.list_runs(conn, self.dataset._id, self.run_type)]

    def keys(self) -> list[str]:
        """The keys of :meth:`records`, oldest first."""
        return [record["key"] for record in self.records()]

    def delete(self, key: str) -> None:
        """Delete the record ``key`` (nothing happens when there is none)."""
        with write(self.dataset._engine) as conn:
            catalog.delete_run(conn, self.dataset._id, self.run_type, key)

    def rename(self, old: str, new: str) -> None:
        """Give the record ``old`` the key ``new`` (nothing happens when there is no ``old``).

        ``new`` must be free: check with :meth:`load` first, since a taken key fails in the database
        (SQLAlchemy's ``IntegrityError``), not with a bakeoff error."""
        with write(self.dataset._engine) as conn:
            catalog.rename_run(conn, self.dataset._id, self.run_type, old, new)


def _record(row: sa.Row[Any]) -> RunRecord:
    return RunRecord(run_type=row.run_type, key=row.key, config=row.config, results=row.results,
                     created_at=row.created_at, updated_at=row.updated_at)


class RowWriter:
    """Stored values written straight into existing sample rows: the fast path of batch runs.

    ``apply_model`` builds flat rows itself, one per sample and batch::

        {ROWID: 7, "clip": True, "clip.label": "cat", "clip.confidence": 0.9, "clip.logits": None,
         "last_modified_at": catalog.utcnow()}

    Every key is a stored path of the dataset (a document field is its marker column plus its
    ``field.attr`` paths); values are not validated, so the fields must exist with those kinds
    (add them with ``add_sample_field`` first). Samples held in memory are not re-read. The writer
    knows the table as the dataset's schema was when it was made: make one per batch.
    """

    def __init__(self, collection: SampleCollection) -> None:
        self.dataset = root_dataset(collection)
        _, self._table = self.dataset._sync()

    def update(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """Write ``rows`` (matched by :data:`ROWID`) in one transaction, or in the one this thread holds;
        the number of rows that matched."""
        with write(self.dataset._engine) as conn:
            return store.update_rows(conn, self._table, ROWID, rows)
