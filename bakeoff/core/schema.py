"""A dataset's field schema and the mapping between sample values and table rows."""

from __future__ import annotations

import copy
import functools
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import (
    DateField,
    DateTimeField,
    EmbeddedDocumentField,
    Field,
    ListField,
    ObjectIdField,
    StringField,
    VectorField,
    field_from_catalog,
)
from bakeoff.core.metadata import ImageMetadata
from bakeoff.errors import FieldError, UnknownFieldError, brief, suggest

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

#: Fields every dataset has, in this order.
DEFAULT_FIELDS: dict[str, Field] = {
    "id": ObjectIdField(),
    "filepath": StringField(),
    "tags": ListField(StringField()),
    "metadata": EmbeddedDocumentField(ImageMetadata),
    "created_at": DateTimeField(),
    "last_modified_at": DateTimeField(),
}

#: Fields the user cannot delete, rename or retype.
PROTECTED_FIELDS = frozenset(DEFAULT_FIELDS)
#: Fields written by bakeoff itself, never by the user through set_values/sample attributes.
READONLY_FIELDS = frozenset({"id", "created_at", "last_modified_at"})


class Schema:
    """Top-level fields in order, plus lookups of embedded subfields (``clip.label``).

    A dataset's schema, or a view's (:meth:`restricted`): the fields the view can read. A field that
    ``select_fields``/``exclude_fields`` hide is not in the view's schema, as in FiftyOne.
    """

    def __init__(self, fields: Mapping[str, Field], version: int = 0, owner: str = "Dataset") -> None:
        self.fields: dict[str, Field] = dict(fields)
        self.version = version
        self.info: dict[str, tuple[str | None, dict | None]] = {}
        #: who reads through this schema, for messages (FiftyOne's "DatasetView has no field 'x'")
        self.owner = owner
        #: top-level fields of the dataset that this (view's) schema hides
        self.hidden: frozenset[str] = frozenset()

    def restricted(self, names: Iterable[str] | None = None, owner: str = "DatasetView") -> Schema:
        """This schema as a view sees it: only the top-level fields ``names`` (all by default).

        A new object: the dataset's schema is shared by threads and never changed.
        """
        keep = self.fields if names is None else {n: self.fields[n] for n in self.fields if n in set(names)}
        out = Schema(keep, self.version, owner)
        out.info = self.info
        out.hidden = self.hidden | (set(self.fields) - set(keep))
        return out

    @classmethod
    def from_catalog(cls, rows, version: int) -> Schema:
        fields: dict[str, Field] = {}
        described: dict[str, tuple[str | None, dict | None]] = {}
        for row in rows:
            described[row.path] = (row.description, row.info)
            if "." in row.path:
                continue
            field = field_from_catalog(row.ftype, row.embedded_doc_type, row.subfield)
            field.path = row.path  # a new object for this schema: error messages name it; never set later
            fields[row.path] = field
        schema = cls(fields, version)
        schema.info = described
        return schema

    def __contains__(self, path: str) -> bool:
        try:
            self.field(path)
        except UnknownFieldError:
            return False
        return True

    def field(self, path: str) -> Field:
        """The field at ``path``: top-level, an embedded document's attribute (``clip.label``), or an
        attribute of the labels in a list (``tags_pred.classifications.label``: a :class:`ListField` of
        the attribute's type, one list per sample)."""
        head, _, rest = path.partition(".")
        field = self.fields.get(head)
        if field is not None and rest:
            attr, _, element_attr = rest.partition(".")
            field = field.fields.get(attr) if isinstance(field, EmbeddedDocumentField) else None
            if element_attr:
                field = list_attribute(f"{head}.{attr}", field, element_attr)
        if field is None:
            if head in self.hidden:  # named by its top-level field, as FiftyOne
                raise UnknownFieldError(f"{self.owner} has no field {brief(head)}: this view's select_fields() or "
                                        f"exclude_fields() hides it. The fields are: {', '.join(self.paths())}")
            raise UnknownFieldError(f"{self.owner} has no field {brief(path)}.{suggest(path, self.paths())} "
                                    f"The fields are: {', '.join(self.paths())}")
        return field

    def paths(self) -> list[str]:
        out = []
        for name, field in self.fields.items():
            out.append(name)
            if isinstance(field, EmbeddedDocumentField):
                out.extend(f"{name}.{sub}" for sub in field.fields)
        return out

    def columns(self) -> dict[str, str]:
        """``{column: kind}`` of every stored column."""
        out = {}
        for name, field in self.fields.items():
            out.update(field_columns(name, field))
        return out


def field_columns(path: str, field: Field) -> dict[str, str]:
    """``{column: storage kind}`` of a field: its own column, and one per attribute of a document.

    A field type that cannot be stored (the base class ``fo.Field``) raises :class:`~bakeoff.errors.FieldError`.
    """
    cols = {path: _storage_kind(path, field)}
    if isinstance(field, EmbeddedDocumentField):
        cols.update({f"{path}.{sub}": _storage_kind(f"{path}.{sub}", f) for sub, f in field.fields.items()})
    return cols


def _storage_kind(path: str, field: Field) -> str:
    if field.kind is None:
        raise FieldError(f"field {brief(path)} is a {type(field).__name__}, which has no stored form: use a field "
                         "type such as fo.StringField, fo.FloatField, fo.ListField or fo.EmbeddedDocumentField")
    return field.kind


