"""Samples: one image and its fields.

A sample read from a dataset is the one in-memory object for its id in this
process (as in FiftyOne): ``dataset[id] is sample`` while someone holds it,
iteration returns the same objects, and writes made through the dataset
(``set_values``, ``tag_samples``, a field rename, a view's sample saved) reach
it. Samples read through a view are separate objects whose ``save`` updates
the dataset's object too.
"""

from __future__ import annotations

import copy
import os
from typing import TYPE_CHECKING, Any

from bakeoff.core.document import IMMUTABLE_TYPES, copy_value, snapshot
from bakeoff.core.metadata import ImageMetadata
from bakeoff.core.schema import READONLY_FIELDS
from bakeoff.errors import FieldError, FieldTypeError, UnknownAttributeError, UnknownFieldError, brief
from bakeoff.storage.identifiers import check_field_name

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset


def normalize_filepath(filepath: str | os.PathLike) -> str:
    """Absolute local path (``~`` expanded); URLs (``s3://``, ``https://``) unchanged."""
    from bakeoff.media.files import is_url

    if not isinstance(filepath, str | os.PathLike) or isinstance(path := os.fspath(filepath), bytes):
        raise FieldTypeError(f"a sample's filepath is a str or a path, got {brief(filepath)} "
                             f"({type(filepath).__name__})")
    if is_url(path):
        return path
    return os.path.abspath(os.path.expanduser(path))


