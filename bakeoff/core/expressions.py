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
comparisons put it below every value (``F("x") < 3`` matches it, ``F("x") > 3``
does not), as MongoDB's order does; arithmetic on a missing value gives a missing value.

Every expression is checked as it is built, in Python or from JSON (:func:`expr_from_dict`):
the op, the number and kind of its arguments, its literal values (:func:`check_literal`), its
regular expressions (:func:`check_regex`) and its size (:data:`MAX_DEPTH`, :data:`MAX_NODES`).
A bad one raises :class:`~bakeoff.errors.InvalidViewError` before any database sees it::

    F("n") == 2**63          # InvalidViewError: integers are 64-bit
    F("s").re_match("(")     # InvalidViewError: invalid regular expression
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from bakeoff.core.regex_portability import check_regex
from bakeoff.errors import InvalidViewError, UnknownAttributeError, brief, suggest

#: the deepest an expression may nest (``F("a") == 1`` is 2 deep). SQLAlchemy compiles recursively and runs out of
#: Python stack from about 54 levels of some ops (if_else() as a condition, on PostgreSQL); SQLite's parser may
#: refuse nested if_else() and function calls earlier (from 14 levels), which the database then reports
MAX_DEPTH = 32
#: the most terms an expression may hold: its nodes, plus each value of a list that compiles to one SQL test
#: per value (:data:`PER_VALUE_OPS`). Room for ``F().any()`` of 6,000 comparisons; a term binds at most 3
#: parameters, so one expression stays under PostgreSQL's 65,535 (a view of many such stages may not: the
#: database refuses it, and bakeoff reports an InvalidViewError)
MAX_NODES = 20_000
#: both databases store and compare integers as signed 64-bit numbers
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
#: round() places: SQLite rounds to at most 30 places and ignores negative ones (PostgreSQL honours them)
MAX_ROUND_PLACES = 30

#: ops that print as infix operators
_INFIX = {
    "eq": "==", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
    "and": "&", "or": "|", "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%",
}
# what an argument of an op must be: an expression, or a literal of a given shape
EXPR, VALUES, STRS, FLAG, PLACES, REGEX, OPTIONS = "expr", "values", "strs", "flag", "places", "regex", "options"
#: each op's arguments (None: two or more expressions); "field" holds a path, "literal" a value
SIGNATURES: dict[str, tuple[str, ...] | None] = {
    "field": ("path",), "literal": ("value",),
    **{op: (EXPR, EXPR) for op in ("eq", "ne", "lt", "le", "gt", "ge", "add", "sub", "mul", "div", "mod")},
    "and": None, "or": None,
    **{op: (EXPR,) for op in ("not", "neg", "abs", "is_null", "lower", "upper", "strlen", "length")},
    "round": (EXPR, PLACES), "is_in": (EXPR, VALUES), "exists": (EXPR, FLAG),
    **{op: (EXPR, STRS, FLAG) for op in ("starts_with", "ends_with", "contains_str")},
    "re_match": (EXPR, REGEX, OPTIONS), "if_else": (EXPR, EXPR, EXPR), "contains": (EXPR, VALUES, FLAG),
}
#: every op the compiler must handle, with its argument count (None: two or more)
OPS: dict[str, int | None] = {op: None if sig is None else len(sig) for op, sig in SIGNATURES.items()}
#: ops that compile to one SQL test per value of their list (is_in() binds a long list as one value)
PER_VALUE_OPS = frozenset({"starts_with", "ends_with", "contains_str", "contains"})


