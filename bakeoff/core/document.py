"""Embedded documents: labels and metadata stored inside a sample's field.

Each subclass declares ``_fields``; the database stores one column per
attribute (``clip.label``, ``clip.confidence``, ``clip.logits``) so filters and
aggregations on them run inside the database.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from bakeoff.core.fields import Field

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
            raise TypeError(
                f"{type(self).__name__} has no attribute(s) {sorted(unknown)}; its attributes are {list(self._fields)}"
            )
        for name, field in self._fields.items():
            object.__setattr__(self, name, field.validate(kwargs.get(name)))

    def __setattr__(self, name: str, value: Any) -> None:
        field = self._fields.get(name)
        if field is None:
            raise AttributeError(f"{type(self).__name__} has no attribute {name!r}; use one of {list(self._fields)}")
        object.__setattr__(self, name, field.validate(value))

    def __getitem__(self, name: str) -> Any:
        if name not in self._fields:
            raise KeyError(name)
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

    __hash__ = None  # mutable

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
