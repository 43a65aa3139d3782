"""View expressions: ``F("clip.label") == "cat"`` and friends, as immutable data.

This module knows nothing of SQL: an expression is a node (``op``, ``args``)
that :mod:`bakeoff.storage.compiler` turns into a query. Python values are
coerced into expressions in one place, :func:`to_expr`.

Example::

    from bakeoff import ViewField as F
    right = (F("siglip_eval") == True) & (F("clip_eval") == False)
    confident = F("clip.confidence") > 0.9
    all_right = F().all([F(f"{m}_eval") == True for m in ("clip", "siglip")])

Missing values (FiftyOne's semantics, see the README): a sample with no value
for ``x`` is neither ``F("x") == True`` nor ``F("x") == False``;
``~(F("x") == True)`` includes it; ``F("x") == None`` matches it; ordering
comparisons (``<``, ``>``...) with a missing value are False; arithmetic on a
missing value gives a missing value.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

#: ops that print as infix operators
_INFIX = {
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "and": "&", "or": "|", "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%",
}
#: every op the compiler must handle, with its argument count (None: any)
OPS: dict[str, int | None] = {
    "field": 1, "literal": 1,
    **{op: 2 for op in ("eq", "ne", "lt", "le", "gt", "ge", "add", "sub", "mul", "div", "mod")},
    "and": None, "or": None, "not": 1, "neg": 1, "abs": 1, "round": 2,
    "is_in": 2, "exists": 2, "is_null": 1,
    "starts_with": 3, "ends_with": 3, "contains_str": 3, "lower": 1, "upper": 1, "strlen": 1,
    "re_match": 3, "if_else": 3, "length": 1, "contains": 3,
}


class ViewExpression:
    """An expression over a sample's fields; build them with :class:`ViewField` (``F``)."""

    __slots__ = ("op", "args")

    def __init__(self, op: str, args: tuple = ()) -> None:
        if op not in OPS:
            raise ValueError(f"unknown expression op {op!r}; known: {sorted(OPS)}")
        object.__setattr__(self, "op", op)
        object.__setattr__(self, "args", tuple(args))

    def __setattr__(self, name, value):
        raise AttributeError("view expressions are immutable")

    def __bool__(self):
        raise TypeError(
            "a view expression has no truth value: combine expressions with & (and), | (or) and ~ (not) "
            "instead of `and`, `or`, `not`, and wrap each comparison in parentheses, "
            "e.g. (F('a') == True) & (F('b') > 0.5)"
        )

    __hash__ = None  # == builds an expression, so expressions are not hashable

    # -- comparisons and logic ------------------------------------------------------------
    def __eq__(self, other):  # type: ignore[override]
        return ViewExpression("eq", (self, to_expr(other)))

    def __ne__(self, other):  # type: ignore[override]
        return ViewExpression("ne", (self, to_expr(other)))

    def __lt__(self, other):
        return ViewExpression("lt", (self, to_expr(other)))

    def __le__(self, other):
        return ViewExpression("le", (self, to_expr(other)))

    def __gt__(self, other):
        return ViewExpression("gt", (self, to_expr(other)))

    def __ge__(self, other):
        return ViewExpression("ge", (self, to_expr(other)))

    def __and__(self, other):
        return ViewExpression.all([self, to_expr(other)])

    def __rand__(self, other):
        return ViewExpression.all([to_expr(other), self])

    def __or__(self, other):
        return ViewExpression.any([self, to_expr(other)])

    def __ror__(self, other):
        return ViewExpression.any([to_expr(other), self])

    def __invert__(self):
        return ViewExpression("not", (self,))

    @staticmethod
    def any(exprs: Iterable[Any]) -> ViewExpression:
        """True if any expression is true; ``any([])`` is False, ``any([e])`` is ``e``."""
        return _combine("or", exprs, empty=False)

    @staticmethod
    def all(exprs: Iterable[Any]) -> ViewExpression:
        """True if every expression is true; ``all([])`` is True, ``all([e])`` is ``e``."""
        return _combine("and", exprs, empty=True)

    # -- arithmetic -----------------------------------------------------------------------
    def __add__(self, other):
        return ViewExpression("add", (self, to_expr(other)))

    def __radd__(self, other):
        return ViewExpression("add", (to_expr(other), self))

    def __sub__(self, other):
        return ViewExpression("sub", (self, to_expr(other)))

    def __rsub__(self, other):
        return ViewExpression("sub", (to_expr(other), self))

    def __mul__(self, other):
        return ViewExpression("mul", (self, to_expr(other)))

    def __rmul__(self, other):
        return ViewExpression("mul", (to_expr(other), self))

    def __truediv__(self, other):
        return ViewExpression("div", (self, to_expr(other)))

    def __rtruediv__(self, other):
        return ViewExpression("div", (to_expr(other), self))

    def __mod__(self, other):
        return ViewExpression("mod", (self, to_expr(other)))

    def __rmod__(self, other):
        return ViewExpression("mod", (to_expr(other), self))

    def __neg__(self):
        return ViewExpression("neg", (self,))

    def __abs__(self):
        return ViewExpression("abs", (self,))

    def abs(self) -> ViewExpression:
        return ViewExpression("abs", (self,))

    def round(self, place: int = 0) -> ViewExpression:
        """Round to ``place`` decimals (half away from zero)."""
        return ViewExpression("round", (self, to_expr(int(place))))

    # -- membership, presence -------------------------------------------------------------
    def is_in(self, values: Iterable[Any]) -> ViewExpression:
        """True if the value is one of ``values``."""
        if isinstance(values, str | ViewExpression):
            raise TypeError(f"is_in() takes a list of values, got {values!r}; e.g. F('label').is_in(['cat', 'dog'])")
        return ViewExpression("is_in", (self, to_expr(list(values))))

    def exists(self, bool: bool = True) -> ViewExpression:  # noqa: A002 - FiftyOne's name
        """True if the value is present (not None); ``exists(False)`` for missing."""
        return ViewExpression("exists", (self, to_expr(bool)))

    def is_null(self) -> ViewExpression:
        """True if the value is None or missing (bakeoff stores both as NULL)."""
        return ViewExpression("is_null", (self,))

    def contains(self, values: Any, all: bool = False) -> ViewExpression:  # noqa: A002
        """For list fields: True if the list holds any (or ``all``) of ``values``."""
        values = [values] if isinstance(values, str | int | float) else list(values)
        return ViewExpression("contains", (self, to_expr(values), to_expr(all)))

    def length(self) -> ViewExpression:
        """Length of a list field (missing lists have length 0)."""
        return ViewExpression("length", (self,))

    # -- strings --------------------------------------------------------------------------
    def starts_with(self, str_or_strs: str | list[str], case_sensitive: bool = True) -> ViewExpression:
        return ViewExpression("starts_with", (self, to_expr(_strs(str_or_strs)), to_expr(case_sensitive)))

    def ends_with(self, str_or_strs: str | list[str], case_sensitive: bool = True) -> ViewExpression:
        return ViewExpression("ends_with", (self, to_expr(_strs(str_or_strs)), to_expr(case_sensitive)))

    def contains_str(self, str_or_strs: str | list[str], case_sensitive: bool = True) -> ViewExpression:
        return ViewExpression("contains_str", (self, to_expr(_strs(str_or_strs)), to_expr(case_sensitive)))

    def lower(self) -> ViewExpression:
        return ViewExpression("lower", (self,))

    def upper(self) -> ViewExpression:
        return ViewExpression("upper", (self,))

    def strlen(self) -> ViewExpression:
        return ViewExpression("strlen", (self,))

    def re_match(self, regex: str, options: str | None = None) -> ViewExpression:
        """True if ``regex`` matches anywhere in the string; ``options="i"`` ignores case."""
        if options not in (None, "", "i"):
            raise ValueError(f"re_match options {options!r} are not supported; use None or 'i'")
        return ViewExpression("re_match", (self, to_expr(regex), to_expr(options or "")))

    def if_else(self, true_expr: Any, false_expr: Any) -> ViewExpression:
        """``true_expr`` where this expression is true, else ``false_expr``."""
        return ViewExpression("if_else", (self, to_expr(true_expr), to_expr(false_expr)))

    # -- serialization --------------------------------------------------------------------
    def to_dict(self) -> Any:
        """A JSON-serializable form; :func:`expr_from_dict` reads it back."""
        if self.op == "field":
            return {"$field": self.args[0]}
        if self.op == "literal":
            return {"$literal": self.args[0]}
        return {"$op": self.op, "args": [a.to_dict() for a in self.args]}

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    def __repr__(self) -> str:
        op, args = self.op, self.args
        if op == "field":
            return f"F({args[0]!r})" if args[0] else "F()"
        if op == "literal":
            return repr(args[0])
        if op in _INFIX:
            return "(" + f" {_INFIX[op]} ".join(repr(a) for a in args) + ")"
        if op == "not":
            return f"~{args[0]!r}"
        if op == "neg":
            return f"-{args[0]!r}"
        return f"{args[0]!r}.{op}({', '.join(repr(a) for a in args[1:])})"


