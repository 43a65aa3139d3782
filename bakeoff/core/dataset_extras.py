"""Saved views, indexes and persisted dataset properties (parts of :class:`~bakeoff.core.dataset.Dataset`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bakeoff.core.dataset_base import DatasetBase
from bakeoff.core.schema import DEFAULT_FIELDS
from bakeoff.errors import (
    FieldError,
    FieldTypeError,
    InvalidOptionError,
    InvalidViewError,
    MediaTypeError,
    SavedViewExistsError,
    SavedViewNotFoundError,
    UnknownFieldError,
    brief,
    suggest,
)
from bakeoff.storage import catalog
from bakeoff.storage import samples as store
from bakeoff.storage.engine import read, write

if TYPE_CHECKING:
    from bakeoff.core.view import DatasetView

SAVED_VIEW = "saved_view"


class SavedViewsAndIndexes(DatasetBase):
    """``save_view``/``load_saved_view``/... and ``create_index``/``list_indexes``/``drop_index``."""

    # -- saved views ----------------------------------------------------------------------
    def save_view(self, name: str, view: DatasetView, description: str | None = None, overwrite: bool = False) -> None:
        """Store ``view``'s stages under ``name`` (shared with other processes and the App)."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidOptionError(f"invalid saved view name {brief(name)}: use a non-empty string")
        if view._root() != self:
            raise InvalidViewError(f"this view belongs to dataset {view._root().name!r}, not {self._name!r}")
        with write(self._engine) as conn:
            if catalog.get_run(conn, self._id, SAVED_VIEW, name) is not None and not overwrite:
                raise SavedViewExistsError(f"saved view {name!r} already exists; pass overwrite=True to replace it")
            config = {"stages": [s.to_dict() for s in view._stage_list()], "description": description}
            catalog.put_run(conn, self._id, SAVED_VIEW, name, config)
        view._name = name  # as FiftyOne: the view saved is now that saved view

    def load_saved_view(self, name: str) -> DatasetView:
        from bakeoff.core.stages import ViewStage
        from bakeoff.core.view import DatasetView

        with read(self._engine) as conn:
            row = catalog.get_run(conn, self._id, SAVED_VIEW, name)
        if row is None:
            names = self.list_saved_views()
            raise SavedViewNotFoundError(
                f"dataset {self._name!r} has no saved view {name!r}.{suggest(name, names)} Saved views: {names}"
            )
        view = DatasetView(self._root(), [ViewStage.from_dict(s) for s in row.config["stages"]], name=name)
        view._builder()
        return view

    def list_saved_views(self, info: bool = False) -> list[Any]:
        with read(self._engine) as conn:
            rows = catalog.list_runs(conn, self._id, SAVED_VIEW)
        if info:
            return [{"name": r.key, "description": r.config.get("description"), "created_at": r.created_at,
                     "updated_at": r.updated_at} for r in rows]
        return [r.key for r in rows]

    def has_saved_view(self, name: str) -> bool:
        return name in self.list_saved_views()

    def delete_saved_view(self, name: str) -> None:
        if not self.has_saved_view(name):
            raise SavedViewNotFoundError(f"dataset {self._name!r} has no saved view {name!r}")
        with write(self._engine) as conn:
            catalog.delete_run(conn, self._id, SAVED_VIEW, name)

    # -- indexes --------------------------------------------------------------------------
    def create_index(self, field_path: str, unique: bool = False) -> str:
        """Index a stored path (``"clip.label"``, ``"clip_eval"``) to speed filters and sorts on it."""
        schema, table = self._sync()
        field = schema.field(field_path)
        if field.kind in (None, "json", "f32array"):
            raise FieldError(f"cannot index {field_path!r} ({type(field).__name__}); index a scalar path such as "
                             f"'{field_path}.label'")
        with write(self._engine) as conn:
            return store.create_index(conn, table, field_path, unique)

    def list_indexes(self) -> list[str]:
        """Indexed field paths (``id`` and ``filepath`` are always indexed)."""
        _, table = self._sync()
        with read(self._engine) as conn:
            indexes = store.list_indexes(conn, table)
        return sorted({columns[0] for columns in indexes.values() if len(columns) == 1} | {"id"})

    def drop_index(self, field_path: str) -> None:
        if field_path in DEFAULT_FIELDS and field_path in ("id", "filepath"):
            raise FieldError(f"the index on {field_path!r} is built in and cannot be dropped")
        _, table = self._sync()
        with write(self._engine) as conn:
            if not store.drop_index(conn, table, field_path):
                raise UnknownFieldError(f"no index on {brief(field_path)}; indexed: {self.list_indexes()}")


