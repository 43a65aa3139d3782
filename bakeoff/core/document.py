"""Embedded documents: labels and metadata stored inside a sample's field.

Each subclass declares ``_fields``; the database stores one column per
attribute (``clip.label``, ``clip.confidence``, ``clip.logits``) so filters and
aggregations on them run inside the database.
"""

from __future__ import annotations

import copy
from datetime import date, datetime
from typing import Any, ClassVar

import numpy as np

from bakeoff.core.fields import Field
from bakeoff.errors import UnknownAttributeError, UnknownFieldError, UnknownOptionError

DOCUMENT_TYPES: dict[str, type[EmbeddedDocument]] = {}


class EmbeddedDocument:
    """Base class; attributes are the keys of ``_fields``."""

    _fields: ClassVar[dict[str, Field]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        DOCUMENT_TYPES[cls.__name__] = cls

    def __init__(self, **kwargs: Any) -> None:
        unknown = set(kwargs) - set(self._fields)
        if unknown:
            raise UnknownOptionError(
                f"{type(self).__name__} has no attribute(s) {sorted(unknown)}; its attributes are {list(self._fields)}"
            )
        for name, field in self._fields.items():
            object.__setattr__(self, name, field.validate(kwargs.get(name)))

    def __setattr__(self, name: str, value: Any) -> None:
        field = self._fields.get(name)
        if field is None:
            raise UnknownAttributeError(
                f"{type(self).__name__} has no attribute {name!r}; use one of {list(self._fields)}"
            )
        object.__setattr__(self, name, field.validate(value))

    def __getitem__(self, name: str) -> Any:
        if name not in self._fields:
            raise UnknownFieldError(f"{type(self).__name__} has no field {name!r}; its fields are {list(self._fields)}")
        return getattr(self, name)

    def to_dict(self) -> dict[str, Any]:
        out = {"_cls": type(self).__name__}
        for name in self._fields:
            value = getattr(self, name)
            out[name] = value.tolist() if isinstance(value, np.ndarray) else value
        return out

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for name in self._fields:
            a, b = getattr(self, name), getattr(other, name)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                if a is None or b is None or not np.array_equal(a, b):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None  # type: ignore[assignment]  # mutable, so unhashable; mypy's false positive: python/mypy#4266

    def __repr__(self) -> str:
        parts = []
        for name in self._fields:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                value = f"array(shape={value.shape})"
            else:
                value = repr(value)
            parts.append(f"{name}={value}")
        return f"<{type(self).__name__}: {', '.join(parts)}>"


# -- value snapshots: how a sample sees that a value was changed in place --------------------------

_NAN = ("nan",)
#: types whose values cannot change in place (a sample need not watch them)
IMMUTABLE_TYPES = frozenset({str, int, float, bool, type(None), datetime, date, np.float32, np.float64, np.int64,
                             np.bool_})


def snapshot(value: Any) -> Any:
    """A hashable, comparable copy of ``value``'s content: ``snapshot(a) != snapshot(b)`` when the values
    differ. A sample keeps one of each mutable value it hands out, to find what ``save()`` must write.

    Example::

        before = snapshot(sample_value)
        sample_value.label = "dog"
        snapshot(sample_value) != before     # True
    """
    kind = type(value)
    if kind is float:
        return value if value == value else _NAN  # NaN != NaN: it would always look changed
    if kind in IMMUTABLE_TYPES:
        return value
    if kind is list or kind is tuple:
        return (kind, tuple(snapshot(v) for v in value))
    if kind is dict:
        return (dict, tuple((k, snapshot(v)) for k, v in value.items()))
    if isinstance(value, np.ndarray):
        return (np.ndarray, value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, EmbeddedDocument):
        return (kind, tuple(snapshot(getattr(value, name)) for name in value._fields))
    return value


def copy_value(value: Any) -> Any:
    """A deep copy of a field value (documents, lists, dicts, arrays); immutable values are returned as they are."""
    kind = type(value)
    if kind in IMMUTABLE_TYPES:
        return value
    if kind is list:
        return [copy_value(v) for v in value]
    if kind is dict:
        return {k: copy_value(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, EmbeddedDocument):
        out = type(value).__new__(type(value))
        for name in value._fields:
            object.__setattr__(out, name, copy_value(getattr(value, name)))
        return out
    return copy.deepcopy(value)