class ViewExpression:
    """An expression over a sample's fields; build them with :class:`ViewField` (``F``)."""

    __slots__ = ("op", "args", "_depth", "_size")

    #: what :mod:`bakeoff.storage.compiler` reads (its ``ExpressionNode``): the op, e.g. ``"eq"``, ``"field"``,
    #: ``"literal"``, and its arguments: expressions, or the plain value of a field path or literal
    op: str
    args: tuple[Any, ...]
    #: how deep the expression nests and how many terms it holds (checked against MAX_DEPTH, MAX_NODES)
    _depth: int
    _size: int

    def __init__(self, op: str, args: tuple[Any, ...] = ()) -> None:
        args = _check_args(op, tuple(args))
        depth, size = _measure(op, args)
        for name, value in (("op", op), ("args", args), ("_depth", depth), ("_size", size)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise UnknownAttributeError(f"view expressions are immutable: build a new one instead of setting {name!r}")

    def __bool__(self) -> bool:
        raise TypeError(
            "a view expression has no truth value: combine expressions with & (and), | (or) and ~ (not) "
            "instead of `and`, `or`, `not`, and wrap each comparison in parentheses, "
            "e.g. (F('a') == True) & (F('b') > 0.5)"
        )

    # == builds an expression, so expressions are not hashable (mypy's false positive: python/mypy#4266)
    __hash__ = None  # type: ignore[assignment]

    def __copy__(self) -> ViewExpression:
        """A new, equal expression (as FiftyOne's ``copy.copy(F("x") > 1)``); it shares the arguments."""
        return self._rebuilt(self.args)

    def __deepcopy__(self, memo: dict[int, Any]) -> ViewExpression:
        import copy

        return self._rebuilt(copy.deepcopy(self.args, memo))

    def _rebuilt(self, args: tuple[Any, ...]) -> ViewExpression:
        # the slots are set directly: __setattr__ refuses, and args were checked when self was built
        new = type(self).__new__(type(self))
        for name, value in (("op", self.op), ("args", args), ("_depth", self._depth), ("_size", self._size)):
            object.__setattr__(new, name, value)
        return new

    # -- comparisons and logic ------------------------------------------------------------
    def __eq__(self, other: Any) -> ViewExpression:  # type: ignore[override]  # an expression, not a bool
        return ViewExpression("eq", (self, to_expr(other)))

    def __ne__(self, other: Any) -> ViewExpression:  # type: ignore[override]  # an expression, not a bool
        return ViewExpression("ne", (self, to_expr(other)))

    def __lt__(self, other: Any) -> ViewExpression:
        return _ordered("lt", self, other)

    def __le__(self, other: Any) -> ViewExpression:
        return _ordered("le", self, other)

    def __gt__(self, other: Any) -> ViewExpression:
        return _ordered("gt", self, other)

    def __ge__(self, other: Any) -> ViewExpression:
        return _ordered("ge", self, other)

    def __and__(self, other: Any) -> ViewExpression:
        return ViewExpression.all([self, to_expr(other)])

    def __rand__(self, other: Any) -> ViewExpression:
        return ViewExpression.all([to_expr(other), self])

    def __or__(self, other: Any) -> ViewExpression:
        return ViewExpression.any([self, to_expr(other)])

    def __ror__(self, other: Any) -> ViewExpression:
        return ViewExpression.any([to_expr(other), self])

    def __invert__(self) -> ViewExpression:
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
    def __add__(self, other: Any) -> ViewExpression:
        return ViewExpression("add", (self, to_expr(other)))

    def __radd__(self, other: Any) -> ViewExpression:
        return ViewExpression("add", (to_expr(other), self))

    def __sub__(self, other: Any) -> ViewExpression:
        return ViewExpression("sub", (self, to_expr(other)))

    def __rsub__(self, other: Any) -> ViewExpression:
        return ViewExpression("sub", (to_expr(other), self))

    def __mul__(self, other: Any) -> ViewExpression:
        return ViewExpression("mul", (self, to_expr(other)))

    def __rmul__(self, other: Any) -> ViewExpression:
        return ViewExpression("mul", (to_expr(other), self))

    def __truediv__(self, other: Any) -> ViewExpression:
        return ViewExpression("div", (self, to_expr(other)))

    def __rtruediv__(self, other: Any) -> ViewExpression:
        return ViewExpression("div", (to_expr(other), self))

    def __mod__(self, other: Any) -> ViewExpression:
        return ViewExpression("mod", (self, to_expr(other)))

    def __rmod__(self, other: Any) -> ViewExpression:
        return ViewExpression("mod", (to_expr(other), self))

    def __neg__(self) -> ViewExpression:
        return ViewExpression("neg", (self,))

    def __abs__(self) -> ViewExpression:
        return ViewExpression("abs", (self,))

    def abs(self) -> ViewExpression:
        return ViewExpression("abs", (self,))

    def round(self, place: int = 0) -> ViewExpression:
        """Round to ``place`` decimals (half away from zero)."""
        return ViewExpression("round", (self, to_expr(place)))

    # -- membership, presence -------------------------------------------------------------
    def is_in(self, values: Iterable[Any]) -> ViewExpression:
        """True if the value is one of ``values``; ``None`` among them matches a missing value (as FiftyOne),
        a NaN matches nothing (FiftyOne's ``is_in([nan])`` does not match missing values either)."""
        if isinstance(values, str | bytes | dict | ViewExpression) or not isinstance(values, Iterable):
            raise InvalidViewError(f"is_in() takes a list of values, got {quote(values)}; "
                                   "e.g. F('label').is_in(['cat', 'dog'])")
        kept = [v for v in values if not (isinstance(v, float) and math.isnan(v))]
        return ViewExpression("is_in", (self, to_expr(kept)))

    def exists(self, bool: bool = True) -> ViewExpression:  # noqa: A002 - FiftyOne's name
        """True if the value is present (not None); ``exists(False)`` for missing."""
        return ViewExpression("exists", (self, to_expr(bool)))

    def is_null(self) -> ViewExpression:
        """True if the value is None or missing (bakeoff stores both as NULL)."""
        return ViewExpression("is_null", (self,))

    def contains(self, values: Any, all: bool = False) -> ViewExpression:  # noqa: A002
        """For list fields: True if the list holds any (or ``all``) of ``values``."""
        many = isinstance(values, Iterable) and not isinstance(values, str | bytes | dict | ViewExpression)
        return ViewExpression("contains", (self, to_expr(list(values) if many else [values]), to_expr(all)))

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
        return ViewExpression("re_match", (self, to_expr(regex), to_expr("" if options is None else options)))

    def if_else(self, true_expr: Any, false_expr: Any) -> ViewExpression:
        """``true_expr`` where this expression is true, else ``false_expr``."""
        return ViewExpression("if_else", (self, to_expr(true_expr), to_expr(false_expr)))

    # -- serialization --------------------------------------------------------------------
    def to_dict(self) -> Any:
        """A JSON-serializable form; :func:`expr_from_dict` reads it back."""
        if self.op == "field":
            return {"$field": self.args[0]}
        if self.op == "literal":
            return {"$literal": _literal_to_json(self.args[0])}
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
        super().__init__("field", ("" if name is None else name,))


def to_expr(value: Any) -> ViewExpression:
    """The one place where Python values become expressions (what a literal may hold: :func:`check_literal`)."""
    if isinstance(value, ViewExpression):
        return value
    if isinstance(value, tuple | set | list):
        return ViewExpression("literal", ([_plain(v) for v in value],))
    return ViewExpression("literal", (_plain(value),))


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds; anything else unchanged."""
    import numpy as np

    return value.item() if isinstance(value, np.generic) else value


def expr_from_dict(data: Any) -> ViewExpression:
    """Inverse of :meth:`ViewExpression.to_dict`; :class:`InvalidViewError` for anything else.

    Nesting and size are counted while reading, so hostile JSON fails before it is built.
    """
    return _JsonReader().read(data, depth=1)


class _JsonReader:
    """Reads ``{"$field": path}``, ``{"$literal": value}`` and ``{"$op": op, "args": [...]}``."""

    _SHAPES = (("$field", {"$field"}), ("$literal", {"$literal"}), ("$op", {"$op", "args"}))

    def __init__(self) -> None:
        self.nodes = 0

    def read(self, data: Any, depth: int) -> ViewExpression:
        self.nodes += 1
        _check_measure(depth, self.nodes)
        kind = self._kind(data)
        if kind == "$field":
            return ViewField(_check_path("field", data["$field"]))  # ViewField(None) would be F()
        if kind == "$literal":
            return ViewExpression("literal", (_literal_from_json(data["$literal"]),))
        op, args = data["$op"], data.get("args", [])
        if op in ("field", "literal"):
            raise InvalidViewError(f"write {{'${op}': ...}} instead of {{'$op': '{op}'}}")
        if not isinstance(args, list):
            raise InvalidViewError(f"the args of {quote(op)} must be a list of expressions, got {quote(args)}")
        return ViewExpression(op, tuple(self.read(a, depth + 1) for a in args))

    def _kind(self, data: Any) -> str:
        keys = set(data) if isinstance(data, dict) else set()
        for kind, allowed in self._SHAPES:
            if kind in keys and keys <= allowed:
                return kind
        raise InvalidViewError(f"not a serialized view expression: {quote(data)}; expected {{'$field': path}}, "
                               "{'$literal': value} or {'$op': op, 'args': [...]}")


def _literal_to_json(value: Any) -> Any:
    """A literal in JSON: dates and datetimes as ``{"$date": "2024-05-01"}`` / ``{"$datetime": iso}``."""
    if isinstance(value, list):
        return [_literal_to_json(v) for v in value]
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    return value


def _literal_from_json(value: Any) -> Any:
    """Inverse of :func:`_literal_to_json`; anything else is left for :func:`check_literal` to judge."""
    if isinstance(value, list):
        return [_literal_from_json(v) for v in value]
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in ("$date", "$datetime"):
        tag, text = next(iter(value.items()))
        parse = date.fromisoformat if tag == "$date" else datetime.fromisoformat
        try:
            return parse(text)
        except (TypeError, ValueError):
            raise InvalidViewError(f"{{{tag!r}: ...}} needs an ISO 8601 string such as '2024-05-01' or "
                                   f"'2024-05-01T12:00:00+00:00', got {quote(text)}") from None
    return value


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
    if isinstance(value, str):
        return [value]
    if isinstance(value, bytes | dict | ViewExpression) or not isinstance(value, Iterable):
        raise InvalidViewError(f"expected a str or a non-empty list of str, got {quote(value)}")
    return list(value)


# -- checks: one place for each decision ---------------------------------------------------


def quote(value: Any) -> str:
    """:func:`~bakeoff.errors.brief`, also for values holding integers too long to print (over 4,300 digits)."""
    if isinstance(value, int) and value.bit_length() > 1000:
        return f"<an integer of {value.bit_length()} bits>"
    try:
        return brief(value)
    except ValueError:
        return f"<a {type(value).__name__} holding an integer too long to print>"


def check_literal(value: Any) -> Any:
    """What a literal may hold: None, bool, int (64-bit), float, str, date, datetime, or a list of those;
    returns it as stored.

    NaN becomes None: both databases store NaN as missing, so a NaN literal means "missing" on both
    (``is_in`` leaves NaN out of its list instead: see :meth:`ViewExpression.is_in`).
    """
    if isinstance(value, list):
        return [_check_scalar(v) for v in value]
    return _check_scalar(value)


def _ordered(op: str, left: ViewExpression, other: Any) -> ViewExpression:
    """``left <op> other`` in MongoDB's order, where NaN is the lowest number: above a missing value, below
    every other one. No stored value is NaN (bakeoff stores it as missing), so ``F("x") > nan`` and
    ``>=`` hold where x is present, ``<`` and ``<=`` where it is missing, as FiftyOne answers for them."""
    if isinstance(other, float) and math.isnan(other):
        return left != None if op in ("gt", "ge") else left == None  # noqa: E711 (these build expressions)
    return ViewExpression(op, (left, to_expr(other)))


def _check_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise InvalidViewError(f"the integer {quote(value)} does not fit in 64 bits: use one from -2**63 to "
                                   "2**63 - 1, or a float")
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, str):
        return _check_text(value)
    if isinstance(value, date):  # datetimes too: the database compares them as UTC instants (naive ones are UTC)
        return value
    what = "a list inside a list" if isinstance(value, list) else f"{quote(value)} ({type(value).__name__})"
    raise InvalidViewError(f"cannot use {what} in a view expression; use a number, str, bool, date, datetime, "
                           "None or a list of them")


def _check_text(value: str) -> str:
    if "\x00" in value:
        raise InvalidViewError(f"the string {quote(value)} holds a NUL character, which PostgreSQL cannot store or "
                               "compare; remove it")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidViewError(f"the string {quote(value)} is not valid Unicode (a lone surrogate); "
                               "send UTF-8 text") from None
    return value


def _check_args(op: Any, args: tuple) -> tuple:
    """``args`` as stored, if they fit ``op``'s signature."""
    if not isinstance(op, str) or op not in SIGNATURES:
        hint = suggest(op, SIGNATURES) if isinstance(op, str) else ""
        raise InvalidViewError(f"unknown expression op {quote(op)}.{hint} Known ops: {', '.join(sorted(SIGNATURES))}")
    signature = SIGNATURES[op]
    if signature is None:
        if len(args) < 2:
            raise InvalidViewError(f"{op} takes two or more expressions, got {len(args)}; "
                                   "e.g. F().any([F('a') == 1, F('b') == 2])")
        signature = (EXPR,) * len(args)
    if len(args) != len(signature):
        raise InvalidViewError(f"{op} takes {len(signature)} argument(s) ({', '.join(signature)}), got {len(args)}")
    return tuple(_SLOTS[slot](op, arg) for slot, arg in zip(signature, args, strict=True))


def _check_path(op: str, path: Any) -> str:
    if not isinstance(path, str):
        raise InvalidViewError(f"a field path must be a str such as 'clip.label', got {quote(path)}")
    return path


def _check_expr(op: str, arg: Any) -> ViewExpression:
    if not isinstance(arg, ViewExpression):
        raise InvalidViewError(f"{op}() takes expressions, got {quote(arg)}; wrap values with to_expr()")
    if arg.op == "literal" and isinstance(arg.args[0], list):
        raise InvalidViewError(f"{op}() cannot take the list {quote(arg.args[0])}: lists go to is_in(), contains() "
                               "and the string tests, e.g. F('label').is_in(['cat', 'dog'])")
    return arg


def _literal_slot(what: str, example: str, test: Callable[[Any], bool]) -> Callable[[str, Any], ViewExpression]:
    """A check that an argument is a literal whose value passes ``test``."""
    def check(op: str, arg: Any) -> ViewExpression:
        literal = isinstance(arg, ViewExpression) and arg.op == "literal"
        if not literal or not test(arg.args[0]):
            raise InvalidViewError(f"{op}() takes {what}, got {quote(arg)}; e.g. {example}")
        return arg
    return check


def _is_places(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ROUND_PLACES


def _is_strs(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(s, str) for s in value)


def _check_regex_arg(op: str, arg: Any) -> ViewExpression:
    _literal_slot("a regular expression (a str)", "F('s').re_match('^ca?t')", lambda v: isinstance(v, str))(op, arg)
    check_regex(arg.args[0])
    return arg


_SLOTS: dict[str, Callable[[str, Any], Any]] = {
    "path": _check_path,
    "value": lambda op, value: check_literal(value),
    EXPR: _check_expr,
    VALUES: _literal_slot("a list of values", "F('label').is_in(['cat', 'dog'])", lambda v: isinstance(v, list)),
    STRS: _literal_slot("a non-empty list of str", "F('s').starts_with(['ab', 'cd'])", _is_strs),
    FLAG: _literal_slot("True or False", "F('x').exists(False)", lambda v: isinstance(v, bool)),
    PLACES: _literal_slot(f"a number of decimal places from 0 to {MAX_ROUND_PLACES}",
                          "F('x').round(2), or (F('x') / 100).round() * 100 for hundreds", _is_places),
    REGEX: _check_regex_arg,
    OPTIONS: _literal_slot("options '' or 'i' (ignore case)", "F('s').re_match('^cat', options='i')",
                           lambda v: v in ("", "i")),
}


def _measure(op: str, args: tuple) -> tuple[int, int]:
    """(depth, size) of a node; see :data:`MAX_DEPTH` and :data:`MAX_NODES`."""
    if op in ("field", "literal"):
        return 1, 1
    depth = 1 + max(a._depth for a in args)
    size = 1 + sum(a._size for a in args) + (len(args[1].args[0]) if op in PER_VALUE_OPS else 0)
    _check_measure(depth, size)
    return depth, size


def _check_measure(depth: int, size: int) -> None:
    if depth > MAX_DEPTH:
        raise InvalidViewError(f"the expression nests more than {MAX_DEPTH} levels deep: flatten it, "
                               "e.g. F().any([...]) instead of nested | and &")
    if size > MAX_NODES:
        raise InvalidViewError(f"the expression holds more than {MAX_NODES} terms: split it into several match() "
                               "stages, or use is_in() for a long list of values")