PROPERTIES = ("dataset_properties", "properties")  # (run type, key) of the record that holds them


class DatasetProperties(DatasetBase):
    """``classes``, ``default_classes``, ``description``, ``tags`` and ``media_type``, saved with the dataset
    as in FiftyOne.

    Assigning saves at once; a change made in place (``dataset.classes["gt"].append("dog")``) is saved by
    ``dataset.save()`` and dropped by ``dataset.reload()``.

    Example::

        dataset.classes = {"ground_truth": ["cat", "dog"]}
        dataset.default_classes = ["cat", "dog"]
        fo.load_dataset(dataset.name).classes      # {'ground_truth': ['cat', 'dog']}, in another process too
    """

    def _loaded_properties(self) -> dict[str, Any]:
        self._check_alive()
        if self._properties is None:
            with read(self._engine) as conn:
                row = catalog.get_run(conn, self._id, *PROPERTIES)
            stored = dict(row.config or {}) if row is not None else {}
            self._properties = {"classes": dict(stored.get("classes") or {}),
                                "default_classes": list(stored.get("default_classes") or []),
                                "description": stored.get("description"),
                                "tags": list(stored.get("tags") or []),
                                "media_type": stored.get("media_type")}
        return self._properties

    def _save_properties(self) -> None:
        properties = self._loaded_properties()
        _check_classes(properties["classes"])
        _check_class_list("default_classes", properties["default_classes"])
        _check_tags(properties["tags"])
        with write(self._engine) as conn:
            catalog.put_run(conn, self._id, *PROPERTIES, properties)

    def _set_property(self, name: str, value: Any) -> None:
        self._check_alive()
        self._loaded_properties()[name] = value
        self._save_properties()

    @property
    def classes(self) -> dict[str, list[str]]:
        """``{field: [class, ...]}``: the classes of label fields (evaluations read them)."""
        return self._loaded_properties()["classes"]

    @classes.setter
    def classes(self, value: dict[str, list[str]] | None) -> None:
        value = {} if value is None else value
        _check_classes(value)
        self._set_property("classes", {k: list(v) for k, v in value.items()})

    @property
    def default_classes(self) -> list[str]:
        """The classes of label fields that :attr:`classes` does not name."""
        return self._loaded_properties()["default_classes"]

    @default_classes.setter
    def default_classes(self, value: list[str] | None) -> None:
        value = [] if value is None else value
        _check_class_list("default_classes", value)
        self._set_property("default_classes", list(value))

    @property
    def description(self) -> str | None:
        return self._loaded_properties()["description"]

    @description.setter
    def description(self, value: str | None) -> None:
        if value is not None and not isinstance(value, str):
            raise FieldTypeError(f"dataset.description must be a str or None, got {brief(value)}")
        self._set_property("description", value)


    @property
    def tags(self) -> list[str]:
        """The dataset's own tags (not its samples'): assigning saves; after ``dataset.tags.append(...)`` call
        :meth:`save`, as in FiftyOne.

        Example::

            dataset.tags = ["pets", "2026"]
            dataset.tags.append("reviewed"); dataset.save()
        """
        return self._loaded_properties()["tags"]

    @tags.setter
    def tags(self, value: list[str] | tuple[str, ...] | None) -> None:
        value = [] if value is None else value
        _check_tags(value)
        self._set_property("tags", list(value))

    @property
    def media_type(self) -> str | None:
        """``"image"``; None for a dataset that never had a sample nor a media type set (as FiftyOne)."""
        stored = self._loaded_properties()["media_type"]
        if stored is None and self._has_samples():  # a dataset made before media types were recorded
            return "image"
        return stored

    @media_type.setter
    def media_type(self, value: str | None) -> None:
        if value != "image":
            raise MediaTypeError(f"bakeoff datasets hold images: media_type can only be 'image', got {brief(value)}")
        self._set_property("media_type", value)

    def _note_image_samples(self) -> None:
        """Samples were added: the dataset's media type is "image" from now on (as FiftyOne records it)."""
        if self._loaded_properties()["media_type"] is None:
            self._set_property("media_type", "image")


def _check_tags(value: Any) -> None:
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise FieldTypeError(f"dataset.tags must be a list of str, got {brief(value)}")


def _check_classes(value: Any) -> None:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise FieldTypeError(f"dataset.classes must be a dict {{field: [class, ...]}} with str keys, got {brief(value)}")
    for key, classes in value.items():
        _check_class_list(f"dataset.classes[{key!r}]", classes)


def _check_class_list(what: str, value: Any) -> None:
    if not isinstance(value, list | tuple) or not all(isinstance(c, str) for c in value):
        raise FieldTypeError(f"{what} must be a list of str class names, got {brief(value)}")