def catalog_rows(path: str, field: Field) -> list[dict[str, Any]]:
    """Catalog rows for a field and its embedded subfields."""
    rows = [{"path": path, **field.to_catalog(), "description": field.description, "info": field.info}]
    if isinstance(field, EmbeddedDocumentField):
        rows += [{"path": f"{path}.{sub}", **f.to_catalog(), "description": None, "info": None}
                 for sub, f in field.fields.items()]
    return rows


def document_list_type(field: Field | None) -> type[EmbeddedDocument] | None:
    """The document type of a list of documents (``Classifications.classifications``), else None."""
    if isinstance(field, ListField) and isinstance(field.field, EmbeddedDocumentField):
        return field.field.document_type
    return None


def list_element_kinds(document_type: type[EmbeddedDocument]) -> dict[str, str]:
    """``{attribute: kind}`` of the documents inside a JSON list, where vectors (logits) are JSON arrays
    ("" for an attribute of no stored kind: it reads as missing)."""
    return {a: "json" if isinstance(f, VectorField) else f.kind or "" for a, f in document_type._fields.items()}


def list_attribute(list_path: str, field: Field | None, attr: str) -> Field | None:
    """The field of ``attr`` read across the documents of the list at ``list_path``: a ListField of the
    attribute's type that cannot be written (``set_values`` takes the whole list)."""
    doc_type = document_list_type(field)
    if doc_type is None or attr not in doc_type._fields:
        return None
    element = copy.copy(doc_type._fields[attr])
    out = ListField(None if isinstance(element, VectorField) else element)
    out.read_only = (f"{list_path}.{attr} is read from the documents of {list_path!r}; set the whole list, "
                     f"e.g. set_values({list_path!r}, [[fo.Classification(label='cat')], ...])")
    return out


def flatten(path: str, field: Field, value: Any, out: dict[str, Any]) -> None:
    """Write the column values of ``value`` (already validated) into ``out``."""
    if field.read_only:
        raise FieldError(f"cannot write {field.read_only}")
    if isinstance(field, EmbeddedDocumentField):
        out[path] = None if value is None else True
        for sub in field.fields:
            out[f"{path}.{sub}"] = None if value is None else getattr(value, sub)
        for sub in _document_lists(field.document_type) if value is not None else ():  # type: ignore[arg-type]  # a class is hashable: python/mypy#11469
            out[f"{path}.{sub}"] = encode(field.fields[sub], out[f"{path}.{sub}"])
    else:
        out[path] = encode(field, value)


def encode(field: Field, value: Any) -> Any:
    """A column value: lists of documents become JSON objects (see :func:`document_to_json`)."""
    if value is not None and document_list_type(field) is not None:
        return [document_to_json(doc) for doc in value]
    return value


def decode(field: Field, value: Any) -> Any:
    """Inverse of :func:`encode`: a column value as the field's Python value."""
    if value is None:
        return value
    doc_type = document_list_type(field)
    if doc_type is not None:
        return [document_from_json(doc_type, item) for item in value]
    if _is_date_list(field):  # stored as datetimes (midnight UTC), as FiftyOne's BSON dates
        return [_date_of(v) for v in value]
    return value


def needs_decoding(field: Field) -> bool:
    return document_list_type(field) is not None or _is_date_list(field)


def _is_date_list(field: Field) -> bool:
    return isinstance(field, ListField) and isinstance(field.field, DateField)


def _date_of(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo is not None else value).date()
    return value


def document_to_json(doc: EmbeddedDocument) -> dict[str, Any]:
    """``{attribute: value}`` of a document in a JSON list; missing values are left out (so is NaN, which
    bakeoff stores as missing, and +-inf, which JSON cannot hold); arrays become lists of numbers."""
    out = {}
    for name in doc._fields:
        value = _json_value(getattr(doc, name))
        if value is not None:
            out[name] = value
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [v if math.isfinite(v) else None for v in value.tolist()]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def document_from_json(cls: type[EmbeddedDocument], values: Mapping[str, Any]) -> EmbeddedDocument:
    """A document from :func:`document_to_json`'s form (arrays as float32 again)."""
    doc = cls.__new__(cls)
    setattr_ = object.__setattr__
    for name in cls._fields:
        setattr_(doc, name, values.get(name))
    for name in _vectors(cls):  # type: ignore[arg-type]  # a class is hashable: python/mypy#11469
        if values.get(name) is not None:
            setattr_(doc, name, cls._fields[name].validate(values[name]))
    return doc


@functools.cache
def _vectors(cls: type[EmbeddedDocument]) -> tuple[str, ...]:
    return tuple(name for name, f in cls._fields.items() if isinstance(f, VectorField))


def unflatten(path: str, field: Field, row: Mapping[str, Any] | RowMapping) -> Any:
    """The Python value of a field from its columns in a row."""
    if isinstance(field, EmbeddedDocumentField):
        if not row.get(path):
            return None
        values = {sub: row.get(f"{path}.{sub}") for sub in field.fields}
        for sub in _document_lists(field.document_type):  # type: ignore[arg-type]  # a class is hashable: python/mypy#11469
            values[sub] = decode(field.fields[sub], values[sub])
        return build_document(field.document_type, values)
    return decode(field, row.get(path))


@functools.cache
def _document_lists(cls: type[EmbeddedDocument]) -> tuple[str, ...]:
    """The attributes of ``cls`` that hold lists of documents (stored as JSON)."""
    return tuple(name for name, f in cls._fields.items() if document_list_type(f) is not None)


def build_document(cls: type[EmbeddedDocument], values: Mapping[str, Any]) -> EmbeddedDocument:
    """Rebuild a stored document without re-validating (the database holds valid values)."""
    doc = cls.__new__(cls)
    for name in cls._fields:
        object.__setattr__(doc, name, values.get(name))
    return doc
