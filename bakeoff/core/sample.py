"""Samples: one image and its fields."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from bakeoff.core.metadata import ImageMetadata
from bakeoff.core.schema import READONLY_FIELDS
from bakeoff.errors import FieldError
from bakeoff.storage.identifiers import check_field_name

if TYPE_CHECKING:
    from bakeoff.core.dataset import Dataset


def normalize_filepath(filepath: str | os.PathLike) -> str:
    """Absolute local path (``~`` expanded); URLs (``s3://``, ``https://``) unchanged."""
    from bakeoff.core.media import is_url

    path = os.fspath(filepath)
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
        sample.save()              # after changes to a sample that is in a dataset
    """

    _reserved = ("_data", "_dataset", "_dirty")

    def __init__(self, filepath: str | os.PathLike, tags: list[str] | None = None,
                 metadata: ImageMetadata | None = None, **fields: Any) -> None:
        from bakeoff.core.schema import DEFAULT_FIELDS

        object.__setattr__(self, "_data", {
            "id": None,
            "filepath": normalize_filepath(filepath),
            "tags": DEFAULT_FIELDS["tags"].validate(tags) or [],
            "metadata": DEFAULT_FIELDS["metadata"].validate(metadata),
        })
        object.__setattr__(self, "_dataset", None)
        object.__setattr__(self, "_dirty", set())
        for name, value in fields.items():
            self.set_field(name, value)

    @classmethod
    def _from_db(cls, dataset: Dataset, values: dict[str, Any]) -> Sample:
        sample = cls.__new__(cls)
        object.__setattr__(sample, "_data", values)
        object.__setattr__(sample, "_dataset", dataset)
        object.__setattr__(sample, "_dirty", set())
        return sample

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
            raise AttributeError(
                f"sample has no field {head!r}; its fields are {', '.join(self._data)}"
            )
        value = self._data[head]
        return getattr(value, rest) if rest and value is not None else (None if rest else value)

    def set_field(self, name: str, value: Any, create: bool = True) -> None:
        """Set a field; on a sample in a dataset, a new field is added to the schema on :meth:`save`."""
        if name in READONLY_FIELDS:
            raise FieldError(f"field {name!r} is set by bakeoff and cannot be assigned")
        check_field_name(name)
        if name == "filepath":
            value = normalize_filepath(value)
        if self._dataset is not None:
            value = self._dataset._validate_value(name, value, create=create)
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
            raise KeyError(str(error)) from None

    def __setitem__(self, name: str, value: Any) -> None:
        self.set_field(name, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self.get_field(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in self._reserved or name in type(self).__dict__:
            object.__setattr__(self, name, value)
        else:
            self.set_field(name, value)

    def __contains__(self, name: str) -> bool:
        return name in self._data

    # -- persistence ----------------------------------------------------------------------
    def save(self) -> None:
        """Write changed fields to the dataset (tags edited in place count as changed)."""
        if self._dataset is None:
            raise FieldError("this sample is in no dataset; add it with dataset.add_sample(sample)")
        self._dirty.add("tags")
        self._dataset._save_sample(self)
        self._dirty.clear()

    def reload(self) -> None:
        """Re-read the sample's fields from the database."""
        if self._dataset is None:
            return
        fresh = self._dataset[self.id]
        object.__setattr__(self, "_data", fresh._data)
        self._dirty.clear()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly dict of the sample's fields."""
        from bakeoff.core.document import EmbeddedDocument

        out = {}
        for name, value in self._data.items():
            if isinstance(value, EmbeddedDocument):
                value = value.to_dict()
            elif hasattr(value, "isoformat"):
                value = value.isoformat()
            elif hasattr(value, "tolist"):
                value = value.tolist()
            out[name] = value
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sample):
            return NotImplemented
        if self.id is not None or other.id is not None:
            return self.id == other.id
        return self is other

    def __hash__(self) -> int:
        return hash(self.id) if self.id is not None else id(self)

    def __repr__(self) -> str:
        lines = ["<Sample: {"]
        for name, value in self._data.items():
            lines.append(f"    {name!r}: {value!r},")
        lines.append("}>")
        return "\n".join(lines)
