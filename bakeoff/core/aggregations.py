"""Aggregations: ``count_values``, ``mean``, ``std``... over a field path or expression.

Each aggregation is a small object: the :class:`~bakeoff.storage.aggregate.AggregationSpec`
the database computes, and ``parse`` turning the raw result into FiftyOne's shape.
``collection.aggregate([...])`` runs several in one snapshot (the scalar ones in one scan)::

    import bakeoff as fo
    from bakeoff import ViewField as F
    n, mean_conf, counts = dataset.aggregate([fo.Count(), fo.Mean("clip.confidence"), fo.CountValues("clip_eval")])

Conventions (as FiftyOne): missing values are skipped by every aggregation but
``count_values``, which counts them under ``None``; on an empty collection
``mean``, ``std`` and ``sum`` are 0 and ``bounds`` is ``(None, None)``. SQLite
stores NaN as NULL, so NaN counts as missing; inf takes part in sums and bounds.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from bakeoff.core.expressions import ViewExpression, ViewField, to_expr
from bakeoff.storage.aggregate import AggregationSpec


def _target(field_or_expr: str | ViewExpression | None) -> ViewExpression | None:
    if field_or_expr is None:
        return None
    return ViewField(field_or_expr) if isinstance(field_or_expr, str) else to_expr(field_or_expr)


class Aggregation:
    """Base class; subclasses set ``kind`` and may override ``options`` and ``parse``."""

    kind: str = ""

    def __init__(self, field_or_expr: str | ViewExpression | None = None) -> None:
        self.field_or_expr = field_or_expr
        self.expr = _target(field_or_expr)

    def options(self, collection) -> dict[str, Any]:
        return {}

    def spec(self, collection) -> AggregationSpec:
        return AggregationSpec(self.kind, self.expr, self.options(collection))

    def parse(self, raw: Any, kind: str | None) -> Any:
        return raw

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.field_or_expr!r})"


def _is_list_field(collection, expr) -> bool:
    if expr is None or expr.op != "field":
        return False
    from bakeoff.core.fields import ListField

    schema, _ = collection._root()._sync()
    return expr.args[0] in schema and isinstance(schema.field(expr.args[0]), ListField)


def _as_python(value: Any, kind: str | None) -> Any:
    if value is None:
        return None
    if kind in ("bool", "marker"):
        return bool(value)
    return value


class Count(Aggregation):
    """Number of samples, or of non-missing values of a field/expression (list fields: elements)."""

    kind = "count"

    def spec(self, collection):
        if _is_list_field(collection, self.expr):
            return AggregationSpec("count_values", self.expr, {"unwind": True})
        return super().spec(collection)

    def parse(self, raw, kind):
        return sum(raw.values()) if isinstance(raw, dict) else int(raw[0] or 0)


class CountValues(Aggregation):
    """``{value: count}``; booleans keep ``True``/``False`` keys, missing values count under ``None``."""

    kind = "count_values"

    def options(self, collection):
        return {"unwind": _is_list_field(collection, self.expr)}

    def parse(self, raw, kind):
        return {_as_python(k, kind): n for k, n in raw.items()}


class Distinct(Aggregation):
    """Sorted distinct non-missing values (list fields contribute their elements)."""

    kind = "distinct"

    def options(self, collection):
        return {"unwind": _is_list_field(collection, self.expr)}

    def parse(self, raw, kind):
        values = [_as_python(v, kind) for v in raw]
        return sorted(values, key=lambda v: (type(v).__name__, v))


class Sum(Aggregation):
    kind = "sum"

    def parse(self, raw, kind):
        total = raw[0]
        if total is None:
            return 0
        return int(total) if kind in ("int", "bool", "marker") and float(total).is_integer() else float(total)


class Mean(Aggregation):
    """Mean of the non-missing values; 0 for none."""

    kind = "mean"

    def parse(self, raw, kind):
        return float(raw[0]) if raw[0] is not None else 0


class Std(Aggregation):
    """Population standard deviation (``sample=True``: the n-1 version); 0 for none."""

    kind = "std"

    def __init__(self, field_or_expr, sample: bool = False) -> None:
        super().__init__(field_or_expr)
        self.sample = sample

    def parse(self, raw, kind):
        n, mean, mean_sq = raw
        if not n or (self.sample and n < 2):
            return 0
        variance = max(0.0, float(mean_sq) - float(mean) ** 2)
        if self.sample:
            variance *= n / (n - 1)
        return variance**0.5


class Bounds(Aggregation):
    """``(min, max)`` of the non-missing values; ``(None, None)`` for none."""

    kind = "bounds"

    def parse(self, raw, kind):
        return (_as_python(raw[0], kind), _as_python(raw[1], kind))


class Values(Aggregation):
    """Every value in collection order (missing ones as None)."""

    kind = "values"

    def parse(self, raw, kind):
        return [_as_python(v, kind) for v in raw]


class HistogramValues(Values):
    """``(counts, edges, other)``: ``bins`` equal-width bins over ``range`` (default: the bounds)."""

    def __init__(self, field_or_expr, bins: int = 10, range: tuple[float, float] | None = None) -> None:  # noqa: A002
        super().__init__(field_or_expr)
        self.bins, self.range = bins, range

    def parse(self, raw, kind):
        values = np.array([v for v in raw if v is not None], dtype=float)
        values = values[np.isfinite(values)]
        lo, hi = self.range if self.range is not None else (
            (values.min(), values.max()) if values.size else (0.0, 1.0))
        if lo == hi:
            hi = lo + 1.0
        counts, edges = np.histogram(values, bins=self.bins, range=(lo, hi))
        other = int(values.size - counts.sum())
        return counts.tolist(), edges.tolist(), other


class Quantiles(Values):
    """Quantile(s) in [0, 1] of the non-missing values (linear interpolation); None when empty."""

    def __init__(self, field_or_expr, quantiles: float | list[float]) -> None:
        super().__init__(field_or_expr)
        self.quantiles = quantiles
        qs = [quantiles] if np.isscalar(quantiles) else list(quantiles)
        if not all(0 <= q <= 1 for q in qs):
            raise ValueError(f"quantiles must lie in [0, 1], got {quantiles!r}")

    def parse(self, raw, kind):
        values = np.array([v for v in raw if v is not None], dtype=float)
        scalar = np.isscalar(self.quantiles)
        qs = [self.quantiles] if scalar else list(self.quantiles)
        out = [float(np.quantile(values, q)) if values.size else None for q in qs]
        return out[0] if scalar else out
