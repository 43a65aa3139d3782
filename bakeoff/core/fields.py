"""Field types, named as in FiftyOne, and how Python values map onto them.

A field knows its storage ``kind`` (see ``bakeoff.storage.samples``), checks
and coerces values, and carries a ``description`` and ``info`` dict that are
persisted with :meth:`Field.save`::

    field = dataset.get_field("clip")
    field.description = "OpenAI CLIP predictions"
    field.save()
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from bakeoff.errors import FieldError, FieldTypeError, StorageError, brief
from bakeoff.storage.engine import dumps_json

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset
    from bakeoff.core.document import EmbeddedDocument

FIELD_TYPES: dict[str, type[Field]] = {}

T = TypeVar("T")


class Field:
    """Base class of field types."""

    kind: str | None = None
    #: why values cannot be written to this field (a path read across the documents of a list), else None
    read_only: str | None = None

    def __init__(self, description: str | None = None, info: dict | None = None, **_: Any) -> None:
        self.description = description
        self.info = info
        self.path: str | None = None
        self._dataset: Dataset | None = None  # set on the copies dataset.get_field() returns, for save()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        FIELD_TYPES[cls.__name__] = cls

    @property
    def name(self) -> str | None:
        return self.path.rsplit(".", 1)[-1] if self.path else None

    def validate(self, value: Any) -> Any:
        """Return ``value`` coerced to this field's type, or raise :class:`FieldTypeError`."""
        return value

    def _type_error(self, value: Any, hint: str = "") -> FieldTypeError:
        where = f"field {self.path!r}" if self.path else "a field"
        return FieldTypeError(
            f"{where} is a {type(self).__name__}; got {value!r} ({type(value).__name__}).{hint}"
        )

    def save(self) -> None:
        """Persist this field's ``description`` and ``info``."""
        if self._dataset is None or self.path is None:
            raise FieldError("this field belongs to no dataset; get it with dataset.get_field(path) first")
        self._dataset._save_field_metadata(self.path, self.description, self.info)

    def to_catalog(self) -> dict[str, Any]:
        return {"ftype": type(self).__name__, "embedded_doc_type": None, "subfield": None, "kind": self.kind}

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self.to_catalog() == other.to_catalog()

    def __hash__(self) -> int:
        return hash(tuple(self.to_catalog().items()))

    def __repr__(self) -> str:
        return f"bakeoff.core.fields.{type(self).__name__}"


class ObjectIdField(Field):
    kind = "id"


class StringField(Field):
    kind = "string"

    def validate(self, value):
        if value is None or isinstance(value, str):
            return value
        raise self._type_error(value, " Pass a str, or delete the field to change its type.")


class IntField(Field):
    kind = "int"

    def validate(self, value):
        if value is None:
            return None
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return int(value)
        raise self._type_error(value, " Pass an int.")


class FloatField(Field):
    kind = "float"

    def validate(self, value):
        if value is None:
            return None
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            return float(value)
        raise self._type_error(value, " Pass a float.")


class BooleanField(Field):
    kind = "bool"

    def validate(self, value):
        if value is None or isinstance(value, bool | np.bool_):
            return None if value is None else bool(value)
        raise self._type_error(value, " Pass True or False.")


class DateTimeField(Field):
    """A ``datetime``, stored as a UTC instant to the millisecond, as in FiftyOne.

    An aware datetime keeps its instant; a naive one is taken to be UTC. Values read back
    naive in UTC, or aware in ``bakeoff.config.timezone`` when it is set::

        sample["taken"] = datetime(2024, 5, 1, 9, 30, tzinfo=ZoneInfo("Europe/Paris"))
        sample.save(); dataset.values("taken")     # [datetime(2024, 5, 1, 7, 30)]
    """

    kind = "datetime"

    def validate(self, value):
        if value is None or isinstance(value, datetime):
            return value
        hint = " Use a DateField for dates, or pass datetime(y, m, d)." if isinstance(value, date) else ""
        raise self._type_error(value, f" Pass a datetime.{hint}")


class DateField(Field):
    """A ``datetime.date``; it reads back as a date and compares with datetimes as that day's midnight UTC.

    A datetime assigned to it keeps its calendar date (its time and zone are dropped), as in FiftyOne.
    """

    kind = "date"

    def validate(self, value):
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        raise self._type_error(value, " Pass a date.")


