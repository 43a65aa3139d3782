"""Aggregations over a view's rows, run inside the database.

``run(engine, builder, specs)`` takes aggregation specs (``kind``, ``expr``,
options) from core and returns raw results in one read transaction (one
consistent snapshot). Scalar aggregations (count, moments, bounds) over the same
rows share a single SELECT — one scan for all of them; grouped ones
(count_values, distinct) and value lists each run one more query.

A spec with ``unwind`` reads the elements of a list field (``numbers``,
``tags``, ``preds.classifications.label``) instead of the lists, as FiftyOne
does: one row per element, none for a missing or empty list. Its option
``element_kind`` (``int``, ``float``, ``string``, ``bool`` or None: untyped)
says how elements are compared; numbers are told from other elements either way.

``moments`` returns, in one scan, what sum, mean and std need: the row count,
the count of numbers, of integers, of +inf and of -inf, the exact integer sum,
and sums of the finite numbers shifted by one of them (``shift``), so that the
variance keeps its precision far from zero (``std([1e9, 1e9+1, 1e9+2])``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql.elements import ColumnElement, Grouping

from bakeoff.errors import UnsupportedExpressionError
from bakeoff.storage.compiler import BOOLEAN_KINDS, NUMERIC_KINDS, ExpressionNode
from bakeoff.storage.engine import read
from bakeoff.storage.json_lists import json_array_or_null
from bakeoff.storage.query import QueryBuilder

SCALAR_KINDS = frozenset({"count", "moments", "bounds"})
INF = float("inf")
#: integers are summed in two parts (quotient and remainder by 2**32) so that SQLite's 64-bit sum cannot overflow
_SPLIT = 2**32
#: how the database engine writes a non-finite float inside JSON (see storage.engine.dumps_json)
_TAGGED = {"inf": INF, "-inf": -INF}


@dataclass
class AggregationSpec:
    """What to compute: ``kind`` over ``expr`` (None: count rows), with ``options``."""

    kind: str
    expr: ExpressionNode | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class Operand:
    """The rows an aggregation reads and its value in each: ``value`` as stored, ``number`` (a float, NULL
    where the value is no number: missing, text, a boolean) and ``integer`` (NULL where it is no integer)."""

    froms: list[Any]
    value: ColumnElement[Any]
    number: ColumnElement[Any]
    integer: ColumnElement[Any]
    kind: str | None
    key: Any  # operands with equal keys read the same rows: their scalar aggregations share a scan


def run(engine: Engine, builder: QueryBuilder, specs: Sequence[AggregationSpec]) -> list[Any]:
    if builder.limit is not None or builder.offset:
        builder._wrap()  # aggregate over the sliced rows, not before the slice
    results: list[Any] = [None] * len(specs)
    unwound: dict[Any, Operand] = {}  # one unwinding per list: specs over the same list share its rows
    operands = [operand(builder, spec, unwound) for spec in specs]
    with read(engine) as conn:
        scans: dict[Any, list[int]] = {}
        for i, spec in enumerate(specs):
            if spec.kind in SCALAR_KINDS:
                scans.setdefault(operands[i].key, []).append(i)
        for indices in scans.values():
            _scalar_scan(conn, builder, [(specs[i], operands[i]) for i in indices], results, indices)
        for i, spec in enumerate(specs):
            if spec.kind in SCALAR_KINDS:
                continue
            if spec.kind == "count_values":
                results[i] = _count_values(conn, builder, spec, operands[i])
            elif spec.kind == "distinct":
                results[i] = _distinct(conn, builder, operands[i])
            elif spec.kind == "values":
                results[i] = _values(conn, builder, spec, operands[i])
            else:
                raise UnsupportedExpressionError(f"unknown aggregation {spec.kind!r}")
    return results


# -- what an aggregation reads ---------------------------------------------------------------------


def operand(builder: QueryBuilder, spec: AggregationSpec, unwound: dict[Any, Operand]) -> Operand:
    compiler = builder.compiler
    if spec.expr is None:
        return Operand([builder.source], sa.null(), _no_number(), _no_integer(), None, None)
    if spec.options.get("unwind"):
        elements = _elements(builder, spec, spec.expr)
        return unwound.setdefault(elements.key, elements)
    value, kind = compiler.value(spec.expr), compiler.kind(spec.expr)
    number: ColumnElement[Any]
    integer: ColumnElement[Any]
    if kind == "int":
        number, integer = sa.cast(value, sa.Float()), value
    elif kind == "float":
        number, integer = value, _no_integer()
    elif kind is None and compiler.dialect == "sqlite":  # untyped: as each value is stored
        is_number = sa.func.typeof(value).in_(["integer", "real"])
        number = sa.case((is_number, value), else_=sa.null())
        integer = sa.case((sa.func.typeof(value) == "integer", value), else_=sa.null())
    elif kind is None:
        number, integer = sa.cast(value, sa.Float()), _no_integer()
    else:  # text, booleans, dates, documents: no numbers (FiftyOne's $sum and $avg skip them)
        number, integer = _no_number(), _no_integer()
    return Operand([builder.source], value, number, integer, kind, None)


def _elements(builder: QueryBuilder, spec: AggregationSpec, expr: ExpressionNode) -> Operand:
    """One row per element of the JSON list ``expr`` (see the module docstring)."""
    column = builder.compiler.value(expr)
    kind = spec.options.get("element_kind")
    key = ("unwind", expr.args[0]) if expr.op == "field" else ("unwind", id(spec))
    dialect = builder.dialect
    value: ColumnElement[Any]
    number: ColumnElement[Any]
    integer: ColumnElement[Any]
    json_type: ColumnElement[Any]
    if dialect == "sqlite":
        each = sa.func.json_each(column).table_valued("value", "type", joins_implicitly=True)
        element, json_type = each.c.value, each.c.type
        is_number = json_type.in_(["integer", "real"])
        tag = sa.case((json_type == "object", element), else_=sa.null())
        integer = sa.case((json_type == "integer", element), else_=sa.null())
        number = sa.case((is_number, sa.cast(element, sa.Float())), *_tagged(tag, '{{"$float":"{}"}}'),
                         else_=sa.null())
        if kind in BOOLEAN_KINDS:
            value = sa.case((json_type.in_(["true", "false"]), json_type == "true"), else_=sa.null())
        elif kind in NUMERIC_KINDS:
            value = sa.case((json_type == "object", number), else_=element)
        else:  # untyped: each element as stored (a document as its JSON text); no one SQL type applies
            value = sa.type_coerce(sa.case((json_type == "object", sa.func.coalesce(number, element)),
                                           else_=element), sa.types.NullType())
    elif dialect == "postgresql":
        each = sa.func.json_array_elements(json_array_or_null(column)).table_valued("value", joins_implicitly=True)
        element = each.c.value
        json_type, text = sa.func.json_typeof(element), element.op("#>>")(sa.literal_column("'{}'"))
        tag = sa.case((json_type == "object", element.op("->>")("$float")), else_=sa.null())
        integer = sa.case((sa.and_(json_type == "number", text.regexp_match("^-?[0-9]+$")),
                           sa.cast(text, sa.Numeric())), else_=sa.null())
        number = sa.case((json_type == "number", sa.cast(text, sa.Float())), *_tagged(tag, "{}"), else_=sa.null())
        if kind in BOOLEAN_KINDS:
            value = sa.case((json_type == "boolean", text == "true"), else_=sa.null())
        elif kind == "int":
            value = integer  # exact beyond 2**53
        elif kind == "float":
            value = number
        else:  # text, and untyped lists (PostgreSQL has one type per column: elements read as their JSON text)
            value = sa.case((json_type == "null", sa.null()), else_=text)
    else:
        raise UnsupportedExpressionError(f"aggregating list elements is not supported by the {dialect} backend")
    return Operand([builder.source, each], value, number, integer, kind, key)


def _no_number() -> ColumnElement[Any]:
    return sa.cast(sa.null(), sa.Float())  # typed: PostgreSQL cannot sum an untyped NULL


def _no_integer() -> ColumnElement[Any]:
    return sa.cast(sa.null(), sa.BigInteger())


def _tagged(tag: ColumnElement[Any], pattern: str) -> list[tuple[ColumnElement[Any], ColumnElement[Any]]]:
    """CASE branches reading a tagged non-finite float (NaN is missing, as everywhere in bakeoff)."""
    return [(tag == pattern.format(name), sa.literal(value, sa.Float())) for name, value in _TAGGED.items()]


# -- one scan: count, moments, bounds --------------------------------------------------------------


def _scalar_scan(conn: Connection, builder: QueryBuilder, items: list[tuple[AggregationSpec, Operand]],
                 results: list[Any], indices: list[int]) -> None:
    columns: list[ColumnElement[Any]] = []
    widths: list[int] = []
    for spec, op in items:
        cols = _scalar_columns(builder, spec, op)
        widths.append(len(cols))
        columns.extend(cols)
    query = sa.select(*columns).select_from(*items[0][1].froms)
    if builder.where:
        query = query.where(*builder.where)
    row = conn.execute(query).one()
    position = 0
    for i, width in zip(indices, widths, strict=True):
        results[i] = tuple(row[position : position + width])
        position += width


def _scalar_columns(builder: QueryBuilder, spec: AggregationSpec, op: Operand) -> list[ColumnElement[Any]]:
    if spec.kind == "count":
        return [sa.func.count() if spec.expr is None else sa.func.count(op.value)]
    if spec.kind == "bounds":
        value = op.value
        if builder.dialect == "postgresql" and op.kind in BOOLEAN_KINDS:
            return [sa.func.bool_and(value), sa.func.bool_or(value)]  # PostgreSQL has no min(boolean)
        if builder.dialect == "postgresql" and (op.kind == "string" or spec.options.get("unwind")
                                                and op.kind not in NUMERIC_KINDS):
            value = value.collate("C")  # text by code point, as SQLite and Python compare it
        return [sa.func.min(value), sa.func.max(value)]
    if spec.kind == "moments":
        return _moments(builder, op)
    raise UnsupportedExpressionError(f"unknown scalar aggregation {spec.kind!r}")


def _moments(builder: QueryBuilder, op: Operand) -> list[ColumnElement[Any]]:
    """rows, numbers, integers, +inf, -inf, exact integer sum (1 or 2 parts), Σx, shift, Σ(x-shift), Σ(x-shift)²
    (Σ over the finite numbers)."""
    inf = sa.literal(INF, sa.Float())
    number = op.number
    finite = sa.case((sa.and_(number > -inf, number < inf), number), else_=sa.null())
    # the shift: any one finite value of these rows (read once: an uncorrelated subquery)
    first = sa.select(finite).select_from(*op.froms).where(*builder.where, finite.is_not(None)).limit(1)
    shift = first.correlate(None).scalar_subquery()
    shifted = finite - shift
    columns: list[ColumnElement[Any]] = [
        sa.func.count(), sa.func.count(number), sa.func.count(op.integer),
        sa.func.sum(sa.case((number == inf, 1), else_=0)), sa.func.sum(sa.case((number == -inf, 1), else_=0)),
    ]
    if builder.dialect == "postgresql":
        columns.append(sa.func.sum(sa.cast(op.integer, sa.Numeric())))  # numeric: exact, never overflows
    else:  # quotient and remainder truncate toward zero in SQLite: integer = q * 2**32 + r exactly
        whole = Grouping(op.integer)  # parenthesized: a custom op binds tighter than the "-" of F("x") - 10
        columns += [sa.func.sum(whole.op("/")(_SPLIT)), sa.func.sum(whole.op("%")(_SPLIT))]
    columns += [sa.func.sum(finite), shift, sa.func.sum(shifted), sa.func.sum(shifted * shifted)]
    return columns


def exact_sum(parts: Sequence[Any]) -> int:
    """The integer sum from its parts as :func:`_moments` returns them (PostgreSQL: one Decimal)."""
    if len(parts) == 1:
        return int(parts[0] or 0)
    return int(parts[0] or 0) * _SPLIT + int(parts[1] or 0)


# -- grouped and listed values ---------------------------------------------------------------------


def _filtered(builder: QueryBuilder, query: sa.Select[Any]) -> sa.Select[Any]:
    return query.where(*builder.where) if builder.where else query


def _count_values(conn: Connection, builder: QueryBuilder, spec: AggregationSpec, op: Operand) -> dict[Any, int]:
    key = op.value.label("k")
    if builder.where and conn.dialect.name == "sqlite" and not spec.options.get("unwind"):
        # Filter first, then group. Grouped directly, SQLite walks the whole index of the grouped
        # column and looks up every row to test the filter (5x slower on 100k rows); a subquery
        # with a LIMIT is never flattened, so the filter's own index is used instead.
        rows = sa.select(key).select_from(*op.froms).where(*builder.where).limit(-1).subquery()
        query = sa.select(rows.c.k, sa.func.count()).group_by(rows.c.k)
        return {k: int(n) for k, n in conn.execute(query)}
    query = _filtered(builder, sa.select(key, sa.func.count()).select_from(*op.froms)).group_by(key)
    return {k: int(n) for k, n in conn.execute(query)}


def _distinct(conn: Connection, builder: QueryBuilder, op: Operand) -> list[Any]:
    query = sa.select(op.value.label("k")).select_from(*op.froms).where(op.value.is_not(None)).distinct()
    return list(conn.execute(_filtered(builder, query)).scalars())


def _values(conn: Connection, builder: QueryBuilder, spec: AggregationSpec, op: Operand) -> list[Any]:
    """Values in collection order; options: ``numbers`` (numbers only, sorted: what quantiles need),
    ``as_number`` (where the kind is numeric or unknown, each value as a number, None where it is none;
    other kinds as stored: what histograms need)."""
    if spec.options.get("numbers"):
        query = sa.select(op.number).select_from(*op.froms).where(op.number.is_not(None)).order_by(op.number)
        return list(conn.execute(_filtered(builder, query)).scalars())
    as_number = spec.options.get("as_number") and (op.kind is None or op.kind in NUMERIC_KINDS)
    column = op.number if as_number else op.value
    if spec.options.get("unwind"):
        return list(conn.execute(_filtered(builder, sa.select(column).select_from(*op.froms))).scalars())
    return list(conn.execute(builder.select_expressions([column.label("v")])).scalars())
