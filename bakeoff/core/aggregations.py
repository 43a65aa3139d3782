"""Aggregations: ``count_values``, ``mean``, ``std``... over a field path or expression.

Each aggregation is a small object: the :class:`~bakeoff.storage.aggregate.AggregationSpec`
the database computes, and ``parse`` turning the raw result into FiftyOne's shape.
``collection.aggregate([...])`` runs several in one snapshot (the scalar ones in one scan)::

    import bakeoff as fo
    from bakeoff import ViewField as F
    n, mean_conf, counts = dataset.aggregate([fo.Count(), fo.Mean("clip.confidence"), fo.CountValues("clip_eval")])

Conventions (as FiftyOne):

- A list field (``numbers``, ``tags``, ``preds.classifications.label``) is unwound: its elements are
  aggregated, and a missing or empty list adds nothing (``bounds("numbers")`` is ``(0, 5)`` for
  ``[0, 1]`` and ``[5]``). ``values`` alone returns the lists.
- Missing values are skipped by every aggregation but ``count_values``, which counts them under ``None``.
- ``sum``, ``mean``, ``std`` and ``quantiles`` read numbers only: booleans, text and dates are skipped.
  With no rows at all (an empty view) ``sum``, ``mean`` and ``std`` are ``0``; with rows but no numbers
  ``sum`` is ``0`` and ``mean``/``std`` are ``None`` (so is ``std(sample=True)`` of one number).
- ``sum`` of integers is an exact ``int`` (a ``float`` past 64 bits), else a ``float``; ``mean``, ``std``
  and ``quantiles`` are floats. ``inf`` takes part: ``mean([1, inf, -inf])`` is NaN, ``std`` with one is NaN.
- ``quantiles`` take the nearest rank: the ``ceil(q * n)``-th smallest number (the smallest for ``q=0``).
- ``histogram_values`` bins are ``[lower, upper)``, the last one too; ``other`` counts everything outside
  them: missing values, non-numbers, ``inf``. Default range: the finite bounds, widened by 1e-6 (dates:
  by 1 ms, or by ``bins`` ms when the span is shorter), whose edges are then datetimes.

SQLite stores NaN as NULL (bakeoff does so on PostgreSQL too), so NaN counts as missing.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np

from bakeoff.core.expressions import ViewExpression, ViewField, to_expr
from bakeoff.errors import FieldTypeError, InvalidOptionError, UnknownOptionError, brief
from bakeoff.storage.aggregate import AggregationSpec, exact_sum

#: FiftyOne's sum of integers turns to a float past 64 bits (MongoDB's long overflows into a double)
_INT64 = (-(2**63), 2**63)
_TEMPORAL_KINDS = frozenset({"datetime", "date"})


def _target(field_or_expr: str | ViewExpression | None) -> ViewExpression | None:
    if field_or_expr is None:
        return None
    return ViewField(field_or_expr) if isinstance(field_or_expr, str) else to_expr(field_or_expr)


class Aggregation:
    """Base class; subclasses set ``kind`` and may override ``options`` and ``parse``."""

    kind: str = ""
    #: whether a list field is aggregated element by element
    unwinds: bool = True

    def __init__(self, field_or_expr: str | ViewExpression | None = None) -> None:
        self.field_or_expr = field_or_expr
        self.expr = _target(field_or_expr)
        self._element_kind: str | None = None
        self._unwound = False

    def options(self, collection) -> dict[str, Any]:
        return {}

    def spec(self, collection) -> AggregationSpec:
        options = self.options(collection)
        self._unwound = self.unwinds and _is_list_field(collection, self.expr)
        if self._unwound:
            self._element_kind = _element_kind(collection, self.expr)
            options.update(unwind=True, element_kind=self._element_kind)
        return AggregationSpec(self.kind, self.expr, options)

    def _kind(self, kind: str | None) -> str | None:
        """The kind of the values aggregated: a list field's elements', else the collection's answer."""
        return self._element_kind if self._unwound else kind

    def parse(self, raw: Any, kind: str | None) -> Any:
        return raw

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field_or_expr!r})"