class Sample:
    """An image and its fields.

    Example::

        import bakeoff as fo
        sample = fo.Sample("/data/horse.jpg", ground_truth=fo.Classification(label="horse"))
        sample["clip"] = fo.Classification(label="treadmill", confidence=0.4)
        sample.tags.append("check")
        dataset.add_sample(sample)
        sample.clip.label          # 'treadmill'
        dataset[sample.id] is sample   # True: one object per sample
        sample.save()              # after changes to a sample that is in a dataset
    """

    #: ``_view_fields``: None for a dataset's own sample (or one in no dataset); for a sample read
    #: through a view, the fields that view shows. ``_dirty``: fields assigned since the last save;
    #: ``_seen``: {field: snapshot} of the mutable values handed out since then (``sample.gt.label = "x"``
    #: and ``sample.tags.append("x")`` change them in place: ``save()`` compares them with their snapshot)
    _reserved = ("_data", "_dataset", "_dirty", "_view_fields", "_seen")

    def __init__(self, filepath: str | os.PathLike, tags: list[str] | None = None,
                 metadata: ImageMetadata | None = None, **fields: Any) -> None:
        from bakeoff.core.schema import DEFAULT_FIELDS

        object.__setattr__(self, "_data", {
            "id": None,
            "filepath": normalize_filepath(filepath),
            "tags": DEFAULT_FIELDS["tags"].validate(tags) or [],
            "metadata": DEFAULT_FIELDS["metadata"].validate(metadata),
            "created_at": None,
            "last_modified_at": None,
        })
        object.__setattr__(self, "_dataset", None)
        object.__setattr__(self, "_dirty", set())
        object.__setattr__(self, "_view_fields", None)
        object.__setattr__(self, "_seen", {})
        for name, value in fields.items():
            self.set_field(name, value)

    @classmethod
    def _from_db(cls, dataset: Dataset, values: dict[str, Any], view_fields: tuple[str, ...] | None = None) -> Sample:
        sample = cls.__new__(cls)
        object.__setattr__(sample, "_data", values)
        object.__setattr__(sample, "_dataset", dataset)
        object.__setattr__(sample, "_dirty", set())
        object.__setattr__(sample, "_view_fields", view_fields)
        object.__setattr__(sample, "_seen", {})
        return sample

    def _bind(self, dataset: Dataset, values: dict[str, Any]) -> None:
        """Make this object the dataset's sample with these values (after ``add_samples``).

        The values are copied (as FiftyOne does): a label the caller still holds, or gives to the next
        sample, is not this sample's.
        """
        object.__setattr__(self, "_data", {name: copy_value(value) for name, value in values.items()})
        object.__setattr__(self, "_dataset", dataset)
        self._loaded()

    def _load(self, values: dict[str, Any]) -> None:
        """Replace the values with ones just read from the database (unsaved changes are dropped)."""
        object.__setattr__(self, "_data", values)  # a new dict: readers in other threads see old or new
        self._loaded()

    def _loaded(self) -> None:
        """The values are as stored: nothing to save."""
        self._dirty.clear()
        object.__setattr__(self, "_seen", {})

    def _detach(self) -> None:
        """The sample was deleted: keep its values, drop its id and dataset (as FiftyOne)."""
        object.__setattr__(self, "_data", {**self._data, "id": None, "created_at": None, "last_modified_at": None})
        object.__setattr__(self, "_dataset", None)
        object.__setattr__(self, "_view_fields", None)
        self._loaded()

    # -- identity -------------------------------------------------------------------------
    @property
    def id(self) -> str | None:
        """The sample's id, or None until it is added to a dataset."""
        return self._data.get("id")

    @property
    def dataset(self) -> Dataset | None:
        return self._dataset

    @property
    def in_dataset(self) -> bool:
        return self._dataset is not None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(self._data)

    # -- field access ---------------------------------------------------------------------
    def get_field(self, name: str) -> Any:
        head, _, rest = name.partition(".")
        if head not in self._data:
            if self._view_fields is not None and head in self._dataset._sync()[0].fields:
                raise UnknownAttributeError(f"Field {head!r} is excluded from this SampleView: the view's "
                                            "select_fields() or exclude_fields() hides it")
            raise UnknownAttributeError(
                f"sample has no field {head!r}; its fields are {', '.join(self._data)}"
            )
        value = self._data[head]
        if type(value) not in IMMUTABLE_TYPES and head not in self._seen:
            self._seen[head] = snapshot(value)  # it may be changed in place: save() compares
        return getattr(value, rest) if rest and value is not None else (None if rest else value)

    def set_field(self, name: str, value: Any, create: bool = True) -> None:
        """Set a field; a new field is added to a dataset's schema at once (``create=False`` refuses new fields).

        Example::

            sample.set_field("note", "look again")          # same as sample["note"] = "look again"
            sample.set_field("nte", "x", create=False)      # UnknownFieldError: no such field
        """
        if name in READONLY_FIELDS:
            raise FieldError(f"field {name!r} is set by bakeoff and cannot be assigned")
        check_field_name(name)
        if name == "filepath":
            value = normalize_filepath(value)
        if self._dataset is not None:
            value = self._dataset._validate_value(name, value, create=create)
        elif not create and name not in self._data:
            raise UnknownFieldError(f"sample has no field {name!r}; pass create=True or use sample[{name!r}] = value")
        self._data[name] = value
        self._dirty.add(name)

    def has_field(self, name: str) -> bool:
        return name in self._data

    def clear_field(self, name: str) -> None:
        """Set a field to None (the field stays in the dataset's schema)."""
        self.set_field(name, None)

    def __getitem__(self, name: str) -> Any:
        try:
            return self.get_field(name)
        except AttributeError as error:
            raise UnknownFieldError(str(error)) from None

    def __setitem__(self, name: str, value: Any) -> None:
        self.set_field(name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get_field(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._reserved or name.startswith("_"):
            object.__setattr__(self, name, value)
        elif name in self._data or name in READONLY_FIELDS:
            self.set_field(name, value)
        elif name in type(self).__dict__:
            raise UnknownAttributeError(f"sample.{name} cannot be set")
        else:  # FiftyOne's rule: a typo must not quietly add a field
            raise FieldError(
                f"sample has no field {name!r}: adding sample fields with the `sample.field = value` syntax is "
                f"not allowed; use sample[{name!r}] = value"
            )

    def __contains__(self, name: str) -> bool:
        return name in self._data

    # -- persistence ----------------------------------------------------------------------
    def save(self) -> None:
        """Write the fields changed since the sample was read or saved: assigned ones and ones changed in place
        (``sample.gt.label = "dog"``, ``sample.tags.append("x")``, ``sample["scores"].append(1)``), as FiftyOne.
        Nothing is written (``last_modified_at`` stays) when nothing changed."""
        if self._dataset is None:
            raise FieldError("cannot save a sample that is in no dataset; add it with dataset.add_sample(sample)")
        data, seen = self._data, self._seen
        changed = set(self._dirty)
        changed.update(n for n, before in seen.items() if n not in changed and n in data and snapshot(data[n]) != before)
        if changed:
            self._dataset._save_sample(self, changed)
        self._dirty.clear()
        # what the caller still holds (a label read or assigned) may change again before the next save
        for name in changed | set(seen):
            value = self._data.get(name)
            if type(value) in IMMUTABLE_TYPES:
                seen.pop(name, None)
            else:
                seen[name] = snapshot(value)

    def reload(self) -> None:
        """Re-read the sample's fields from the database; unsaved changes are dropped."""
        if self._dataset is None:
            return
        self._dataset._refresh_samples([self], missing_ok=False)

    def copy(self, fields: list[str] | None = None, omit_fields: list[str] | None = None) -> Sample:
        """A deep copy in no dataset (no id), optionally with only ``fields`` or without ``omit_fields``.

        Example::

            other_dataset.add_sample(sample.copy(omit_fields=["clip"]))
        """
        keep = None if fields is None else {fields} if isinstance(fields, str) else set(fields)
        omit = set() if omit_fields is None else {omit_fields} if isinstance(omit_fields, str) else set(omit_fields)
        out = Sample(self._data["filepath"])
        for name, value in self._data.items():
            if name in READONLY_FIELDS or name == "filepath" or name in omit:
                continue
            if keep is not None and name not in keep and name not in ("tags", "metadata"):
                continue
            out._data[name] = copy.deepcopy(value)
        return out

    def __copy__(self) -> Sample:
        return self.copy()

    def __deepcopy__(self, memo: dict) -> Sample:
        return self.copy()

    def to_dict(self, include_private: bool = False) -> dict[str, Any]:
        """A JSON-friendly dict of the sample's fields: FiftyOne's keys, so no ``id`` (``_id`` with ``include_private``).

        Example::

            sample.to_dict()   # {'filepath': '/data/a.jpg', 'tags': [], 'metadata': None, 'created_at': ..., ...}
        """
        from bakeoff.core.document import EmbeddedDocument

        out: dict[str, Any] = {}
        if include_private:
            out["_id"] = None if self.id is None else {"$oid": self.id}
        for name, value in self._data.items():
            if name == "id":
                continue
            if isinstance(value, EmbeddedDocument):
                value = value.to_dict()
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif hasattr(value, "tolist"):
                value = value.tolist()
            out[name] = value
        if include_private:
            out["_media_type"] = "image"
            out["_dataset_id"] = None if self._dataset is None else self._dataset.id
        return out

    def __eq__(self, other: object) -> bool:
        """A dataset's sample equals only itself (one object per id); samples read through views
        are equal when they show the same sample of the same dataset (as FiftyOne's SampleView)."""
        if not isinstance(other, Sample):
            return NotImplemented
        if self is other:
            return True
        return (self.id is not None and self.id == other.id and self._dataset is other._dataset
                and self._view_fields is not None and other._view_fields is not None)

    # as FiftyOne: samples are mutable, so they are not hashable (mypy's false positive: python/mypy#4266)
    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        lines = ["<Sample: {"]
        for name, value in self._data.items():
            lines.append(f"    {name!r}: {value!r},")
        lines.append("}>")
        return "\n".join(lines)