class ViewField(ViewExpression):
    """A field path: ``F("clip.confidence")``; ``F()`` for the sample itself (``F().all([...])``)."""

    __slots__ = ()

    def __init__(self, name: str | None = None) -> None:
        super().__init__("field", (name or "",))


def to_expr(value: Any) -> ViewExpression:
    """The one place where Python values become expressions."""
    if isinstance(value, ViewExpression):
        return value
    if isinstance(value, tuple | set):
        value = list(value)
    if value is None or isinstance(value, bool | int | float | str | list):
        return ViewExpression("literal", (value,))
    import numpy as np

    if isinstance(value, np.generic):
        return ViewExpression("literal", (value.item(),))
    raise TypeError(f"cannot use {value!r} ({type(value).__name__}) in a view expression; use a number, str, bool, None or list")


def expr_from_dict(data: Any) -> ViewExpression:
    """Inverse of :meth:`ViewExpression.to_dict`."""
    if isinstance(data, dict) and "$field" in data:
        return ViewField(data["$field"]) if data["$field"] else ViewField()
    if isinstance(data, dict) and "$literal" in data:
        return ViewExpression("literal", (data["$literal"],))
    if isinstance(data, dict) and "$op" in data:
        return ViewExpression(data["$op"], tuple(expr_from_dict(a) for a in data.get("args", [])))
    raise ValueError(f"not a serialized view expression: {data!r}")


def _combine(op: str, exprs: Iterable[Any], empty: bool) -> ViewExpression:
    items: list[ViewExpression] = []
    for e in exprs:
        e = to_expr(e)
        items.extend(e.args if e.op == op else (e,))  # flatten nested and/or
    if not items:
        return to_expr(empty)
    if len(items) == 1:
        return items[0]
    return ViewExpression(op, tuple(items))


def _strs(value: str | list[str]) -> list[str]:
    values = [value] if isinstance(value, str) else list(value)
    if not values or not all(isinstance(v, str) for v in values):
        raise TypeError(f"expected a str or a non-empty list of str, got {value!r}")
    return values