def _is_list_field(collection, expr) -> bool:
    if expr is None or expr.op != "field":
        return False
    from bakeoff.core.fields import ListField

    schema = collection._view_schema()  # what this view shows (select_fields/exclude_fields applied)
    return expr.args[0] in schema and isinstance(schema.field(expr.args[0]), ListField)


def _element_kind(collection, expr) -> str | None:
    """The storage kind of a list field's elements (None: untyped)."""
    schema = collection._view_schema()
    element = getattr(schema.field(expr.args[0]), "field", None)
    if element is None:
        return None
    return "json" if element.kind == "marker" else element.kind  # documents (Classifications): as JSON


def _as_python(value: Any, kind: str | None) -> Any:
    if value is None:
        return None
    if kind in ("bool", "marker"):
        return bool(value)
    if isinstance(value, Decimal):  # PostgreSQL's exact numbers (list elements)
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _mongo_order(value: Any) -> tuple:
    """FiftyOne's (MongoDB's) order across types: numbers, text, booleans, dates."""
    if isinstance(value, bool):
        return (2, value)
    if isinstance(value, numbers.Number):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, date):
        return (3, _naive_utc(value))
    return (4, repr(value))


class Count(Aggregation):
    """Number of samples, or of non-missing values of a field/expression (list fields: elements)."""

    kind = "count"

    def parse(self, raw, kind):
        return int(raw[0] or 0)


class CountValues(Aggregation):
    """``{value: count}``; booleans keep ``True``/``False`` keys, missing values count under ``None``."""

    kind = "count_values"

    def parse(self, raw, kind):
        kind = self._kind(kind)
        return {_as_python(k, kind): n for k, n in raw.items()}


class Distinct(Aggregation):
    """Sorted distinct non-missing values (list fields contribute their elements)."""

    kind = "distinct"

    def parse(self, raw, kind):
        kind = self._kind(kind)
        return sorted((_as_python(v, kind) for v in raw), key=_mongo_order)


class _Moments:
    """What :func:`bakeoff.storage.aggregate._moments` computed, by name."""

    def __init__(self, raw: tuple) -> None:
        self.rows, self.numbers, self.integers, self.pos_inf, self.neg_inf = (int(v or 0) for v in raw[:5])
        self.integer_sum = exact_sum(raw[5:-4])
        self.finite_sum, self.shift, self.s1, self.s2 = (float(v or 0) for v in raw[-4:])
        self.finite = self.numbers - self.pos_inf - self.neg_inf

    def infinite(self) -> float | None:
        """The sum or mean when infinities take part: NaN for both signs, else the infinity."""
        if self.pos_inf and self.neg_inf:
            return math.nan
        if self.pos_inf or self.neg_inf:
            return math.inf if self.pos_inf else -math.inf
        return None

    def variance(self, sample: bool) -> float:
        n = self.finite
        squares = self.s2 - self.s1 * self.s1 / n  # Σ(x - mean)², from sums shifted near the data
        return max(0.0, squares / (n - 1 if sample else n))


class Sum(Aggregation):
    """Sum of the numbers: an ``int`` for integers (exact), else a ``float``; 0 for none."""

    kind = "moments"

    def parse(self, raw, kind):
        m = _Moments(raw)
        if not m.numbers:
            return 0
        if (infinite := m.infinite()) is not None:
            return infinite
        if m.integers == m.numbers:
            total = m.integer_sum
            return total if _INT64[0] <= total < _INT64[1] else float(total)
        return m.finite_sum


class Mean(Aggregation):
    """Mean of the numbers; 0 for an empty collection, None where there are no numbers."""

    kind = "moments"

    def parse(self, raw, kind):
        m = _Moments(raw)
        if not m.rows:
            return 0
        if not m.numbers:
            return None
        if (infinite := m.infinite()) is not None:
            return infinite
        if m.integers == m.numbers:
            return m.integer_sum / m.numbers  # exact integers, one rounding
        if math.isfinite(m.finite_sum):
            return m.finite_sum / m.finite
        return m.shift + m.s1 / m.finite  # the sum overflowed (values near 1e308): the shifted sum did not


