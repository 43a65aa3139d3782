"""View stages: each is data (``to_dict``/``from_dict``) plus how it shapes the query.

Example::

    view = dataset.match(F("clip.confidence") > 0.9).sort_by("clip.confidence", reverse=True).limit(10)
    view._stages   # [Match(...), SortBy(...), Limit(10)]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from bakeoff.core.expressions import ViewExpression, ViewField, expr_from_dict, to_expr
from bakeoff.errors import FieldError

STAGES: dict[str, type[ViewStage]] = {}


class ViewStage:
    """Base class: a named step with keyword arguments that serialize to JSON."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        STAGES[cls.__name__] = cls

    def apply(self, builder, schema) -> None:
        """Shape the query (``bakeoff.storage.query.QueryBuilder``)."""

    def visible(self, fields: list[str]) -> list[str]:
        """The top-level fields the view shows after this stage."""
        return fields

    def kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for key, value in self.kwargs().items():
            out[key] = {"$expr": value.to_dict()} if isinstance(value, ViewExpression) else value
        return {"_cls": type(self).__name__, "kwargs": out}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ViewStage:
        try:
            cls = STAGES[data["_cls"]]
        except KeyError:
            raise ValueError(f"unknown view stage {data.get('_cls')!r}; known: {sorted(STAGES)}") from None
        kwargs = {k: expr_from_dict(v["$expr"]) if isinstance(v, dict) and "$expr" in v else v
                  for k, v in data.get("kwargs", {}).items()}
        return cls(**kwargs)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()  # type: ignore[union-attr]

    __hash__ = None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())
        return f"{type(self).__name__}({args})"


def _as_expr(field_or_expr: str | ViewExpression) -> ViewExpression:
    return ViewField(field_or_expr) if isinstance(field_or_expr, str) else to_expr(field_or_expr)


class Match(ViewStage):
    """Samples for which ``filter`` is true."""

    def __init__(self, filter: ViewExpression) -> None:  # noqa: A002 - FiftyOne's name
        if isinstance(filter, dict):
            raise TypeError("match() takes a view expression such as F('clip_eval') == True, not a dict")
        self.filter = to_expr(filter)

    def kwargs(self):
        return {"filter": self.filter}

    def apply(self, builder, schema):
        builder.filter(self.filter)


class MatchTags(ViewStage):
    """Samples with any of ``tags`` (``bool=False``: with none of them)."""

    def __init__(self, tags: str | Iterable[str], bool: bool = True) -> None:  # noqa: A002
        self.tags = [tags] if isinstance(tags, str) else list(tags)
        self.bool = bool

    def kwargs(self):
        return {"tags": self.tags, "bool": self.bool}

    def apply(self, builder, schema):
        has = ViewField("tags").contains(self.tags)
        builder.filter(has if self.bool else ~has)


class Exists(ViewStage):
    """Samples whose ``field`` is present (``bool=False``: missing)."""

    def __init__(self, field: str, bool: bool = True) -> None:  # noqa: A002
        self.field = field
        self.bool = bool

    def kwargs(self):
        return {"field": self.field, "bool": self.bool}

    def apply(self, builder, schema):
        schema.field(self.field)
        builder.filter(ViewField(self.field).exists(self.bool))


class SortBy(ViewStage):
    """Order by a field or expression; missing values first (last with ``reverse=True``)."""

    def __init__(self, field_or_expr: str | ViewExpression, reverse: bool = False) -> None:
        self.field_or_expr = field_or_expr
        self.reverse = reverse

    def kwargs(self):
        return {"field_or_expr": self.field_or_expr, "reverse": self.reverse}

    def apply(self, builder, schema):
        builder.sort([(_as_expr(self.field_or_expr), self.reverse)])


class Limit(ViewStage):
    def __init__(self, limit: int) -> None:
        self.limit = _non_negative("limit", limit)

    def kwargs(self):
        return {"limit": self.limit}

    def apply(self, builder, schema):
        builder.slice(limit=self.limit)


class Skip(ViewStage):
    def __init__(self, skip: int) -> None:
        self.skip = _non_negative("skip", skip)

    def kwargs(self):
        return {"skip": self.skip}

    def apply(self, builder, schema):
        builder.slice(skip=self.skip)


class Shuffle(ViewStage):
    """A pseudo-random order, reproducible with ``seed`` (one is drawn and kept if None)."""

    def __init__(self, seed: int | None = None) -> None:
        import random

        self.seed = random.randrange(1 << 30) if seed is None else int(seed)

    def kwargs(self):
        return {"seed": self.seed}

    def apply(self, builder, schema):
        builder.shuffle(self.seed)


class Take(Shuffle):
    """``size`` random samples, reproducible with ``seed``."""

    def __init__(self, size: int, seed: int | None = None) -> None:
        super().__init__(seed)
        self.size = _non_negative("size", size)

    def kwargs(self):
        return {"size": self.size, "seed": self.seed}

    def apply(self, builder, schema):
        builder.shuffle(self.seed)
        builder.slice(limit=self.size)


class Select(ViewStage):
    """Only the samples with these ids, in collection order (``ordered=True``: in the given order)."""

    def __init__(self, sample_ids: str | Iterable[str], ordered: bool = False) -> None:
        self.sample_ids = [sample_ids] if isinstance(sample_ids, str) else [getattr(s, "id", s) for s in sample_ids]
        self.ordered = ordered

    def kwargs(self):
        return {"sample_ids": self.sample_ids, "ordered": self.ordered}

    def apply(self, builder, schema):
        builder.filter(ViewField("id").is_in(self.sample_ids))
        if self.ordered:
            builder.sort_by_position("id", self.sample_ids)


class Exclude(Select):
    """All samples but these ids."""

    def __init__(self, sample_ids: str | Iterable[str]) -> None:
        super().__init__(sample_ids)

    def kwargs(self):
        return {"sample_ids": self.sample_ids}

    def apply(self, builder, schema):
        if self.sample_ids:
            builder.filter(~ViewField("id").is_in(self.sample_ids))


class SelectFields(ViewStage):
    """Show only these fields (and the built-in ones)."""

    def __init__(self, field_names: str | Iterable[str] | None = None) -> None:
        self.field_names = [field_names] if isinstance(field_names, str) else list(field_names or [])

    def kwargs(self):
        return {"field_names": self.field_names}

    def apply(self, builder, schema):
        for name in self.field_names:
            schema.field(name)

    def visible(self, fields):
        from bakeoff.core.schema import DEFAULT_FIELDS

        keep = {n.split(".")[0] for n in self.field_names}
        return [f for f in fields if f in DEFAULT_FIELDS or f in keep]


class ExcludeFields(SelectFields):
    """Hide these fields."""

    def apply(self, builder, schema):
        from bakeoff.core.schema import DEFAULT_FIELDS

        for name in self.field_names:
            schema.field(name)
            if name in DEFAULT_FIELDS:
                raise FieldError(f"cannot exclude the built-in field {name!r}")

    def visible(self, fields):
        return [f for f in fields if f not in self.field_names]


class SetField(ViewStage):
    """Replace a field's value in the view (not in the dataset) with an expression."""

    def __init__(self, field: str, expr: Any) -> None:
        self.field = field
        self.expr = to_expr(expr)

    def kwargs(self):
        return {"field": self.field, "expr": self.expr}

    def apply(self, builder, schema):
        target = schema.field(self.field)
        if target.kind in (None, "marker"):
            raise FieldError(f"set_field() sets a scalar path such as '{self.field}.label', not the document {self.field!r}")
        builder.set_field(self.field, self.expr, target.kind)


def _non_negative(name: str, value: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    return value
