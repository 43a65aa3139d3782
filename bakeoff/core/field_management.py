"""Adding, describing, renaming and deleting a dataset's fields (a part of :class:`~bakeoff.core.dataset.Dataset`)."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from bakeoff.core.fields import EmbeddedDocumentField, Field, infer_field
from bakeoff.core.live_samples import LiveSamples
from bakeoff.core.schema import PROTECTED_FIELDS, Schema, catalog_rows, field_columns
from bakeoff.errors import FieldError, FieldTypeError, UnknownFieldError, brief, suggest
from bakeoff.storage import catalog
from bakeoff.storage import samples as store
from bakeoff.storage.engine import write
from bakeoff.storage.identifiers import check_field_name, check_field_path, check_no_case_clash


def auto_indexed_columns(path: str, field: Field) -> list[str]:
    """Columns indexed when a field is created: the ones the comparison workflow filters and counts.

    Boolean fields (``clip_eval``) and the ``label`` of classifications make
    ``count_values``, ``distinct`` and ``match`` index scans; ``drop_index`` removes them.
    """
    from bakeoff.core.fields import BooleanField
    from bakeoff.core.labels import Classification

    if isinstance(field, BooleanField):
        return [path]
    if isinstance(field, EmbeddedDocumentField) and issubclass(field.document_type, Classification):
        return [f"{path}.label"]
    return []


class FieldManagement(LiveSamples):
    """Field operations of a dataset; a change of fields reaches its live samples.

    Every schema change is one transaction that alters the samples table and
    the catalog together, and bumps the dataset's schema version so other
    processes and objects re-read the schema.
    """

    def get_field(self, path: str) -> Field:
        """The field at ``path``, whose ``description`` and ``info`` can be set and saved.

        Example::

            field = dataset.get_field("clip")
            field.description = "OpenAI CLIP predictions"
            field.save()
        """
        schema, _ = self._sync()
        template = schema.field(path)
        field = type(template).__new__(type(template))
        field.__dict__.update(template.__dict__)
        field.path = path
        field._dataset = self._root()
        field.description, info = schema.info.get(path, (None, None))
        field.info = dict(info) if info else None
        return field

    def _save_field_metadata(self, path: str, description: str | None, info: dict | None) -> None:
        schema, _ = self._sync()
        schema.field(path)
        if info is not None and not isinstance(info, dict):
            raise FieldTypeError(f"field info must be a dict, got {info!r}")
        with write(self._engine) as conn:
            catalog.update_field(conn, self._id, path, description=description, info=info)
            catalog.bump_schema_version(conn, self._id)

    def add_sample_field(self, path: str, ftype: type[Field] | Field, embedded_doc_type=None, subfield=None,
                         description: str | None = None, info: dict | None = None) -> None:
        """Add a top-level field, e.g. ``add_sample_field("note", fo.StringField)``."""
        if isinstance(ftype, Field):
            field = ftype
        elif isinstance(ftype, type) and issubclass(ftype, EmbeddedDocumentField):
            if embedded_doc_type is None:
                raise FieldError(f"field {path!r}: an EmbeddedDocumentField needs embedded_doc_type=, e.g. fo.Classification")
            field = ftype(embedded_doc_type)
        elif isinstance(ftype, type) and issubclass(ftype, Field):
            field = ftype(field=subfield() if isinstance(subfield, type) else subfield) if subfield else ftype()
        else:
            raise FieldError(f"ftype must be a field type such as bakeoff.StringField, got {ftype!r}")
        field.description, field.info = description, info
        self._add_fields({path: field})

    def _add_fields(self, fields: Mapping[str, Field]) -> None:
        """Add the fields that are missing (one transaction); an existing field must have the same type.

        The schema is checked inside the write transaction: writers queue, so two
        processes adding the same field (or ``A`` and ``a``) cannot both pass the check.
        """
        for path, field in fields.items():
            check_field_name(path)
            for column in field_columns(path, field):
                check_field_path(column)
        check_no_case_clash(fields)
        schema, _ = self._sync()
        if all(schema.fields.get(path) == field for path, field in fields.items()):
            return  # nothing to add (add_samples asks each time): no write transaction
        with write(self._engine) as conn:
            schema, table = self._sync()
            for path, field in fields.items():
                if path in schema.fields and schema.fields[path] != field:
                    raise FieldError(
                        f"field {path!r} exists already as {schema.fields[path]!r}; "
                        f"delete or rename it before adding it as {field!r}"
                    )
            new = {p: f for p, f in fields.items() if p not in schema.fields}
            if not new:
                return
            check_no_case_clash(new, schema.fields)
            columns = {}
            rows = []
            for path, field in new.items():
                columns.update(field_columns(path, field))
                rows += catalog_rows(path, field)
            store.add_columns(conn, table, columns)
            catalog.insert_fields(conn, self._id, rows)
            grown = store.build_table(table.name, {**schema.columns(), **columns})
            for path, field in new.items():
                for column in auto_indexed_columns(path, field):
                    store.create_index(conn, grown, column)
        self._synced = None
        self._add_field_to_samples(new)

    def delete_sample_field(self, field_name: str) -> None:
        """Delete a field and its values from every sample."""
        self.delete_sample_fields([field_name])

    def delete_sample_fields(self, field_names: Iterable[str]) -> None:
        names = list(field_names)
        with write(self._engine) as conn:
            schema, table = self._sync()  # inside the write: another process may have just deleted one of them
            for name in names:
                self._check_user_field(schema, name, "delete")
            columns = [c for name in names for c in field_columns(name, schema.fields[name])]
            store.drop_columns(conn, table, columns)
            catalog.delete_fields(conn, self._id, columns)
        self._synced = None
        self._refresh_samples(self._live_samples())  # as FiftyOne: in-memory samples lose the field

    def rename_sample_field(self, field_name: str, new_field_name: str) -> None:
        """Rename a field (its values and description move with it); ``"A"`` to ``"a"`` is allowed."""
        check_field_name(new_field_name)
        with write(self._engine) as conn:
            schema, table = self._sync()  # as of now: writers queue
            self._check_user_field(schema, field_name, "rename")
            if new_field_name in schema.fields:
                raise FieldError(f"cannot rename {field_name!r} to {new_field_name!r}: a field of that name exists")
            check_no_case_clash([new_field_name], [n for n in schema.fields if n != field_name])
            old = field_columns(field_name, schema.fields[field_name])
            mapping = {c: new_field_name + c[len(field_name):] for c in old}
            for column in mapping.values():
                check_field_path(column)
            store.rename_columns(conn, table, mapping)
            catalog.rename_fields(conn, self._id, mapping)
        self._synced = None
        self._refresh_samples(self._live_samples())  # as FiftyOne: in-memory samples see the new name

    def _check_user_field(self, schema: Schema, name: str, verb: str) -> None:
        if name in PROTECTED_FIELDS:
            raise FieldError(f"cannot {verb} the built-in field {name!r}")
        if name not in schema.fields:
            raise UnknownFieldError(
                f"unknown field {brief(name)}.{suggest(name, schema.fields)} The fields are: {', '.join(schema.fields)}"
            )

    def _validate_value(self, name: str, value: Any, create: bool = True) -> Any:
        """``value`` checked for ``sample[name] = value``; a new field is added to the schema now (as FiftyOne)."""
        schema, _ = self._sync()
        field = schema.fields.get(name)
        if field is None:
            if not create:
                raise UnknownFieldError(f"sample has no field {name!r}; pass create=True or use sample[{name!r}] = value")
            inferred = infer_field(value)
            if inferred is None:
                raise FieldTypeError(
                    f"cannot infer the type of new field {name!r} from None; add it first with "
                    f"dataset.add_sample_field({name!r}, fo.StringField) (or another type), or set a value"
                )
            self._add_fields({name: inferred})
            field = inferred
        field = copy.copy(field)  # the schema's Field is shared by threads: name the path on a copy
        field.path = name
        return field.validate(value)

