"""bakeoff's exceptions.

    BakeoffError
    ├── DatasetNotFoundError      (also a KeyError)
    ├── DatasetExistsError        (also a ValueError)
    ├── FieldError                (also a ValueError)
    │   ├── UnknownFieldError     (also a KeyError)
    │   └── FieldTypeError        (also a TypeError)
    ├── SampleNotFoundError       (also a KeyError)
    ├── DatasetImportError        (also a ValueError)
    ├── ZooError
    │   └── ZooDownloadError      (also a ConnectionError)
    └── StorageError

Messages say what failed, the offending value and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BakeoffError(Exception):
    """Base class of every error bakeoff raises on purpose."""

    def __str__(self) -> str:  # KeyError subclasses would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class DatasetNotFoundError(BakeoffError, KeyError):
    """No dataset of that name exists."""


class DatasetExistsError(BakeoffError, ValueError):
    """A dataset of that name exists already."""


class FieldError(BakeoffError, ValueError):
    """A field name or field operation is invalid."""


class UnknownFieldError(FieldError, KeyError):
    """A field path names no field of the dataset."""


class FieldTypeError(FieldError, TypeError):
    """A value does not fit the type of its field."""


class SampleNotFoundError(BakeoffError, KeyError):
    """No sample with that id is in the collection."""


class DatasetImportError(BakeoffError, ValueError):
    """A folder cannot be imported as the requested dataset type."""


class ZooError(BakeoffError):
    """A zoo dataset or model cannot be found or prepared."""


class ZooDownloadError(ZooError, ConnectionError):
    """A download failed (offline, bad checksum, server error)."""


class StorageError(BakeoffError):
    """The database is unusable (newer schema, unreadable file, ...)."""


def suggest(name: str, choices: Iterable[str], n: int = 3) -> str:
    """``" Did you mean 'x' or 'y'?"`` for the close matches of ``name``, else ``""``."""
    choices = list(choices)
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.6)
    if not close:
        lowered = name.lower()
        close = [c for c in choices if lowered in c.lower() or c.lower() in lowered][:n]
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