class Std(Aggregation):
    """Population standard deviation (``sample=True``: the n-1 version).

    0 for an empty collection, None where there are no numbers (or one, with ``sample=True``),
    NaN where one is infinite. Computed from sums shifted by one of the values, in one scan,
    so large values keep their precision: ``std`` of ``[1e9, 1e9 + 1, 1e9 + 2]`` is 0.8165.
    """

    kind = "moments"

    def __init__(self, field_or_expr, sample: bool = False) -> None:
        super().__init__(field_or_expr)
        self.sample = sample

    def parse(self, raw, kind):
        m = _Moments(raw)
        if not m.rows:
            return 0
        if not m.numbers or (self.sample and m.numbers < 2):
            return None
        if m.pos_inf or m.neg_inf:
            return math.nan
        if math.isinf(m.s2):  # the squares overflowed (values near 1e308): so does MongoDB's
            return math.inf
        return m.variance(bool(self.sample)) ** 0.5


class Bounds(Aggregation):
    """``(min, max)`` of the non-missing values; ``(None, None)`` for none."""

    kind = "bounds"

    def parse(self, raw, kind):
        kind = self._kind(kind)
        return (_as_python(raw[0], kind), _as_python(raw[1], kind))


class Values(Aggregation):
    """Every value in collection order (missing ones as None); a list field gives its lists."""

    kind = "values"
    unwinds = False

    def parse(self, raw, kind):
        return [_as_python(v, kind) for v in raw]


class Quantiles(Aggregation):
    """Quantile(s) in [0, 1] of the numbers, by nearest rank (FiftyOne's rule): the ``ceil(q * n)``-th
    smallest of the ``n`` numbers, the smallest for ``q=0``. None where there are no numbers.

    Example::

        dataset.quantiles("n", [0.1, 0.5])   # n = 1, 2: [1.0, 1.0] (no interpolation)
    """

    kind = "values"

    def __init__(self, field_or_expr, quantiles: float | list[float]) -> None:
        super().__init__(field_or_expr)
        self.quantiles = quantiles
        if isinstance(quantiles, Iterable) and not isinstance(quantiles, str | bytes):
            self._scalar, self._list = False, list(quantiles)
        else:
            self._scalar, self._list = True, [quantiles]
        if not all(isinstance(q, numbers.Real) and not isinstance(q, bool) and 0 <= q <= 1 for q in self._list):
            raise InvalidOptionError(f"quantiles must be numbers in [0, 1], got {brief(quantiles)}; "
                                     "e.g. quantiles('x', 0.5) or quantiles('x', [0.25, 0.5, 0.75])")

    def options(self, collection):
        return {"numbers": True}

    def parse(self, raw, kind):
        n = len(raw)
        out = [float(raw[max(math.ceil(float(q) * n) - 1, 0)]) if n else None for q in self._list]
        return out[0] if self._scalar else out


