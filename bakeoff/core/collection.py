"""What datasets and views share: stages, iteration, reads and aggregations.

Every read builds one query from the collection's stages
(:class:`~bakeoff.storage.query.QueryBuilder`) and runs it in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.core import aggregations as aggs
from bakeoff.core import stages as st
from bakeoff.core.brain_methods import BrainMethods
from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.evaluation_methods import EvaluationMethods
from bakeoff.core.expressions import ViewExpression, ViewField
from bakeoff.core.fields import EmbeddedDocumentField, Field, ListField
from bakeoff.core.inference_methods import InferenceMethods
from bakeoff.core.sample import Sample, normalize_filepath
from bakeoff.core.schema import Schema, decode, document_list_type, list_element_kinds, needs_decoding, unflatten
from bakeoff.errors import (
    EmptyCollectionError,
    FieldTypeError,
    InvalidViewError,
    SampleIndexError,
    SampleNotFoundError,
    UnknownAttributeError,
    suggest,
)
from bakeoff.storage import aggregate as store_aggregate
from bakeoff.storage.engine import read
from bakeoff.storage.query import QueryBuilder
from bakeoff.storage.samples import ROWID

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.view import DatasetView

#: samples fetched per query while iterating
ITER_CHUNK = 1000

_HEX = frozenset("0123456789abcdef")


class SampleCollection(EvaluationMethods, InferenceMethods, BrainMethods):
    """Base of :class:`Dataset` and :class:`DatasetView`."""

    #: whether reads return the dataset's own sample objects (a dataset) or separate ones (a view)
    _yields_dataset_samples = False

    # -- attributes: a misspelt one raises instead of sticking to this object only -------------
    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):
            attribute = getattr(type(self), name, None)
            kind = type(self).__name__
            if not isinstance(attribute, property):
                raise UnknownAttributeError(
                    f"{kind!r} object has no attribute {name!r}.{suggest(name, _settable(type(self)))} "
                    f"Settable attributes: {', '.join(_settable(type(self)))}"
                )
            if attribute.fset is None:
                hint = " (save the view under a name with dataset.save_view(name, view))" if name == "name" else ""
                raise UnknownAttributeError(f"property {name!r} of {kind!r} object has no setter{hint}")
        object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:  # only called for names that do not exist
        if name.startswith("__"):
            raise AttributeError(name)
        attribute = getattr(type(self), name, None)
        if isinstance(attribute, property):  # its getter raised AttributeError: let that error through
            return attribute.__get__(self, type(self))
        public = [n for n in dir(type(self)) if not n.startswith("_")]
        raise UnknownAttributeError(f"{type(self).__name__!r} object has no attribute {name!r}.{suggest(name, public)}")

    def _root(self) -> Dataset:
        raise NotImplementedError

    def _stage_list(self) -> list[st.ViewStage]:
        return []

    def _builder(self) -> tuple[Schema, QueryBuilder]:
        """The view's schema (the fields it can read) and its query, ready for reads.

        Each stage sees the schema as the stages before it left it; reads through the builder afterwards
        raise :class:`~bakeoff.errors.UnknownFieldError` for a field the view does not have.
        """
        root = self._root()
        schema, table = root._sync()
        if self is not root:
            schema = schema.restricted(owner=type(self).__name__)
        lists = {f"{name}.{attr}": list_element_kinds(element)
                 for name, field in schema.fields.items() if isinstance(field, EmbeddedDocumentField)
                 for attr, sub in field.fields.items() if (element := document_list_type(sub)) is not None}
        list_kinds = {name: getattr(field.field, "kind", None) or "" for name, field in schema.fields.items()
                      if isinstance(field, ListField)}
        list_kinds.update((path, "") for path in lists)  # lists of documents
        builder = QueryBuilder(table, schema.columns(), root._engine.dialect.name, lists, schema.owner, list_kinds)
        for stage in self._stage_list():
            stage.apply(builder, schema)
            schema = stage.narrow(schema)
        builder.strict = True
        return schema, builder

    def _view_schema(self) -> Schema:
        """The fields this collection can read: the dataset's, less those ``select_fields``/``exclude_fields``
        hide. ``schema.field(path)`` raises UnknownFieldError ("DatasetView has no field 'x'") for the others.
        Call it inside the same ``read()`` as the query it checks, for one snapshot."""
        return self._builder()[0]

    # -- view stages ----------------------------------------------------------------------
    def _add_stage(self, stage: st.ViewStage) -> DatasetView:
        from bakeoff.core.view import DatasetView

        view = DatasetView(self._root(), [*self._stage_list(), stage])
        view._builder()  # validate now: a bad field fails here, not at first use
        return view

    def view(self) -> DatasetView:
        from bakeoff.core.view import DatasetView

        return DatasetView(self._root(), self._stage_list())

    def match(self, filter: ViewExpression) -> DatasetView:  # noqa: A002
        """Samples for which ``filter`` holds, e.g. ``match((F("a_eval") == True) & (F("b_eval") == False))``."""
        return self._add_stage(st.Match(filter))

    def match_tags(self, tags: str | Iterable[str], bool: bool = True) -> DatasetView:  # noqa: A002
        return self._add_stage(st.MatchTags(tags, bool))

    def exists(self, field: str, bool: bool = True) -> DatasetView:  # noqa: A002
        return self._add_stage(st.Exists(field, bool))

    def sort_by(self, field_or_expr: str | ViewExpression, reverse: bool = False) -> DatasetView:
        return self._add_stage(st.SortBy(field_or_expr, reverse))

    def limit(self, limit: int) -> DatasetView:
        return self._add_stage(st.Limit(limit))

    def skip(self, skip: int) -> DatasetView:
        return self._add_stage(st.Skip(skip))

    def take(self, size: int, seed: int | None = None) -> DatasetView:
        return self._add_stage(st.Take(size, seed))

    def shuffle(self, seed: int | None = None) -> DatasetView:
        return self._add_stage(st.Shuffle(seed))

    def select(self, sample_ids: str | Iterable[str], ordered: bool = False) -> DatasetView:
        """The samples with these ids (in collection order, or in the given order with ``ordered=True``)."""
        return self._add_stage(st.Select(sample_ids, ordered))

    def exclude(self, sample_ids: str | Iterable[str]) -> DatasetView:
        return self._add_stage(st.Exclude(sample_ids))

    def select_fields(self, field_names: str | Iterable[str] | None = None) -> DatasetView:
        return self._add_stage(st.SelectFields(field_names))

    def exclude_fields(self, field_names: str | Iterable[str]) -> DatasetView:
        return self._add_stage(st.ExcludeFields(field_names))

    def set_field(self, field: str, expr: Any) -> DatasetView:
        """A view in which ``field`` holds ``expr``'s value (the dataset is unchanged)."""
        return self._add_stage(st.SetField(field, expr))

    def filter_labels(self, field: str, filter: ViewExpression | bool, only_matches: bool = True) -> DatasetView:  # noqa: A002
        """Only the labels of ``field`` for which ``filter`` holds, e.g. ``filter_labels("tags_pred", F("confidence") > 0.5)``."""
        return self._add_stage(st.FilterLabels(field, filter, only_matches))

    # -- size and iteration ---------------------------------------------------------------
    def __len__(self) -> int:
        return self.count()

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[Sample]:
        return self.iter_samples()

    def _rowids(self) -> list[int]:
        with read(self._root()._engine) as conn:
            _, builder = self._builder()
            return list(conn.execute(builder.select([ROWID])).scalars())

    def iter_samples(self) -> Iterator[Sample]:
        """Samples in the collection's order, fetched in chunks (writers are never blocked).

        A dataset yields its own sample objects (the ones already in memory, as they are);
        a view yields separate ones.
        """
        return self._iter_samples(self._yields_dataset_samples)

    def _iter_samples(self, live: bool) -> Iterator[Sample]:
        rowids = self._rowids()
        root = self._root()
        for start in range(0, len(rowids), ITER_CHUNK):
            chunk = rowids[start : start + ITER_CHUNK]
            with read(root._engine) as conn:  # each chunk: its schema and rows from one snapshot
                schema, builder = self._builder()
                visible = list(schema.fields)
                rows = conn.execute(builder.select_rows(chunk)).mappings().all()
            by_rowid = {row[ROWID]: row for row in rows}
            for rowid in chunk:
                row = by_rowid.get(rowid)
                if row is not None:  # deleted meanwhile
                    yield root._sample_from_row(schema, row, visible, live)

    def first(self) -> Sample:
        """The first sample; :class:`~bakeoff.errors.EmptyCollectionError` (a ValueError) if there is none."""
        for sample in self.limit(1)._iter_samples(self._yields_dataset_samples):
            return sample
        raise self._empty()

    def last(self) -> Sample:
        """The last sample; :class:`~bakeoff.errors.EmptyCollectionError` (a ValueError) if there is none."""
        ids = self.values("id")
        if not ids:
            raise self._empty()
        return self[ids[-1]]

    def _empty(self) -> EmptyCollectionError:
        # FiftyOne's words ("Dataset is empty", "DatasetView is empty"), then which one
        return EmptyCollectionError(f"{type(self).__name__} is empty: {self._describe()} has no samples")

    def head(self, num_samples: int = 3) -> list[Sample]:
        return list(self.limit(num_samples)._iter_samples(self._yields_dataset_samples))

    def __getitem__(self, key: Any) -> Any:
        """A sample by id or filepath; a view for a slice (``dataset[10:20]``) or a boolean expression.

        Example::

            dataset[sample_id] is dataset[sample_id]   # True: one object per sample
            dataset["/data/cat.jpg"].id
            dataset[F("clip_eval") == False]            # same as dataset.match(...)
        """
        if isinstance(key, slice):
            return self._slice(key)
        if isinstance(key, ViewExpression):
            return self.match(key)
        if isinstance(key, int | np.integer):  # bool too, as FiftyOne
            raise SampleIndexError(
                f"samples are not indexed by position ({key!r}): use a sample id, a filepath, a slice such as "
                "dataset[10:20], or a boolean expression such as dataset[F('clip_eval') == False]"
            )
        if isinstance(key, str) and len(key) == 24 and _HEX.issuperset(key):
            found, what = self.select(key), "id"
        else:
            found, what = self.match(ViewField("filepath") == normalize_filepath(str(key))), "filepath"
        for sample in found._iter_samples(self._yields_dataset_samples):
            return sample
        raise SampleNotFoundError(f"no sample with {what} {key!r} in {self._describe()}")

    def _slice(self, key: slice) -> DatasetView:
        if key.step not in (None, 1):
            raise InvalidViewError(f"unsupported slice {key!r}: a step is not supported")
        start, stop = key.start, key.stop
        if (start is not None and start < 0) or (stop is not None and stop < 0):
            start, stop, _ = key.indices(len(self))
        start = start or 0
        view = self.skip(start) if start else self.view()
        return view if stop is None else view.limit(max(stop - start, 0))

    # -- reads ----------------------------------------------------------------------------
    def values(self, field_or_expr: str | ViewExpression) -> list[Any]:
        """Values of a field path or expression in collection order (documents for label fields).

        Example::

            dataset.values("ground_truth.label")[:3]   # ['horse', 'ak47', 'horse']
            dataset.values(F("clip.confidence") * 100)
        """
        if not isinstance(field_or_expr, str):
            return self.aggregate(aggs.Values(field_or_expr))
        with read(self._root()._engine) as conn:
            schema, builder = self._builder()
            target = schema.field(field_or_expr)
            columns = _columns_of(field_or_expr, target)
            result = conn.execute(builder.select(columns))
            if len(columns) == 1:
                return [decode(target, v) for v in result.scalars()] if needs_decoding(target) else list(result.scalars())
            rows = result.mappings().all()
        return [unflatten(field_or_expr, target, row) for row in rows]

    def _value_lists(self, paths: Sequence[str]) -> list[list[Any]]:
        """Several scalar paths read in one query (one scan), as one list per path."""
        with read(self._root()._engine) as conn:
            schema, builder = self._builder()
            for path in paths:
                if path != ROWID:
                    schema.field(path)
            rows = conn.execute(builder.select(list(paths))).all()
        return [[row[i] for row in rows] for i in range(len(paths))]  # 10x faster than zip(*rows)

    def _set_field_from_expression(self, field: str, expr: ViewExpression) -> None:
        """Store ``expr``'s value in an existing scalar ``field`` of every sample in this collection.

        The database computes and writes the values in one statement (no rows travel to Python).
        """
        root = self._root()
        from bakeoff.storage import catalog
        from bakeoff.storage import samples as store
        from bakeoff.storage.engine import write

        affected = root._live_in(self)  # re-read afterwards, as after set_values
        with write(root._engine) as conn:  # the schema, the expression and the update: one transaction
            schema, builder = self._builder()
            target = schema.field(field)
            if target.kind in (None, "marker", "json", "f32array"):
                raise FieldTypeError(f"cannot compute {field!r} ({type(target).__name__}) from an expression")
            value = builder.compiler.value(expr)
            rowids = None if not self._stage_list() else builder.select([ROWID]).subquery().select()
            table = builder.table  # the same Table object the expression refers to
            store.update_from_query(conn, table, {field: value, "last_modified_at": catalog.utcnow()}, rowids)
        root._analyze(1 << 30)
        root._refresh_samples(affected)

    def aggregate(self, aggregations: aggs.Aggregation | Sequence[aggs.Aggregation]) -> Any:
        """Run one aggregation, or several in one snapshot (returns a list)."""
        single = isinstance(aggregations, aggs.Aggregation)
        items = [aggregations] if isinstance(aggregations, aggs.Aggregation) else list(aggregations)
        with read(self._root()._engine):  # the schema, each spec's field checks and the query: one snapshot
            schema, builder = self._builder()
            for item in items:
                if item.expr is not None and item.expr.op == "field" and item.expr.args[0]:
                    schema.field(item.expr.args[0])  # unknown paths: the error lists the fields
            specs = [item.spec(self) for item in items]
            raw = store_aggregate.run(self._root()._engine, builder, specs)
            kinds = [builder.compiler.kind(item.expr) if item.expr is not None else None for item in items]
        out = [item.parse(r, k) for item, r, k in zip(items, raw, kinds, strict=True)]
        return out[0] if single else out

    def count(self, field_or_expr: str | ViewExpression | None = None) -> int:
        """Number of samples, or of non-missing values of a field or expression."""
        if field_or_expr is None:
            with read(self._root()._engine) as conn:
                _, builder = self._builder()
                return int(conn.execute(builder.count()).scalar() or 0)
        return self.aggregate(aggs.Count(field_or_expr))

    def count_values(self, field_or_expr: str | ViewExpression) -> dict[Any, int]:
        """``{value: count}``, e.g. ``dataset.count_values("clip_eval")`` -> ``{False: 197, True: 803}``."""
        return self.aggregate(aggs.CountValues(field_or_expr))

    def distinct(self, field_or_expr: str | ViewExpression) -> list[Any]:
        """Sorted distinct values, e.g. ``classes = dataset.distinct("ground_truth.label")``."""
        self._check_scalar(field_or_expr, "distinct")
        return self.aggregate(aggs.Distinct(field_or_expr))

    def mean(self, field_or_expr: str | ViewExpression) -> float:
        """Mean of the non-missing values (0 if none), e.g. ``dataset.mean(F("clip.confidence"))``."""
        return self.aggregate(aggs.Mean(field_or_expr))

    def std(self, field_or_expr: str | ViewExpression, sample: bool = False) -> float:
        return self.aggregate(aggs.Std(field_or_expr, sample=sample))

    def sum(self, field_or_expr: str | ViewExpression) -> float:
        return self.aggregate(aggs.Sum(field_or_expr))

    def bounds(self, field_or_expr: str | ViewExpression) -> tuple[Any, Any]:
        return self.aggregate(aggs.Bounds(field_or_expr))

    def histogram_values(self, field_or_expr: str | ViewExpression, bins: int = 10,
                         range: tuple[float, float] | None = None) -> tuple[list[int], list[float], int]:  # noqa: A002
        return self.aggregate(aggs.HistogramValues(field_or_expr, bins=bins, range=range))

    def quantiles(self, field_or_expr: str | ViewExpression, quantiles: float | list[float]) -> Any:
        return self.aggregate(aggs.Quantiles(field_or_expr, quantiles))

    def _check_scalar(self, field_or_expr, verb: str) -> None:
        if isinstance(field_or_expr, str):
            if isinstance(self._view_schema().field(field_or_expr), EmbeddedDocumentField):
                raise FieldTypeError(f"{verb}() needs a scalar path such as '{field_or_expr}.label', "
                                     f"not the document {field_or_expr!r}")

    # -- writes through a collection ------------------------------------------------------
    def tag_samples(self, tags: str | Iterable[str]) -> None:
        """Add tags to every sample of this collection, e.g. ``view.tag_samples("review")``."""
        new = [tags] if isinstance(tags, str) else list(tags)
        self._root()._edit_tags(self, lambda current: current + [x for x in new if x not in current])

    def untag_samples(self, tags: str | Iterable[str]) -> None:
        """Remove tags from every sample of this collection."""
        gone = {tags} if isinstance(tags, str) else set(tags)
        self._root()._edit_tags(self, lambda current: [x for x in current if x not in gone])

    def count_sample_tags(self) -> dict[str, int]:
        """``{tag: number of samples}`` in this collection."""
        return self.count_values("tags")

    def set_values(self, field: str, values: Any, expand_schema: bool = True) -> None:
        """Set ``field`` on each sample: a list in this collection's order, or ``{sample_id: value}``.

        Example::

            dataset.set_values("clip", [fo.Classification(label=l) for l in labels])
            view.set_values("reviewed", [True] * len(view))
        """
        if self is not self._root():
            schema = self._view_schema()
            if field.partition(".")[0] in schema.hidden:
                schema.field(field)  # raises: the view hides it (FiftyOne: "DatasetView has no field")
        self._root()._set_values(field, values, expand_schema, self._rowids, self)

    def compute_metadata(self, overwrite: bool = False, num_workers: int | None = None,
                         skip_failures: bool = True, progress: bool | None = None) -> int:
        """Fill ``metadata`` (size, mime type, width, height, channels) from file headers.

        Unreadable files get ``metadata=None`` and a ``media_error`` string field
        saying why (or raise, with ``skip_failures=False``). Returns the number of failures.
        """
        from bakeoff.core.importing import fill_metadata

        return fill_metadata(self, overwrite, num_workers, skip_failures, progress)

    # -- schema ---------------------------------------------------------------------------
    def get_field_schema(self, ftype: type[Field] | None = None, embedded_doc_type: type[EmbeddedDocument] | None = None,
                         flat: bool = False) -> dict[str, Field]:
        """``{name: field}`` of top-level fields (``flat=True`` adds ``doc.attr`` paths), optionally filtered.

        Example::

            dataset.get_field_schema(ftype=fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
        """
        root = self._root()
        with read(root._engine):  # every field of the answer from one snapshot
            schema = self._view_schema()
            out = {}
            for path in schema.paths() if flat else list(schema.fields):
                field = root.get_field(path)
                if ftype is not None and not isinstance(field, ftype):
                    continue
                if embedded_doc_type is not None and getattr(field, "document_type", None) is not embedded_doc_type:
                    continue
                out[path] = field
        return out

    def has_field(self, path: str) -> bool:
        """Whether this collection can read ``path`` (False for a field its ``select_fields`` hides)."""
        return path in self._view_schema()

    def _describe(self) -> str:
        return f"dataset {self._root().name!r}"


def _settable(cls: type) -> list[str]:
    return [n for n in dir(cls) if not n.startswith("_") and isinstance(getattr(cls, n), property)
            and getattr(cls, n).fset is not None]


def _columns_of(path: str, field: Field) -> list[str]:
    if isinstance(field, EmbeddedDocumentField):
        return [path, *(f"{path}.{sub}" for sub in field.fields)]
    return [path]


__all__ = ["SampleCollection", "ViewField"]
