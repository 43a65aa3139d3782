"""JSON lists in SQL: their length, their extremes, and lists of documents (``tags_pred.classifications``)
read, filtered and unwound on SQLite (``json_each``) and PostgreSQL (``jsonb_array_elements``).

The expression compiler (:mod:`bakeoff.storage.compiler`) and the query builder
(:mod:`bakeoff.storage.query`) use these for list fields and ``Classifications``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from bakeoff.errors import UnsupportedExpressionError


def json_length(value: ColumnElement[Any], dialect: str) -> ColumnElement[Any]:
    """The length of a JSON array (NULL where it is missing; on PostgreSQL also where it is no array)."""
    if dialect == "postgresql":
        return sa.func.json_array_length(json_array_or_null(value))
    return sa.func.json_array_length(value)


def json_array_or_null(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """A PostgreSQL ``json`` value if it is an array, else NULL (its array functions raise on scalars)."""
    if isinstance(value.type, sa.types.NullType):  # a field the view lacks: a NULL of no type, json here
        value = sa.cast(value, postgresql.JSON())
    return sa.case((sa.func.json_typeof(value) == "array", value), else_=sa.null())


#: SQL types that PostgreSQL's JSON text of a list element, or of a document's attribute, is cast to by kind
_LIST_ELEMENT_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "float": sa.Float(), "int": sa.Numeric(), "bool": sa.Boolean()}
_ATTRIBUTE_TYPES: dict[str, sa.types.TypeEngine[Any]] = {
    "float": sa.Float(), "int": sa.BigInteger(), "bool": sa.Boolean()}


def list_extreme(column: ColumnElement[Any], element_kind: str, dialect: str, largest: bool) -> ColumnElement[Any]:
    """The smallest (``largest``: the largest) element of the JSON array ``column``, compared as values of
    ``element_kind`` (numbers as numbers, text by code point; "" or another kind: as JSON text)."""
    aggregate: Callable[[ColumnElement[Any]], ColumnElement[Any]] = sa.func.max if largest else sa.func.min
    value: ColumnElement[Any]
    if dialect == "postgresql":
        each = sa.func.json_array_elements_text(json_array_or_null(column)).table_valued("value").render_derived()
        sql_type = _LIST_ELEMENT_TYPES.get(element_kind)
        value = sa.cast(each.c.value, sql_type) if sql_type is not None else each.c.value.collate("C")
        if element_kind == "bool":  # PostgreSQL has no min/max of booleans
            aggregate = sa.func.bool_or if largest else sa.func.bool_and
    else:
        each = sa.func.json_each(column).table_valued("value")
        value = each.c.value
    return sa.select(aggregate(value)).select_from(each).correlate_except(each).scalar_subquery()


# -- JSON lists of documents (``tags_pred.classifications``) ---------------------------------------


class JsonElements:
    """The elements of a JSON array column, as a FROM clause: ``value`` (each element) and ``position``.

    SQLite: ``json_each(column)``; PostgreSQL: ``json_array_elements(column) WITH ORDINALITY``.
    """

    def __init__(self, column: ColumnElement[Any], dialect: str) -> None:
        self.dialect = dialect
        if dialect == "sqlite":
            self.table = sa.func.json_each(column).table_valued("value", "key")
            self.value, self.position = self.table.c.value, self.table.c.key
        elif dialect == "postgresql":
            self.table = sa.func.json_array_elements(json_array_or_null(column)).table_valued(
                "value", with_ordinality="position").render_derived()
            self.value, self.position = self.table.c.value, self.table.c.position
        else:
            raise UnsupportedExpressionError(f"lists of labels are not supported by the {dialect} backend")

    def attribute(self, name: str, kind: str) -> ColumnElement[Any]:
        """An attribute of each element (a JSON object) as SQL of ``kind`` (NULL where it is missing)."""
        if self.dialect == "sqlite":
            value = sa.func.json_extract(self.value, f'$."{name}"')  # quoted: a name is a key, never a path
            return sa.type_coerce(value, sa.JSON()) if kind == "json" else value
        if kind == "json":
            return self.value.op("->")(name)
        text = self.value.op("->>")(name)
        sql_type = _ATTRIBUTE_TYPES.get(kind)
        return sa.cast(text, sql_type) if sql_type is not None else text

    def aggregate(self, value: ColumnElement[Any], where: ColumnElement[Any] | None = None) -> ColumnElement[Any]:
        """The JSON array of ``value`` over the elements (in list order) that satisfy ``where``."""
        if self.dialect == "sqlite":
            array = sa.func.json_group_array(value)
        else:
            ordered = postgresql.aggregate_order_by(value, self.position)
            array = sa.func.coalesce(sa.func.json_agg(ordered), sa.cast(sa.literal("[]"), postgresql.JSON()))
        # correlated to the samples row, however deeply nested (a list of a filtered list)
        query = sa.select(array).select_from(self.table).correlate_except(self.table)
        if where is not None:
            query = query.where(where)
        return query.scalar_subquery()


def list_of_attribute(
    column: ColumnElement[Any], name: str, dialect: str, keep_missing: bool = False
) -> ColumnElement[Any]:
    """``[element[name] for element in column]`` as a JSON array, NULL where the list is missing. An element
    without the attribute (or with None) adds nothing, as MongoDB's path through an array, unless
    ``keep_missing`` (then it adds a null, as FiftyOne's ``values()`` and aggregations read it)."""
    elements = JsonElements(column, dialect)
    where = None if keep_missing else elements.attribute(name, "string").is_not(None)
    array = elements.aggregate(elements.attribute(name, "json"), where)
    return sa.type_coerce(sa.case((column.is_(None), sa.null()), else_=array), sa.JSON())


def filter_list(
    column: ColumnElement[Any], predicate: Callable[[JsonElements], ColumnElement[Any]], dialect: str
) -> ColumnElement[Any]:
    """The JSON array of the elements of ``column`` that satisfy ``predicate(elements)``, NULL where missing."""
    elements = JsonElements(column, dialect)
    value = sa.func.json(elements.value) if dialect == "sqlite" else elements.value
    array = elements.aggregate(value, predicate(elements))
    return sa.type_coerce(sa.case((column.is_(None), sa.null()), else_=array), sa.JSON())