class HistogramValues(Aggregation):
    """``(counts, edges, other)``: ``bins`` bins ``[lower, upper)`` of equal width over ``range``
    (default: the finite bounds, see the module docstring); ``other`` counts the rest.
    Numbers and dates (edges are then datetimes); an empty collection gives ``([], [], 0)``.

    Example::

        counts, edges, other = dataset.histogram_values("clip.confidence", bins=5, range=(0, 1))
    """

    kind = "values"

    def __init__(self, field_or_expr, bins: int = 10, range: tuple[Any, Any] | None = None) -> None:  # noqa: A002
        super().__init__(field_or_expr)
        self.bins, self.range = _check_bins(bins), range
        if range is not None:
            if isinstance(range, str | bytes) or not isinstance(range, Iterable) or len(list(range)) != 2:
                raise InvalidOptionError(f"range must be (lower, upper), got {brief(range)}")
            lower, upper = range
            if _temporal(lower) != _temporal(upper) or not lower < upper:
                raise InvalidOptionError(f"range must be (lower, upper) with lower < upper, got {brief(range)}")

    def spec(self, collection):
        spec = super().spec(collection)
        spec.options["as_number"] = True  # numbers as numbers (None where not one); dates, text... as stored
        return spec

    def parse(self, raw, kind):
        kind = self._kind(kind)
        if not raw:
            return [], [], 0
        temporal = _temporal(self.range[0]) if self.range is not None else kind in _TEMPORAL_KINDS
        if kind == "string" and self.range is None:
            raise FieldTypeError(f"histogram_values() needs numbers or dates, but {self.field_or_expr!r} holds "
                                 "strings; count them with count_values()")
        if temporal and (self.range is not None or any(isinstance(v, date) for v in raw)):
            return self._temporal_histogram(raw)
        return self._numeric_histogram(raw, kind)

    def _numeric_histogram(self, raw: list[Any], kind: str | None):
        present = [v for v in raw if isinstance(v, numbers.Real) and not isinstance(v, bool)]
        values = np.array(present, dtype=float)
        if self.range is not None:
            lower, upper = float(self.range[0]), float(self.range[1])
        else:
            finite = values[np.isfinite(values)]
            bools = [v for v in raw if isinstance(v, bool)] if kind in ("bool", "marker") else []
            if finite.size:
                lower, upper = float(finite.min()), float(finite.max())
            elif bools:  # FiftyOne's bounds of booleans, (False, True), make the edges; the booleans go to other
                lower, upper = float(min(bools)), float(max(bools))
            else:
                lower = upper = -1.0
            upper += 1e-6
        edges = np.linspace(lower, upper, self.bins + 1)
        index = np.searchsorted(edges, values, side="right") - 1
        counts = np.bincount(index[(index >= 0) & (index < self.bins)], minlength=self.bins)
        return counts.tolist(), [float(e) for e in edges], len(raw) - int(counts.sum())

    def _temporal_histogram(self, raw: list[Any]):
        values = [_naive_utc(v) for v in raw if isinstance(v, date)]
        millisecond = timedelta(milliseconds=1)
        if self.range is not None:
            lower, upper = _naive_utc(self.range[0]), _naive_utc(self.range[1])
            span = (upper - lower) / millisecond
        else:
            lower, upper = min(values), max(values)
            span = (upper - lower) / millisecond
            span += self.bins if span < self.bins else 1  # each bin at least 1 ms wide, as in FiftyOne
        edges = [lower + timedelta(milliseconds=float(offset)) for offset in np.linspace(0, span, self.bins + 1)]
        counts = [0] * self.bins
        for value in values:
            index = bisect_right(edges, value) - 1
            if 0 <= index < self.bins:
                counts[index] += 1
        from bakeoff.storage.samples import read_datetime

        return counts, [read_datetime(e) for e in edges], len(raw) - sum(counts)


def _check_bins(bins: Any) -> int:
    if isinstance(bins, list | tuple | np.ndarray):
        raise UnknownOptionError(f"bins must be a number of bins, got the list {brief(bins)}; lists of edges "
                                 "are not supported: pass bins=len(edges) - 1 and range=(edges[0], edges[-1])")
    try:
        count = int(bins)
    except (TypeError, ValueError):
        raise InvalidOptionError(f"bins must be a positive number of bins, got {brief(bins)}") from None
    if count < 1:
        raise InvalidOptionError(f"bins must be a positive number of bins, got {brief(bins)}")
    return count


def _temporal(value: Any) -> bool:
    return isinstance(value, date)


def _naive_utc(value: date) -> datetime:
    """A date or datetime as the naive UTC datetime it is stored as (a date: its midnight)."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if value.tzinfo is not None and value.utcoffset() is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value