class ListField(Field):
    """A list, stored as JSON; ``field`` optionally types its elements."""

    kind = "json"

    def __init__(self, field: Field | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.field = field

    def validate(self, value):
        if value is None:
            return None
        if isinstance(value, tuple | set | np.ndarray):
            value = list(value.tolist() if isinstance(value, np.ndarray) else value)
        if not isinstance(value, list):
            raise self._type_error(value, " Pass a list.")
        if self.field is not None:
            if any(v is None for v in value):  # as FiftyOne: a typed list holds no None
                where = f"field {self.path!r}" if self.path else "a list field"
                raise FieldTypeError(f"Invalid {type(self.field).__name__} item ({value!r:.200}): {where} is a "
                                     f"{self!r:.120} and holds no None; leave the item out, or use an untyped "
                                     "ListField")
            value = [self.field.validate(v) for v in value]
        else:
            _check_json(self, value)
        return value

    def to_catalog(self):
        sub = type(self.field).__name__ if self.field is not None else None
        return {**super().to_catalog(), "subfield": sub}

    def __repr__(self) -> str:
        sub = f"({self.field!r})" if self.field is not None else ""
        return f"{super().__repr__()}{sub}"


class DictField(Field):
    """A JSON-serializable dict."""

    kind = "json"

    def validate(self, value):
        if value is None:
            return value
        if not isinstance(value, dict):
            raise self._type_error(value, " Pass a dict.")
        _check_json(self, value)
        return value


class VectorField(Field):
    """A one-dimensional float32 array (logits, embeddings)."""

    kind = "f32array"

    def validate(self, value):
        if value is None:
            return None
        try:
            array = np.asarray(value, dtype=np.float32)
        except (TypeError, ValueError):
            raise self._type_error(value, " Pass a 1-D sequence of numbers.") from None
        if array.ndim != 1:
            raise self._type_error(value, f" Pass a 1-D array (got shape {array.shape}).")
        return array


class EmbeddedDocumentField(Field):
    """A document such as :class:`~bakeoff.Classification`, stored as one column per attribute."""

    kind = "marker"

    def __init__(self, document_type: type[EmbeddedDocument], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.document_type = document_type

    def validate(self, value):
        if value is None or isinstance(value, self.document_type):
            return value
        raise self._type_error(value, f" Pass a bakeoff.{self.document_type.__name__}.")

    @property
    def fields(self) -> dict[str, Field]:
        return self.document_type._fields

    def to_catalog(self):
        return {**super().to_catalog(), "embedded_doc_type": self.document_type.__name__}

    def __repr__(self) -> str:
        return f"{super().__repr__()}({self.document_type.__name__})"


def field_from_catalog(ftype: str, embedded_doc_type: str | None, subfield: str | None) -> Field:
    """Rebuild a field object from its catalog row."""
    from bakeoff.core.document import DOCUMENT_TYPES

    cls = _known(FIELD_TYPES, ftype, "field type")
    if cls is EmbeddedDocumentField:
        return EmbeddedDocumentField(_known(DOCUMENT_TYPES, embedded_doc_type, "document type"))
    if cls is ListField:
        return ListField(_known(FIELD_TYPES, subfield, "field type")() if subfield else None)
    return cls()


def _known(types: Mapping[str, T], name: str | None, what: str) -> T:
    """The class a catalog row names, else :class:`~bakeoff.errors.StorageError`."""
    found = None if name is None else types.get(name)
    if found is None:
        raise StorageError(
            f"the dataset's catalog names the {what} {brief(name)}, which this bakeoff does not define: a newer "
            "bakeoff wrote it, or a script that defined its own document class; upgrade bakeoff, or import "
            "that class before loading the dataset"
        )
    return found


def infer_field(value: Any) -> Field | None:
    """The field type a Python value implies, or None for None."""
    from bakeoff.core.document import EmbeddedDocument

    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return BooleanField()
    if isinstance(value, numbers.Integral):
        return IntField()
    if isinstance(value, numbers.Real):
        return FloatField()
    if isinstance(value, str):
        return StringField()
    if isinstance(value, datetime):
        return DateTimeField()
    if isinstance(value, date):
        return DateField()
    if isinstance(value, EmbeddedDocument):
        return EmbeddedDocumentField(type(value))
    if isinstance(value, np.ndarray) and value.ndim == 1 and np.issubdtype(value.dtype, np.number):
        return VectorField()
    if isinstance(value, list | tuple | set):
        inferred = [infer_field(v) for v in value if v is not None]
        subs = {type(f) for f in inferred if f is not None}
        if subs == {IntField, FloatField}:  # as FiftyOne: ints and floats make a list of floats
            subs = {FloatField}
        return ListField(subs.pop()() if len(subs) == 1 and subs <= _SCALARS else None)
    if isinstance(value, dict):
        return DictField()
    raise FieldTypeError(
        f"cannot store a value of type {type(value).__name__} ({value!r:.60}); use a str, int, float, "
        "bool, datetime, list, dict, numpy vector or a bakeoff label such as Classification"
    )


_SCALARS = {BooleanField, IntField, FloatField, StringField, DateTimeField, DateField}


def _check_json(field: Field, value: dict[str, Any] | list[Any]) -> None:
    """Refuse a dict or list the database cannot store (a set, an object inside it) with a FieldTypeError,
    before the write: the storage layer's JSON encoder would fail inside the INSERT instead."""
    try:
        dumps_json(value)
    except TypeError as error:  # json: "Object of type set is not JSON serializable"
        raise field._type_error(value, f" Its contents must be JSON values (str, numbers, bools, None, lists, "
                                       f"dicts with str keys, dates): {error}.") from None
