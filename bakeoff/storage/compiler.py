"""Compiles view expressions (``bakeoff.core.expressions``) to SQLAlchemy Core.

One ``visit_<op>`` per expression op; an op a backend cannot run raises
:class:`UnsupportedExpressionError` naming the op and the backend. Expressions
are read by duck typing (``node.op``, ``node.args``) so storage stays below core.

Two backends, SQLite and PostgreSQL, give the same answers; where their SQL
differs the visitor branches on ``self.dialect``: PostgreSQL has no
``round(double, int)``, no float ``%``, no ``json_each``, sorts text by the
server's collation (bakeoff compares code points, as SQLite and Python do), and
cannot use an index for ``IS NOT DISTINCT FROM``.

Predicates (what ``match`` filters on) are compiled to never-NULL booleans so
that SQL's three-valued logic cannot leak: ``~(F("x") == True)`` includes
samples where ``x`` is missing, as in FiftyOne.

Long ``and``/``or`` chains become balanced trees of parenthesized groups, so that
``F().any()`` of thousands of terms stays within SQLite's expression depth of 1000.
An op applied to a field of a kind it cannot read (a regular expression on a number,
arithmetic on a string, the length of a string) raises :class:`~bakeoff.errors.FieldTypeError`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement, False_, Grouping, True_

from bakeoff.errors import FieldTypeError, UnsupportedExpressionError, brief
from bakeoff.storage.engine import json_date
from bakeoff.storage.json_lists import json_length, list_extreme
from bakeoff.storage.samples import UtcDateTime, stored_datetime

#: ops whose result is already a never-NULL boolean
PREDICATE_OPS = frozenset({
    "eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "is_in", "exists", "is_null",
    "starts_with", "ends_with", "contains_str", "re_match", "contains",
})
#: is_in() lists longer than this are passed as one JSON array (SQLite) or one array (PostgreSQL)
LONG_LIST = 500
NUMERIC_KINDS = frozenset({"int", "float"})
BOOLEAN_KINDS = frozenset({"bool", "marker"})
#: kinds whose values are not text: re_match() refuses them (SQLite's REGEXP would fail on them mid-query)
NON_TEXT_KINDS = NUMERIC_KINDS | BOOLEAN_KINDS | {"json", "datetime", "date", "f32array"}
#: kinds whose values are not numbers: arithmetic refuses them (PostgreSQL would; SQLite would concatenate)
NON_NUMBER_KINDS = frozenset({"string", "id", "json", "datetime", "date", "f32array"})
#: where a type sorts in MongoDB's order (missing values come first): comparing values of two types
#: is decided by their types alone, on both databases
_TYPE_RANK = {"int": 1, "float": 1, "string": 2, "bool": 8, "marker": 8, "datetime": 9, "date": 9}
#: kinds whose values are decoded after reading: an if_else() cannot mix them with another kind
DECODED_KINDS = frozenset({"json", "datetime", "date", "f32array", "marker"})
#: and/or chains longer than this become a balanced tree of groups (SQLite nests a flat chain one level per term)
FLAT_TERMS = 16
#: PostgreSQL array element types for long is_in() lists, by Python type
_ARRAY_TYPES: dict[type, sa.types.TypeEngine[Any]] = {
    str: sa.Text(), int: sa.BigInteger(), float: sa.Float(), bool: sa.Boolean()}


class ExpressionNode(Protocol):
    """What the compiler reads of an expression (a ``bakeoff.core.expressions.ViewExpression``): its op
    (``"eq"``, ``"field"``, ``"literal"``...) and its arguments (nodes, or a literal's plain value)."""

    @property
    def op(self) -> str: ...

    @property
    def args(self) -> tuple[Any, ...]: ...


class ExpressionCompiler:
    """Compile expressions against columns given by ``resolve(path) -> (column, kind)``."""

    def __init__(self, resolve: Callable[[str], tuple[ColumnElement[Any], str]], dialect: str = "sqlite",
                 element_kind: Callable[[str], str | None] | None = None) -> None:
        self.resolve = resolve
        self.dialect = dialect
        #: the kind of the elements of the list at a path ("" if untyped), None where the path is no list
        self.element_kind = element_kind or (lambda path: None)

    # -- entry points ---------------------------------------------------------------------
    def value(self, node: ExpressionNode) -> ColumnElement[Any]:
        """The SQL value of an expression (NULL where a field is missing)."""
        visit = getattr(self, f"visit_{node.op}", None)
        if visit is None:
            raise UnsupportedExpressionError(f"expression op {node.op!r} is not supported by the {self.dialect} backend")
        compiled: ColumnElement[Any] = visit(*node.args)
        return compiled

    def predicate(self, node: ExpressionNode) -> ColumnElement[Any]:
        """A never-NULL boolean: what a sample must satisfy to match ``node``."""
        if node.op in PREDICATE_OPS:
            return self.value(node)
        if node.op == "literal":
            return sa.true() if node.args[0] else sa.false()
        value = self.value(node)
        kind = self.kind(node)
        if kind in BOOLEAN_KINDS:
            return sa.func.coalesce(value, sa.false()) == sa.true()
        if kind in NUMERIC_KINDS:
            return sa.func.coalesce(value != 0, sa.false())
        return value.is_not(None)

    def number(self, node: ExpressionNode) -> ColumnElement[Any]:
        """The value of ``node`` as an arithmetic operand: a boolean is 0 or 1 (PostgreSQL needs the cast;
        SQLite stores 0 and 1 already, and SQLAlchemy deprecates arithmetic on Boolean columns)."""
        self._check_kind(node, "arithmetic", lambda kind: kind not in NON_NUMBER_KINDS, "numbers")
        value = self.value(node)
        if self.kind(node) in BOOLEAN_KINDS:
            return sa.cast(value, sa.Integer())
        return value

    def _pair(
        self, a: ExpressionNode, b: ExpressionNode, ordered: bool = False
    ) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
        """Both sides of a comparison; on PostgreSQL a boolean compared with a number is 0 or 1, as in SQLite."""
        left, right = (self.sortable(a), self.sortable(b)) if ordered else (self.value(a), self.value(b))
        left, right = _bound(left), _bound(right)
        if self.dialect == "postgresql":
            kinds = self.kind(a), self.kind(b)
            if kinds[0] in BOOLEAN_KINDS and kinds[1] in NUMERIC_KINDS:
                left = sa.cast(left, sa.Integer())
            elif kinds[1] in BOOLEAN_KINDS and kinds[0] in NUMERIC_KINDS:
                right = sa.cast(right, sa.Integer())
        return left, right

    def sortable(self, node: ExpressionNode) -> ColumnElement[Any]:
        """The value of ``node`` as ordering comparisons and sorts see it: text by code point."""
        value = self.value(node)
        if self.dialect == "postgresql" and self.kind(node) == "string":
            return value.collate("C")  # the server's collation would put "a" before "B"
        return value

    def sort_keys(self, node: ExpressionNode, descending: bool) -> list[tuple[ColumnElement[Any], bool]]:
        """``(expression, descending)`` pairs that order rows by ``node`` as FiftyOne (MongoDB) does.

        A list sorts by its smallest element ascending and by its largest descending; an empty list sorts
        before a missing value ascending (after it descending); a missing value before every value.
        """
        elements = self.element_kind(node.args[0]) if node.op == "field" and node.args[0] else None
        if elements is None:
            value = self.sortable(node)
            # a field the view lacks is NULL everywhere: nothing to order by (PostgreSQL refuses ORDER BY NULL)
            return [] if _is_null_constant(value) else [(value, descending)]
        column = self.value(node)
        length = json_length(column, self.dialect)
        rank = sa.case((column.is_(None), 1), (sa.func.coalesce(length, 0) == 0, 0), else_=2)
        return [(rank, descending), (list_extreme(column, elements, self.dialect, descending), descending)]

    def kind(self, node: ExpressionNode) -> str | None:
        """The storage kind of an expression's result, where it is known."""
        if node.op == "field":
            return self.resolve(node.args[0])[1]
        if node.op == "literal":
            v = node.args[0]
            return {bool: "bool", int: "int", float: "float", str: "string"}.get(type(v))
        if node.op in PREDICATE_OPS:
            return "bool"
        if node.op in ("add", "sub", "mul", "mod", "neg", "abs", "round"):
            kinds = {self.kind(a) for a in node.args[:2] if a.op != "literal" or a.args[0] is not None}
            return "float" if "float" in kinds else "int"
        if node.op in ("div",):
            return "float"
        if node.op in ("strlen", "length"):
            return "int"
        if node.op in ("lower", "upper"):
            return "string"
        if node.op == "if_else":
            return self.kind(node.args[1])
        return None

    # -- leaves ---------------------------------------------------------------------------
    def visit_field(self, path: str) -> ColumnElement[Any]:
        if not path:
            raise UnsupportedExpressionError("F() alone names the whole sample; use F().any([...]) or F().all([...])")
        return self.resolve(path)[0]

    def visit_literal(self, value: Any) -> ColumnElement[Any]:
        if value is None:
            return sa.null()
        if isinstance(value, bool):
            return sa.literal(value, sa.Boolean())
        if isinstance(value, list):
            raise UnsupportedExpressionError(f"a list {value!r} can only be used with is_in() or contains()")
        if isinstance(value, date):  # and datetime: compared as stored, a naive UTC instant to the millisecond
            return sa.literal(value, UtcDateTime())
        return sa.literal(value)

    # -- comparisons: NULL-safe, never NULL -----------------------------------------------
    def _list_against_scalar(self, a: ExpressionNode, b: ExpressionNode) -> bool:
        """A list (a JSON field) compared with a plain value: never equal, as in FiftyOne (and PostgreSQL
        has no = between json and text)."""
        if not any(n.op == "literal" for n in (a, b)) or any(n.op == "field" and not n.args[0] for n in (a, b)):
            return False  # F() alone is refused by visit_field
        kinds = self.kind(a), self.kind(b)
        return "json" in kinds and kinds != ("json", "json")

    def _type_ranks(self, a: ExpressionNode, b: ExpressionNode) -> tuple[int, int] | None:
        """The places of both sides' types in MongoDB's order when they are known and differ, else None."""
        left, right = _TYPE_RANK.get(self.kind(a) or ""), _TYPE_RANK.get(self.kind(b) or "")
        if left is None or right is None or left == right:
            return None
        self.value(a), self.value(b)  # still compiled: an op on the wrong kind (F("s") + "x") is an error
        return left, right

    def visit_eq(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        if _is_none(a) or _is_none(b):
            return self.value(b if _is_none(a) else a).is_(None)
        if self._list_against_scalar(a, b) or self._type_ranks(a, b):
            return sa.false()  # values of different types are never equal (True is not 1, "1" is not 1)
        left, right = self._pair(a, b)
        if self.dialect == "postgresql" and (column := _against_constant(left, right)) is not None:
            # same truth as IS NOT DISTINCT FROM, but an index on the column can answer it
            return sa.and_(column.is_not(None), left == right)
        return left.is_not_distinct_from(right)

    def visit_ne(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        if _is_none(a) or _is_none(b):
            return self.value(b if _is_none(a) else a).is_not(None)
        if self._list_against_scalar(a, b) or self._type_ranks(a, b):
            return sa.true()
        left, right = self._pair(a, b)
        if self.dialect == "postgresql" and (column := _against_constant(left, right)) is not None:
            return sa.or_(column.is_(None), left != right)
        return left.is_distinct_from(right)

    def _ordered(self, a: ExpressionNode, b: ExpressionNode, op: str) -> ColumnElement[Any]:
        """``a <op> b`` in FiftyOne's (MongoDB's) order, where a missing value sorts before every value:
        ``F("x") < 3`` holds where x is missing, ``F("x") > 3`` does not. Never NULL, so ``~`` negates it."""
        if _is_none(a) and _is_none(b):
            return sa.true() if op in ("le", "ge") else sa.false()
        if _is_none(a) or _is_none(b):  # one side is None itself: only "missing" equals it, nothing is below it
            value = self.value(b if _is_none(a) else a)
            below = op in ("lt", "le") if _is_none(b) else op in ("gt", "ge")  # is the value asked to be below None?
            strict = op in ("lt", "gt")
            if below:
                return sa.false() if strict else value.is_(None)
            return value.is_not(None) if strict else sa.true()
        compare: ColumnElement[bool]
        ranks = self._type_ranks(a, b)
        if ranks is not None:  # different types order by type (numbers < text < booleans < dates), as MongoDB's
            left, right = self.value(a), self.value(b)
            holds = {"lt": ranks[0] < ranks[1], "le": ranks[0] <= ranks[1],
                     "gt": ranks[0] > ranks[1], "ge": ranks[0] >= ranks[1]}[op]
            compare = sa.true() if holds else sa.false()
        else:
            left, right = self._pair(a, b, ordered=True)
            compare = {"lt": left < right, "le": left <= right, "gt": left > right, "ge": left >= right}[op]

        def missing(v: ColumnElement[Any]) -> ColumnElement[bool] | None:  # None: a bound value, present
            return None if isinstance(v, sa.BindParameter) and v.value is not None else v.is_(None)

        left_missing, right_missing = missing(left), missing(right)
        # "x IS NOT NULL AND x > 3" is never NULL and, unlike coalesce(x > 3, false), lets SQLite use an index
        present = sa.and_(*[sa.not_(m) for m in (left_missing, right_missing) if m is not None], compare)
        if op in ("lt", "le"):  # a missing left side is below every right side (and <= a missing one)
            low, high = left_missing, right_missing
        else:  # a missing right side is below every left side
            low, high = right_missing, left_missing
        if low is None:
            return present
        if op in ("lt", "gt") and high is not None:
            low = sa.and_(low, sa.not_(high))  # missing < missing is False; missing <= missing is True
        return sa.or_(low, present)

    def visit_lt(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self._ordered(a, b, "lt")

    def visit_le(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self._ordered(a, b, "le")

    def visit_gt(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self._ordered(a, b, "gt")

    def visit_ge(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self._ordered(a, b, "ge")

    # -- logic ----------------------------------------------------------------------------
    def visit_and(self, *args: ExpressionNode) -> ColumnElement[Any]:
        return balanced(sa.and_, [self.predicate(a) for a in args])

    def visit_or(self, *args: ExpressionNode) -> ColumnElement[Any]:
        return balanced(sa.or_, [self.predicate(a) for a in args])

    def visit_not(self, a: ExpressionNode) -> ColumnElement[Any]:
        return sa.not_(self.predicate(a))

    # -- arithmetic (NULL in, NULL out) ---------------------------------------------------
    def visit_add(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self.number(a) + self.number(b)

    def visit_sub(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self.number(a) - self.number(b)

    def visit_mul(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        return self.number(a) * self.number(b)

    def visit_div(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        # true division even for integers; division by zero gives NULL
        return sa.cast(self.number(a), sa.Float()) / sa.func.nullif(self.number(b), 0)

    def visit_mod(self, a: ExpressionNode, b: ExpressionNode) -> ColumnElement[Any]:
        left, right = self.number(a), self.number(b)
        if self.dialect == "postgresql" and not {self.kind(a), self.kind(b)} <= {"int", *BOOLEAN_KINDS}:
            # SQLite's % works on the integer parts of its operands; PostgreSQL has no float %
            left, right = (sa.cast(sa.func.trunc(v), sa.BigInteger()) for v in (left, right))
        return left % sa.func.nullif(right, 0)

    def visit_neg(self, a: ExpressionNode) -> ColumnElement[Any]:
        return -self.number(a)

    def visit_abs(self, a: ExpressionNode) -> ColumnElement[Any]:
        return sa.func.abs(self.number(a))

    def visit_round(self, a: ExpressionNode, places: ExpressionNode) -> ColumnElement[Any]:
        self._check_kind(a, "round()", lambda kind: kind not in NON_NUMBER_KINDS, "a number")
        if self.dialect == "postgresql":
            # PostgreSQL rounds only numeric to a number of places (half away from zero, as SQLite)
            rounded = sa.func.round(sa.cast(self.value(a), sa.Numeric()), places.args[0])
            return sa.cast(rounded, sa.Float())
        return sa.func.round(self.value(a), places.args[0])

    # -- membership and presence ----------------------------------------------------------
    def visit_is_in(self, a: ExpressionNode, values: ExpressionNode) -> ColumnElement[Any]:
        return self._is_in(a, list(values.args[0]))

    def _is_in(self, a: ExpressionNode, values: list[Any]) -> ColumnElement[Any]:
        if any(v is None for v in values):  # None in the list matches a missing value, as in FiftyOne
            return sa.or_(self.value(a).is_(None), self._is_in(a, [v for v in values if v is not None]))
        rank = _TYPE_RANK.get(self.kind(a) or "")
        if rank is not None:  # a value of another type never equals the field's (True is not 1): left out
            values = [v for v in values if _value_rank(v) in (None, rank)]
        values = [stored_datetime(v) if isinstance(v, date) else v for v in values]
        if not values:
            return sa.false()
        value = self.value(a)
        if len(values) > LONG_LIST and self.dialect == "sqlite" and not isinstance(values[0], date):
            # one bound JSON array instead of thousands of bound parameters (JSON has no infinity: those apart)
            infinite = sorted({v for v in values if _is_infinite(v)})
            each = sa.func.json_each(sa.literal(json.dumps([v for v in values if not _is_infinite(v)])))
            found = value.in_(sa.select(each.table_valued("value").c.value))
            return sa.and_(value.is_not(None), sa.or_(found, value.in_(infinite)) if infinite else found)
        if len(values) > LONG_LIST and self.dialect == "postgresql" and len({type(v) for v in values}) == 1 \
                and type(values[0]) in _ARRAY_TYPES:
            array = sa.bindparam(None, values, type_=postgresql.ARRAY(_ARRAY_TYPES[type(values[0])]))
            return sa.and_(value.is_not(None), value == sa.any_(array))
        if len({type(v) for v in values}) > 1:  # one type per value: SQLAlchemy binds a list as its first value's
            values = [sa.literal(v) for v in values]
        # the NOT NULL guard keeps the predicate two-valued without hiding the column from indexes
        return sa.and_(value.is_not(None), value.in_(values))

    def visit_exists(self, a: ExpressionNode, flag: ExpressionNode) -> ColumnElement[Any]:
        value = self.value(a)
        return value.is_not(None) if flag.args[0] else value.is_(None)

    def visit_is_null(self, a: ExpressionNode) -> ColumnElement[Any]:
        return self.value(a).is_(None)

    def visit_length(self, a: ExpressionNode) -> ColumnElement[Any]:
        self._check_kind(a, "length()", lambda kind: kind in (None, "", "json"), "a list field such as 'tags'")
        return sa.func.coalesce(json_length(self.value(a), self.dialect), 0)

    def visit_contains(
        self, a: ExpressionNode, values: ExpressionNode, match_all: ExpressionNode
    ) -> ColumnElement[Any]:
        self._check_kind(a, "contains()", lambda kind: kind in (None, "", "json"), "a list field such as 'tags'")
        column = self.value(a)
        # a date in a list is stored as {"$date": ...} (see bakeoff.storage.engine)
        wanted = [json_date(v) if isinstance(v, date) else v for v in values.args[0]]
        if not wanted:
            return sa.true() if match_all.args[0] else sa.false()
        tests: list[ColumnElement[bool]]
        if self.dialect == "sqlite":
            each = sa.func.json_each(column).table_valued("value")
            # json_each gives an object element as its minified JSON text
            wanted = [json.dumps(v, separators=(",", ":")) if isinstance(v, dict) else v for v in wanted]
            tests = [sa.exists(sa.select(sa.literal(1)).select_from(each).where(each.c.value == v)) for v in wanted]
        elif self.dialect == "postgresql":
            as_jsonb = sa.cast(column, postgresql.JSONB)
            tests = [as_jsonb.contains(sa.cast(sa.literal(json.dumps([v])), postgresql.JSONB)) for v in wanted]
        else:
            raise UnsupportedExpressionError(f"contains() on list fields is not supported by the {self.dialect} backend")
        combined = balanced(sa.and_ if match_all.args[0] else sa.or_, tests)
        return sa.func.coalesce(combined, sa.false())

    # -- strings --------------------------------------------------------------------------
    def _string_test(self, a: ExpressionNode, strs: ExpressionNode, case_sensitive: ExpressionNode,
                     test: Callable[[ColumnElement[Any], str], ColumnElement[bool]]) -> ColumnElement[Any]:
        value = self.value(a)
        sensitive = case_sensitive.args[0]
        if not sensitive:
            value = sa.func.lower(value)
        tests = [test(value, s if sensitive else s.lower()) for s in strs.args[0]]
        return sa.func.coalesce(balanced(sa.or_, tests), sa.false())

    def visit_starts_with(
        self, a: ExpressionNode, strs: ExpressionNode, case_sensitive: ExpressionNode
    ) -> ColumnElement[Any]:
        return self._string_test(a, strs, case_sensitive, lambda v, s: sa.func.substr(v, 1, len(s)) == s)

    def visit_ends_with(
        self, a: ExpressionNode, strs: ExpressionNode, case_sensitive: ExpressionNode
    ) -> ColumnElement[Any]:
        return self._string_test(
            a, strs, case_sensitive, lambda v, s: sa.func.substr(v, sa.func.length(v) - len(s) + 1) == s
        )

    def visit_contains_str(
        self, a: ExpressionNode, strs: ExpressionNode, case_sensitive: ExpressionNode
    ) -> ColumnElement[Any]:
        position = sa.func.instr if self.dialect == "sqlite" else sa.func.strpos
        return self._string_test(a, strs, case_sensitive, lambda v, s: position(v, s) > 0)

    def visit_lower(self, a: ExpressionNode) -> ColumnElement[Any]:
        return sa.func.lower(self.value(a))

    def visit_upper(self, a: ExpressionNode) -> ColumnElement[Any]:
        return sa.func.upper(self.value(a))

    def visit_strlen(self, a: ExpressionNode) -> ColumnElement[Any]:
        return sa.func.length(self.value(a))

    def visit_re_match(self, a: ExpressionNode, regex: ExpressionNode, options: ExpressionNode) -> ColumnElement[Any]:
        self._check_kind(a, "re_match()", lambda kind: kind not in NON_TEXT_KINDS, "a string field")
        # an embedded (?i) works in Python's re (SQLite's REGEXP) and PostgreSQL alike
        pattern = ("(?i)" if "i" in options.args[0] else "") + regex.args[0]
        return sa.func.coalesce(self.value(a).regexp_match(pattern), sa.false())

    def visit_if_else(
        self, condition: ExpressionNode, if_true: ExpressionNode, if_false: ExpressionNode
    ) -> ColumnElement[Any]:
        kinds = [self.kind(n) for n in (if_true, if_false) if not _is_none(n)]
        if len(kinds) == 2 and kinds[0] != kinds[1] and set(kinds) & DECODED_KINDS:
            # the result has the first branch's SQL type, whose decoding (JSON, dates) fails on the other's values
            raise FieldTypeError(f"if_else() needs both results of one kind, got {kinds[0]!r} and {kinds[1]!r} "
                                 f"({brief(if_true)} and {brief(if_false)}); convert one, or use two stages")
        return sa.case((self.predicate(condition), self.value(if_true)), else_=self.value(if_false))

    def _check_kind(self, node: ExpressionNode, op: str, fits: Callable[[str | None], bool], wanted: str) -> None:
        kind = self.kind(node)
        if not fits(kind):
            raise FieldTypeError(f"{op} needs {wanted}, but {brief(node)} is of kind {kind!r}")


def balanced(combine: Callable[..., ColumnElement[Any]], terms: Sequence[ColumnElement[Any]]) -> ColumnElement[Any]:
    """``combine(*terms)`` (sa.and_ or sa.or_), as a balanced tree of groups when there are many terms."""
    if len(terms) <= FLAT_TERMS:
        return combine(*terms)
    middle = len(terms) // 2
    return combine(_Subtree(balanced(combine, terms[:middle])), _Subtree(balanced(combine, terms[middle:])))


class _Subtree(Grouping[Any]):
    """A parenthesized and/or subtree. and_()/or_() flatten any clause whose ``operator`` is theirs, and a
    plain Grouping (or self_group()) passes its element's operator through, so this one hides it."""

    inherit_cache = True
    operator = None


def _bound(value: ColumnElement[Any]) -> ColumnElement[Any]:
    """SQL's constant true or false (a predicate folded by SQLAlchemy, e.g. ``is_in([])``) as a bound value:
    SQLAlchemy takes the constants as operands of = and != only."""
    if isinstance(value, True_ | False_):
        return sa.literal(isinstance(value, True_), sa.Boolean())
    return value


def _is_null_constant(value: ColumnElement[Any]) -> bool:
    if isinstance(value, sa.sql.elements.Cast):
        value = value.clause
    return isinstance(value, sa.sql.elements.Null)


def _value_rank(value: Any) -> int | None:
    """Where a Python literal's type sorts in MongoDB's order (see ``_TYPE_RANK``)."""
    if isinstance(value, bool):
        return _TYPE_RANK["bool"]
    if isinstance(value, int | float):
        return _TYPE_RANK["int"]
    if isinstance(value, str):
        return _TYPE_RANK["string"]
    if isinstance(value, date):
        return _TYPE_RANK["datetime"]
    return None


def _is_infinite(value: Any) -> bool:
    return isinstance(value, float) and math.isinf(value)


def _is_none(node: ExpressionNode) -> bool:
    return node.op == "literal" and node.args[0] is None


def _against_constant(left: ColumnElement[Any], right: ColumnElement[Any]) -> ColumnElement[Any] | None:
    """The non-constant side of a comparison with a bound non-NULL value, else None."""
    for column, other in ((left, right), (right, left)):
        if isinstance(other, sa.BindParameter) and other.value is not None and not isinstance(column, sa.BindParameter):
            return column
    return None
