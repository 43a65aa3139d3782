"""Aggregations over a view's rows, run inside the database.

``run(engine, builder, specs)`` takes aggregation specs (``kind``, ``expr``,
options) from core and returns raw results in one read transaction (one
consistent snapshot). Scalar aggregations (count, sum, mean, std, bounds) share
a single SELECT — one scan of the table for all of them; grouped ones
(count_values, distinct) and value lists each run one more query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bakeoff.storage.compiler import BOOLEAN_KINDS, UnsupportedExpressionError, json_array_or_null
from bakeoff.storage.engine import read
from bakeoff.storage.query import QueryBuilder

SCALAR_KINDS = frozenset({"count", "sum", "mean", "std", "bounds"})


@dataclass
class AggregationSpec:
    """What to compute: ``kind`` over ``expr`` (None: count rows), with ``options``."""

    kind: str
    expr: Any = None
    options: dict[str, Any] = field(default_factory=dict)


def run(engine: Engine, builder: QueryBuilder, specs: Sequence[AggregationSpec]) -> list[Any]:
    if builder.limit is not None or builder.offset:
        builder._wrap()  # aggregate over the sliced rows, not before the slice
    compiler = builder.compiler
    results: list[Any] = [None] * len(specs)
    scalar_cols: list[sa.ColumnElement] = []
    scalar_slots: list[tuple[int, int]] = []  # (spec index, number of columns)
    for i, spec in enumerate(specs):
        if spec.kind in SCALAR_KINDS:
            cols = _scalar_columns(spec, compiler)
            scalar_slots.append((i, len(cols)))
            scalar_cols.extend(cols)
    with read(engine) as conn:
        if scalar_cols:
            query = sa.select(*scalar_cols).select_from(builder.source)
            if builder.where:
                query = query.where(*builder.where)
            row = conn.execute(query).one()
            position = 0
            for i, width in scalar_slots:
                results[i] = tuple(row[position : position + width])
                position += width
        for i, spec in enumerate(specs):
            if spec.kind in SCALAR_KINDS:
                continue
            if spec.kind == "count_values":
                results[i] = _count_values(conn, builder, spec)
            elif spec.kind == "distinct":
                results[i] = _distinct(conn, builder, spec)
            elif spec.kind == "values":
                query = builder.select_expressions([compiler.value(spec.expr).label("v")])
                results[i] = list(conn.execute(query).scalars())
            else:
                raise UnsupportedExpressionError(f"unknown aggregation {spec.kind!r}")
    return results


def _numeric(compiler, expr) -> sa.ColumnElement:
    value = compiler.value(expr)
    if compiler.kind(expr) in BOOLEAN_KINDS:
        value = sa.cast(value, sa.Integer())
    return sa.cast(value, sa.Float())


def _scalar_columns(spec: AggregationSpec, compiler) -> list[sa.ColumnElement]:
    if spec.kind == "count":
        return [sa.func.count() if spec.expr is None else sa.func.count(compiler.value(spec.expr))]
    value = _numeric(compiler, spec.expr)
    if spec.kind == "sum":
        return [sa.func.sum(value)]
    if spec.kind == "mean":
        return [sa.func.avg(value)]
    if spec.kind == "bounds":
        raw = compiler.sortable(spec.expr)  # text by code point on every backend
        if compiler.dialect == "postgresql" and compiler.kind(spec.expr) in BOOLEAN_KINDS:
            return [sa.func.bool_and(raw), sa.func.bool_or(raw)]  # PostgreSQL has no min(boolean)
        return [sa.func.min(raw), sa.func.max(raw)]
    if spec.kind == "std":
        return [sa.func.count(value), sa.func.avg(value), sa.func.avg(value * value)]
    raise UnsupportedExpressionError(f"unknown scalar aggregation {spec.kind!r}")


def _unwound(conn, builder: QueryBuilder, spec: AggregationSpec):
    """(value column, FROM clause, extra WHERE) for list fields, whose elements are counted."""
    column = builder.compiler.value(spec.expr)
    if conn.dialect.name == "sqlite":
        each = sa.func.json_each(column).table_valued("value", joins_implicitly=True)
        return each.c.value, each
    if conn.dialect.name == "postgresql":
        # elements come back as text (list fields hold strings: tags, classes)
        each = sa.func.json_array_elements_text(json_array_or_null(column)).table_valued(
            "value", joins_implicitly=True)
        return each.c.value, each
    raise UnsupportedExpressionError(f"counting list elements is not supported by the {conn.dialect.name} backend")


def _grouped_source(conn, builder: QueryBuilder, spec: AggregationSpec):
    if spec.options.get("unwind"):
        value, each = _unwound(conn, builder, spec)
        return value, [builder.source, each]
    return builder.compiler.value(spec.expr), [builder.source]


def _count_values(conn, builder: QueryBuilder, spec: AggregationSpec) -> dict[Any, int]:
    value, froms = _grouped_source(conn, builder, spec)
    key = value.label("k")
    if builder.where and conn.dialect.name == "sqlite" and not spec.options.get("unwind"):
        # Filter first, then group. Grouped directly, SQLite walks the whole index of the grouped
        # column and looks up every row to test the filter (5x slower on 100k rows); a subquery
        # with a LIMIT is never flattened, so the filter's own index is used instead.
        rows = sa.select(key).select_from(*froms).where(*builder.where).limit(-1).subquery()
        query = sa.select(rows.c.k, sa.func.count()).group_by(rows.c.k)
        return {k: int(n) for k, n in conn.execute(query)}
    query = sa.select(key, sa.func.count()).select_from(*froms)
    if builder.where:
        query = query.where(*builder.where)
    query = query.group_by(key)
    return {k: int(n) for k, n in conn.execute(query)}


def _distinct(conn, builder: QueryBuilder, spec: AggregationSpec) -> list[Any]:
    value, froms = _grouped_source(conn, builder, spec)
    query = sa.select(value.label("k")).select_from(*froms).where(value.is_not(None)).distinct()
    if builder.where:
        query = query.where(*builder.where)
    return list(conn.execute(query).scalars())
