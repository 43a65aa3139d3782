"""A dataset's field schema and the mapping between sample values and table rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import (
    DateTimeField,
    EmbeddedDocumentField,
    Field,
    ListField,
    ObjectIdField,
    StringField,
    field_from_catalog,
)
from bakeoff.core.metadata import ImageMetadata
from bakeoff.errors import UnknownFieldError, brief, suggest

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
    """Top-level fields in order, plus lookups of embedded subfields (``clip.label``)."""

    def __init__(self, fields: Mapping[str, Field], version: int = 0) -> None:
        self.fields: dict[str, Field] = dict(fields)
        self.version = version
        self.info: dict[str, tuple[str | None, dict | None]] = {}

    @classmethod
    def from_catalog(cls, rows, version: int) -> Schema:
        fields: dict[str, Field] = {}
        described: dict[str, tuple[str | None, dict | None]] = {}
        for row in rows:
            described[row.path] = (row.description, row.info)
            if "." in row.path:
                continue
            fields[row.path] = field_from_catalog(row.ftype, row.embedded_doc_type, row.subfield)
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
        """The field at ``path`` (top-level or an embedded document's attribute)."""
        head, _, rest = path.partition(".")
        field = self.fields.get(head)
        if field is not None and rest:
            field = field.fields.get(rest) if isinstance(field, EmbeddedDocumentField) else None
        if field is None:
            raise UnknownFieldError(
                f"unknown field {brief(path)}.{suggest(path, self.paths())} The fields are: {', '.join(self.paths())}"
            )
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
    cols = {path: field.kind}
    if isinstance(field, EmbeddedDocumentField):
        cols.update({f"{path}.{sub}": f.kind for sub, f in field.fields.items()})
    return cols


def catalog_rows(path: str, field: Field) -> list[dict[str, Any]]:
    """Catalog rows for a field and its embedded subfields."""
    rows = [{"path": path, **field.to_catalog(), "description": field.description, "info": field.info}]
    if isinstance(field, EmbeddedDocumentField):
        rows += [{"path": f"{path}.{sub}", **f.to_catalog(), "description": None, "info": None}
                 for sub, f in field.fields.items()]
    return rows


def flatten(path: str, field: Field, value: Any, out: dict[str, Any]) -> None:
    """Write the column values of ``value`` (already validated) into ``out``."""
    if isinstance(field, EmbeddedDocumentField):
        out[path] = None if value is None else True
        for sub in field.fields:
            out[f"{path}.{sub}"] = None if value is None else getattr(value, sub)
    else:
        out[path] = value


def unflatten(path: str, field: Field, row: Mapping[str, Any]) -> Any:
    """The Python value of a field from its columns in a row."""
    if isinstance(field, EmbeddedDocumentField):
        if not row.get(path):
            return None
        return build_document(field.document_type, {sub: row.get(f"{path}.{sub}") for sub in field.fields})
    return row.get(path)


def build_document(cls: type[EmbeddedDocument], values: Mapping[str, Any]) -> EmbeddedDocument:
    """Rebuild a stored document without re-validating (the database holds valid values)."""
    doc = cls.__new__(cls)
    for name in cls._fields:
        object.__setattr__(doc, name, values.get(name))
    return doc
