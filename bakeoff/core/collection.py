"""Read operations shared by datasets and (later) views."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import EmbeddedDocumentField, Field, ListField
from bakeoff.core.sample import Sample
from bakeoff.core.schema import unflatten
from bakeoff.errors import SampleNotFoundError
from bakeoff.storage import samples as store
from bakeoff.storage.engine import read

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset


def _sort_key(value: Any):
    # FiftyOne sorts distinct values; mixed types sort by type name first
    return (type(value).__name__, value)


class SampleCollection:
    """Base of :class:`Dataset` (and views): counting, iterating and reading fields."""

    # subclasses provide
    def _root(self) -> Dataset:
        raise NotImplementedError

    def _where(self):
        """A SQL filter on the samples table, or None for all samples."""
        return None

    # -- size and iteration ---------------------------------------------------------------
    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[Sample]:
        return self.iter_samples()

    def iter_samples(self) -> Iterator[Sample]:
        """Samples in insertion order, read in chunks (writers are never blocked)."""
        root = self._root()
        schema, table = root._sync()
        for row in store.iter_rows(root._engine, table, where=self._where()):
            yield root._sample_from_row(schema, row._mapping)

    def first(self) -> Sample:
        """The first sample; ValueError if the collection is empty."""
        for sample in self.iter_samples():
            return sample
        raise ValueError(f"{self._describe()} is empty")

    def head(self, num_samples: int = 3) -> list[Sample]:
        out = []
        for sample in self.iter_samples():
            if len(out) >= num_samples:
                break
            out.append(sample)
        return out

    def __getitem__(self, sample_id: str) -> Sample:
        root = self._root()
        schema, table = root._sync()
        where = table.c.id == sample_id
        if self._where() is not None:
            where = where & self._where()
        with read(root._engine) as conn:
            row = conn.execute(sa.select(table).where(where)).first()
        if row is None:
            raise SampleNotFoundError(f"no sample with id {sample_id!r} in {self._describe()}")
        return root._sample_from_row(schema, row._mapping)

    # -- aggregations (the views issue adds expressions and the rest) ---------------------
    def count(self, field: str | None = None) -> int:
        """Number of samples, or of samples whose ``field`` is not None."""
        root = self._root()
        schema, table = root._sync()
        if field is None:
            query = sa.select(sa.func.count()).select_from(table)
        else:
            schema.field(field)
            query = sa.select(sa.func.count(table.c[field]))
        if self._where() is not None:
            query = query.where(self._where())
        with read(root._engine) as conn:
            return int(conn.execute(query).scalar() or 0)

    def values(self, field: str) -> list[Any]:
        """The values of ``field`` (a path such as ``"clip.confidence"``) in collection order.

        Example::

            dataset.values("ground_truth.label")[:3]   # ['horse', 'ak47', 'horse']
        """
        root = self._root()
        schema, table = root._sync()
        target = schema.field(field)
        columns = _columns_of(field, target)
        query = sa.select(*[table.c[c] for c in columns]).order_by(table.c[store.ROWID])
        if self._where() is not None:
            query = query.where(self._where())
        with read(root._engine) as conn:
            result = conn.execute(query)
            if len(columns) == 1:
                return list(result.scalars())
            rows = result.mappings().all()
        return [unflatten(field, target, row) for row in rows]

    def distinct(self, field: str) -> list[Any]:
        """Sorted distinct non-None values of ``field``; list fields contribute their elements.

        Example::

            classes = dataset.distinct("ground_truth.label")
        """
        root = self._root()
        schema, table = root._sync()
        target = schema.field(field)
        if isinstance(target, EmbeddedDocumentField):
            raise TypeError(f"distinct() needs a scalar path such as '{field}.label', not the document {field!r}")
        if isinstance(target, ListField):
            values = {v for lst in self.values(field) if lst for v in lst if v is not None}
        else:
            query = sa.select(table.c[field]).distinct().where(table.c[field].is_not(None))
            if self._where() is not None:
                query = query.where(self._where())
            with read(root._engine) as conn:
                values = set(conn.execute(query).scalars())
        return sorted(values, key=_sort_key)

    # -- schema ---------------------------------------------------------------------------
    def get_field_schema(self, ftype: type[Field] | None = None, embedded_doc_type: type[EmbeddedDocument] | None = None,
                         flat: bool = False) -> dict[str, Field]:
        """``{name: field}`` of top-level fields (with ``flat=True`` also ``doc.attr`` paths), optionally filtered.

        Example::

            dataset.get_field_schema(ftype=fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
        """
        root = self._root()
        schema, _ = root._sync()
        out = {}
        paths = schema.paths() if flat else list(schema.fields)
        for path in paths:
            field = root.get_field(path)
            if ftype is not None and not isinstance(field, ftype):
                continue
            if embedded_doc_type is not None and getattr(field, "document_type", None) is not embedded_doc_type:
                continue
            out[path] = field
        return out

    def has_field(self, path: str) -> bool:
        schema, _ = self._root()._sync()
        return path in schema

    def _describe(self) -> str:
        return f"dataset {self._root().name!r}"


def _columns_of(path: str, field: Field) -> list[str]:
    if isinstance(field, EmbeddedDocumentField):
        return [path, *(f"{path}.{sub}" for sub in field.fields)]
    return [path]
