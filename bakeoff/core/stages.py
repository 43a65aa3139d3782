"""View stages: each is data (``to_dict``/``from_dict``) plus how it shapes the query.

Example::

    view = dataset.match(F("clip.confidence") > 0.9).sort_by("clip.confidence", reverse=True).limit(10)
    view._stages   # [Match(...), SortBy(...), Limit(10)]

Each stage checks its arguments when it is made, from Python or from JSON (:meth:`ViewStage.from_dict`),
and raises :class:`~bakeoff.errors.InvalidViewError` for a wrong type or an out-of-range number.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable
from typing import Any, ClassVar

from bakeoff.core.expressions import INT64_MAX, INT64_MIN, ViewExpression, ViewField, expr_from_dict, quote, to_expr
from bakeoff.errors import FieldError, InvalidViewError, suggest

STAGES: dict[str, type[ViewStage]] = {}


class ViewStage:
    """Base class: a named step with keyword arguments that serialize to JSON."""

    name: ClassVar[str]

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        STAGES[cls.__name__] = cls

    def apply(self, builder, schema) -> None:
        """Shape the query (``bakeoff.storage.query.QueryBuilder``); ``schema`` is the view's as of this stage.

        Expressions (``match``, ``sort_by``, ``exists``) read a field the view does not have as missing, as
        FiftyOne does; stages that name a field to work on (``filter_labels``, ``select_fields``) raise.
        """

    def narrow(self, schema):
        """The view's schema after this stage (``select_fields``/``exclude_fields`` hide fields)."""
        return schema

    def kwargs(self) -> dict[str, Any]:
        raise NotImplementedError

    @property
    def _method(self) -> str:
        """The collection method that adds this stage (``SortBy``: ``sort_by``), for messages."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", type(self).__name__).lower()

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for key, value in self.kwargs().items():
            out[key] = {"$expr": value.to_dict()} if isinstance(value, ViewExpression) else value
        return {"_cls": type(self).__name__, "kwargs": out}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> ViewStage:
        """Inverse of :meth:`to_dict`: ``{"_cls": "Limit", "kwargs": {"limit": 10}}``; expressions are
        ``{"$expr": {...}}``. :class:`InvalidViewError` for anything else."""
        if not isinstance(data, dict) or not set(data) <= {"_cls", "kwargs"}:
            raise InvalidViewError(f"a view stage must be an object like {{'_cls': 'Limit', 'kwargs': {{'limit': 10}}}}"
                                   f", got {quote(data)}")
        cls = _stage_class(data.get("_cls"))
        kwargs = data.get("kwargs", {})
        if not isinstance(kwargs, dict):
            raise InvalidViewError(f"the kwargs of {cls.__name__} must be an object, got {quote(kwargs)}")
        _check_kwarg_names(cls, kwargs)
        return cls(**{name: _kwarg_from_json(value) for name, value in kwargs.items()})

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # unhashable; mypy's false positive: python/mypy#4266

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.kwargs().items())
        return f"{type(self).__name__}({args})"


def _stage_class(name: Any) -> type[ViewStage]:
    if not isinstance(name, str) or name not in STAGES:
        hint = suggest(name, STAGES) if isinstance(name, str) else ""
        raise InvalidViewError(f"unknown view stage {quote(name)}.{hint} Known stages: {', '.join(sorted(STAGES))}")
    return STAGES[name]


def _check_kwarg_names(cls: type[ViewStage], kwargs: dict[str, Any]) -> None:
    params = inspect.signature(cls).parameters
    unknown = [name for name in kwargs if name not in params]
    missing = [name for name, p in params.items() if p.default is p.empty and name not in kwargs]
    if unknown or missing:
        problem = f"unknown argument {quote(unknown[0])}" if unknown else f"missing argument {missing[0]!r}"
        raise InvalidViewError(f"{cls.__name__}: {problem}; it takes {', '.join(params)}")


def _kwarg_from_json(value: Any) -> Any:
    """A stage argument from JSON: ``{"$expr": {...}}`` is an expression, anything else a plain value."""
    if not (isinstance(value, dict) and "$expr" in value):
        return value
    if len(value) != 1 or not isinstance(value["$expr"], dict):
        raise InvalidViewError(f"an expression argument must be {{'$expr': {{...}}}} holding one expression, "
                               f"got {quote(value)}")
    return expr_from_dict(value["$expr"])


# -- argument checks: each stage's __init__ runs them, from Python and from JSON ----------------


def _expression(stage: str, value: Any) -> ViewExpression:
    if not isinstance(value, ViewExpression):
        raise InvalidViewError(f"{stage}() takes a view expression such as F('clip_eval') == True, "
                               f"got {quote(value)}")
    return value


def _field_or_expr(stage: str, value: Any) -> ViewExpression:
    if isinstance(value, str):
        return ViewField(value)
    if not isinstance(value, ViewExpression):
        raise InvalidViewError(f"{stage}() takes a field path or a view expression such as F('clip.confidence'), "
                               f"got {quote(value)}")
    return value


def _path(stage: str, name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidViewError(f"{stage}(): {name} must be a field path (a str) such as 'clip.label', "
                               f"got {quote(value)}")
    return value


def _flag(stage: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidViewError(f"{stage}(): {name} must be True or False, got {quote(value)}")
    return value


def _integer(stage: str, name: str, value: Any, minimum: int = INT64_MIN) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= INT64_MAX:
        what = "a non-negative int" if minimum == 0 else "an int"
        raise InvalidViewError(f"{stage}(): {name} must be {what} below 2**63, got {quote(value)}")
    return int(value)


def _strings(stage: str, name: str, value: Any) -> list[str]:
    """A str or an iterable of str, as a list."""
    values = [value] if isinstance(value, str) else value
    if isinstance(values, dict | bytes) or not isinstance(values, Iterable):
        values = [value]
    values = list(values)
    for item in values:
        if not isinstance(item, str):
            raise InvalidViewError(f"{stage}(): {name} must be a str or a list of str, got {quote(item)} "
                                   f"in {quote(value)}")
    return values


class Match(ViewStage):
    """Samples for which ``filter`` is true."""

    def __init__(self, filter: ViewExpression) -> None:  # noqa: A002 - FiftyOne's name
        self.filter = _expression(self._method, filter)

    def kwargs(self):
        return {"filter": self.filter}

    def apply(self, builder, schema):
        builder.filter(self.filter)


class FilterLabels(ViewStage):
    """Keep only the labels of a label field for which ``filter`` holds; ``F("label")``, ``F("confidence")``
    name the label's attributes and ``F("$field")`` a field of the sample.

    On a :class:`~bakeoff.Classifications` field the list keeps its matching labels; on a
    :class:`~bakeoff.Classification` field a label that does not match becomes None. With
    ``only_matches=True`` (the default) only samples with a label left stay in the view.

    Example::

        dataset.filter_labels("tags_pred", F("confidence") > 0.5)                     # confident tags only
        dataset.filter_labels("clip", F("label") == F("$ground_truth.label"), only_matches=False)
    """

    def __init__(self, field: str, filter: ViewExpression | bool, only_matches: bool = True) -> None:  # noqa: A002
        self.field = _path(self._method, "field", field)
        self.filter = _expression(self._method, to_expr(filter) if isinstance(filter, bool) else filter)
        self.only_matches = _flag(self._method, "only_matches", only_matches)

    def kwargs(self):
        return {"field": self.field, "filter": self.filter, "only_matches": self.only_matches}

    def apply(self, builder, schema):
        from bakeoff.core.fields import EmbeddedDocumentField
        from bakeoff.core.labels import Label
        from bakeoff.core.schema import document_list_type, list_element_kinds

        field = schema.field(self.field)
        if "." in self.field or not (isinstance(field, EmbeddedDocumentField) and issubclass(field.document_type, Label)):
            raise FieldError(f"filter_labels() needs a label field such as a Classification or Classifications "
                             f"field; {self.field!r} is a {field!r}")
        lists = {name: t for name, f in field.fields.items() if (t := document_list_type(f)) is not None}
        if lists:
            name, element = next(iter(lists.items()))
            builder.filter_list(f"{self.field}.{name}", list_element_kinds(element), self.filter, self.only_matches)
        else:
            builder.filter_document(self.field, {a: f.kind for a, f in field.fields.items()}, self.filter,
                                    self.only_matches)


class MatchTags(ViewStage):
    """Samples with any of ``tags`` (``bool=False``: with none of them)."""

    def __init__(self, tags: str | Iterable[str], bool: bool = True) -> None:  # noqa: A002
        self.tags = _strings(self._method, "tags", tags)
        self.bool = _flag(self._method, "bool", bool)

    def kwargs(self):
        return {"tags": self.tags, "bool": self.bool}

    def apply(self, builder, schema):
        has = ViewField("tags").contains(self.tags)
        builder.filter(has if self.bool else ~has)


class Exists(ViewStage):
    """Samples whose ``field`` is present (``bool=False``: missing)."""

    def __init__(self, field: str, bool: bool = True) -> None:  # noqa: A002
        self.field = _path(self._method, "field", field)
        self.bool = _flag(self._method, "bool", bool)

    def kwargs(self):
        return {"field": self.field, "bool": self.bool}

    def apply(self, builder, schema):
        # a field the view does not have is missing in every sample, as in FiftyOne
        builder.filter(ViewField(self.field).exists(self.bool))


class SortBy(ViewStage):
    """Order by a field or expression; missing values first (last with ``reverse=True``)."""

    def __init__(self, field_or_expr: str | ViewExpression, reverse: bool = False) -> None:
        _field_or_expr(self._method, field_or_expr)
        self.field_or_expr = field_or_expr
        self.reverse = _flag(self._method, "reverse", reverse)

    def kwargs(self):
        return {"field_or_expr": self.field_or_expr, "reverse": self.reverse}

    def apply(self, builder, schema):
        key = _field_or_expr(self._method, self.field_or_expr)
        builder.sort([(key, self.reverse)])


class Limit(ViewStage):
    def __init__(self, limit: int) -> None:
        self.limit = _integer(self._method, "limit", limit, minimum=0)

    def kwargs(self):
        return {"limit": self.limit}

    def apply(self, builder, schema):
        builder.slice(limit=self.limit)


class Skip(ViewStage):
    def __init__(self, skip: int) -> None:
        self.skip = _integer(self._method, "skip", skip, minimum=0)

    def kwargs(self):
        return {"skip": self.skip}

    def apply(self, builder, schema):
        builder.slice(skip=self.skip)


class Shuffle(ViewStage):
    """A pseudo-random order, reproducible with ``seed`` (one is drawn and kept if None)."""

    def __init__(self, seed: int | None = None) -> None:
        import random

        self.seed = random.randrange(1 << 30) if seed is None else _integer(self._method, "seed", seed)

    def kwargs(self):
        return {"seed": self.seed}

    def apply(self, builder, schema):
        builder.shuffle(self.seed)


class Take(Shuffle):
    """``size`` random samples, reproducible with ``seed``."""

    def __init__(self, size: int, seed: int | None = None) -> None:
        super().__init__(seed)
        self.size = _integer(self._method, "size", size, minimum=0)

    def kwargs(self):
        return {"size": self.size, "seed": self.seed}

    def apply(self, builder, schema):
        builder.shuffle(self.seed)
        builder.slice(limit=self.size)


class Select(ViewStage):
    """Only the samples with these ids, in collection order (``ordered=True``: in the given order)."""

    def __init__(self, sample_ids: str | Iterable[str], ordered: bool = False) -> None:
        many = isinstance(sample_ids, Iterable) and not isinstance(sample_ids, str | bytes | dict)
        ids = [getattr(s, "id", s) for s in sample_ids] if many else sample_ids  # samples count by their id
        self.sample_ids = _strings(self._method, "sample_ids", ids)
        self.ordered = _flag(self._method, "ordered", ordered)

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
    """Show only these fields (and the built-in ones); the others are hidden from reads, as in FiftyOne.

    A path into a label (``"clip.label"``) keeps the whole label. Later stages read a hidden field as missing
    (``match(F("x") == 1)`` matches nothing); ``values``, aggregations and ``filter_labels`` on it raise
    :class:`~bakeoff.errors.UnknownFieldError` ("DatasetView has no field 'x'").
    """

    def __init__(self, field_names: str | Iterable[str] | None = None) -> None:
        self.field_names = [] if field_names is None else _strings(self._method, "field_names", field_names)

    def kwargs(self):
        return {"field_names": self.field_names}

    def apply(self, builder, schema):
        for name in self.field_names:
            schema.field(name)  # a field an earlier stage hid does not exist here either (FiftyOne)
        builder.hide(_columns(schema, [n for n in schema.fields if n not in self._kept(schema)]))

    def _kept(self, schema) -> list[str]:
        from bakeoff.core.schema import DEFAULT_FIELDS

        keep = {n.split(".")[0] for n in self.field_names}
        return [f for f in schema.fields if f in DEFAULT_FIELDS or f in keep]

    def narrow(self, schema):
        return schema.restricted(self._kept(schema))


class ExcludeFields(SelectFields):
    """Hide these fields (built-in fields and the attributes of a label cannot be hidden)."""

    def apply(self, builder, schema):
        from bakeoff.core.schema import DEFAULT_FIELDS

        for name in self.field_names:
            if name not in schema.hidden:  # hiding a field an earlier stage hid is fine (FiftyOne)
                schema.field(name)
            if name in DEFAULT_FIELDS or "." in name:
                what = "the attributes of a label are part of it; exclude the whole field" if "." in name else \
                    "built-in fields are always shown"
                raise FieldError(f"Cannot exclude default fields {{{name!r}}}: {what}")
        builder.hide(_columns(schema, [n for n in self.field_names if n in schema.fields]))

    def _kept(self, schema) -> list[str]:
        return [f for f in schema.fields if f not in self.field_names]


def _columns(schema, names: Iterable[str]) -> list[str]:
    """The stored columns of these top-level fields (a label's attribute columns with it)."""
    from bakeoff.core.schema import field_columns

    return [column for name in names for column in field_columns(name, schema.fields[name])]


class SetField(ViewStage):
    """Replace a field's value in the view (not in the dataset) with an expression."""

    def __init__(self, field: str, expr: Any) -> None:
        self.field = _path(self._method, "field", field)
        self.expr = to_expr(expr)

    def kwargs(self):
        return {"field": self.field, "expr": self.expr}

    def apply(self, builder, schema):
        target = schema.field(self.field)
        if target.kind in (None, "marker"):
            raise FieldError(f"set_field() sets a scalar path such as '{self.field}.label', not the document {self.field!r}")
        builder.set_field(self.field, self.expr, target.kind)
