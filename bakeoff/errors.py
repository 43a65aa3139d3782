"""bakeoff's exceptions.

    BakeoffError
    ├── DatasetNotFoundError      (also a KeyError)
    ├── DatasetExistsError        (also a ValueError)
    ├── InvalidDatasetNameError   (also a ValueError)   empty, too long, or with '/' or control characters
    ├── FieldError                (also a ValueError)
    │   ├── UnknownFieldError     (also a KeyError)
    │   └── FieldTypeError        (also a TypeError)
    ├── InvalidViewError          (also a ValueError)   malformed or out-of-range view / expression
    ├── SampleNotFoundError       (also a KeyError)
    ├── DatasetImportError        (also a ValueError)
    ├── ImageDecodeError          (also an OSError)     an image file that cannot be read or decoded
    ├── ZooError
    │   ├── ZooDownloadError      (also a ConnectionError)
    │   ├── UnsafeModelError      (also a ValueError)   a model file that would run code (pickle, ...)
    │   └── ModelAccessError      (also a PermissionError)  the App may not load models from there
    ├── AppTokenError             (also a ValueError)   an App token that cannot be used
    └── StorageError

Each class knows the HTTP status the App answers with (``http_status``, 400
unless said otherwise). Messages say what failed, the offending value and how
to fix it; :func:`brief` keeps a hostile value from filling a message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class BakeoffError(Exception):
    """Base class of every error bakeoff raises on purpose."""

    #: what the App answers when a request causes this error
    http_status: int = 400

    def __str__(self) -> str:  # KeyError subclasses would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class DatasetNotFoundError(BakeoffError, KeyError):
    """No dataset of that name exists."""

    http_status = 404


class DatasetExistsError(BakeoffError, ValueError):
    """A dataset of that name exists already."""


class InvalidDatasetNameError(BakeoffError, ValueError):
    """A dataset name that cannot be used everywhere (Python, the CLI, the App's URLs)."""


class FieldError(BakeoffError, ValueError):
    """A field name or field operation is invalid."""


class UnknownFieldError(FieldError, KeyError):
    """A field path names no field of the dataset."""


class FieldTypeError(FieldError, TypeError):
    """A value does not fit the type of its field."""


class InvalidViewError(BakeoffError, ValueError):
    """A view stage or expression is malformed: unknown op, wrong arity or type, a number out of range,
    a bad regular expression, or a view too deep or too large to run."""


class SampleNotFoundError(BakeoffError, KeyError):
    """No sample with that id is in the collection."""

    http_status = 404


class DatasetImportError(BakeoffError, ValueError):
    """A folder cannot be imported as the requested dataset type."""


class ImageDecodeError(BakeoffError, OSError):
    """An image file could not be read or decoded: ``filepath`` and the ``reason`` (recorded per sample)."""

    def __init__(self, filepath: str, reason: str) -> None:
        super().__init__(f"cannot read image {filepath!r}: {reason}")
        self.filepath, self.reason = filepath, reason

    http_status = 415


class ZooError(BakeoffError):
    """A zoo dataset or model cannot be found or prepared."""


class ZooDownloadError(ZooError, ConnectionError):
    """A download failed (offline, bad checksum, server error)."""


class UnsafeModelError(ZooError, ValueError):
    """A model file would run code when loaded (pickle weights without ``weights_only``, ...)."""


class ModelAccessError(ZooError, PermissionError):
    """The App may load models only from zoo names and folders under ``config.app_model_dirs``."""

    http_status = 403


class AppTokenError(BakeoffError, ValueError):
    """An App token (``launch_app(token=...)``, ``BAKEOFF_APP_TOKEN``) that cannot travel in URLs and headers."""


class StorageError(BakeoffError):
    """The database is unusable (newer schema, unreadable file, ...)."""

    http_status = 500


#: the longest name :func:`suggest` compares (difflib is quadratic: a 10 MB name would take seconds)
MAX_SUGGEST_LENGTH = 256


def brief(value: object, limit: int = 120) -> str:
    """``repr(value)``, cut to ``limit`` characters, for error messages about values a client sent.

    Example::

        >>> brief("x" * 1000, limit=12)
        "'xxxxxxxxxxx... (1002 characters)"
    """
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def suggest(name: str, choices: Iterable[str], n: int = 3) -> str:
    """``" Did you mean 'x' or 'y'?"`` for the close matches of ``name``, else ``""``."""
    if len(name) > MAX_SUGGEST_LENGTH:
        return ""
    choices = [c for c in choices if len(c) <= MAX_SUGGEST_LENGTH]
    close = difflib.get_close_matches(name, choices, n=n, cutoff=0.6)
    if not close:
        lowered = name.lower()
        close = [c for c in choices if lowered in c.lower() or c.lower() in lowered][:n]
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"
