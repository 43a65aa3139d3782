"""The datasets of the configured database: load one by name, list, check, delete.

Example::

    import bakeoff as fo
    fo.list_datasets("caltech*")
    dataset = fo.load_dataset("caltech101")
"""

from __future__ import annotations

from bakeoff._config import config
from bakeoff.core.dataset import Dataset, _instances, _instances_lock, _touch_loaded
from bakeoff.errors import DatasetNotFoundError, suggest
from bakeoff.storage import catalog
from bakeoff.storage.engine import get_engine, read


def _dataset_from_row(row) -> Dataset:
    uri = config.database_uri
    with _instances_lock:
        existing = _instances.get((uri, row.id))
    if existing is not None and not existing._deleted:
        existing._name, existing._persistent = row.name, bool(row.persistent)
        existing._last_loaded_at = row.last_loaded_at
        return existing
    return Dataset(_row=row)


def load_dataset(name: str) -> Dataset:
    """The dataset called ``name``; :class:`DatasetNotFoundError` (with close names) if none."""
    engine = get_engine(config.database_uri)
    with read(engine) as conn:  # a read: loading never waits for a writer
        row = catalog.get_dataset(conn, name=name)
        if row is None:
            names = catalog.dataset_names(conn)
            raise DatasetNotFoundError(
                f"no dataset named {name!r}.{suggest(name, names)} "
                f"list_datasets() shows the {len(names)} dataset(s) in {config.database_display}"
            )
    dataset = _dataset_from_row(row)
    dataset._last_loaded_at = _touch_loaded(engine, row.id) or dataset._last_loaded_at
    return dataset


def list_datasets(glob_patt: str | None = None) -> list[str]:
    """Names of all datasets, sorted; optionally those matching a glob pattern like ``"caltech*"``."""
    import fnmatch

    with read(get_engine(config.database_uri)) as conn:
        names = catalog.dataset_names(conn)
    return [n for n in names if glob_patt is None or fnmatch.fnmatch(n, glob_patt)]


def dataset_exists(name: str) -> bool:
    with read(get_engine(config.database_uri)) as conn:
        return catalog.get_dataset(conn, name=name) is not None


def delete_dataset(name: str) -> None:
    """Delete the dataset called ``name``."""
    load_dataset(name).delete()


def delete_non_persistent_datasets() -> list[str]:
    """Delete non-persistent datasets whose process has exited; returns their names."""
    return catalog.delete_orphaned_datasets(get_engine(config.database_uri))
