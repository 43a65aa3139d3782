"""bakeoff's exceptions.

    BakeoffError
    ├── DatasetNotFoundError      (also a KeyError and a ValueError, as FiftyOne's)  no such dataset, or deleted
    ├── DatasetExistsError        (also a ValueError)
    ├── InvalidDatasetNameError   (also a ValueError)   empty, too long, or with '/' or control characters
    ├── FieldError                (also a ValueError)
    │   ├── UnknownFieldError     (also a KeyError)     sample['nope'], drop_index() of a path without an index
    │   └── FieldTypeError        (also a TypeError)
    ├── InvalidViewError          (also a ValueError)   malformed or out-of-range view / expression
    ├── UnsupportedExpressionError (also a NotImplementedError) an op the database backend cannot run
    ├── SampleNotFoundError       (also a KeyError)
    ├── SampleIndexError          (also a ValueError and a KeyError)  dataset[0]: samples are keyed by id or filepath
    ├── EmptyCollectionError      (also a ValueError)   first()/last() of an empty dataset or view
    ├── ValuesLengthError         (also a ValueError)   set_values() with more or fewer values than samples
    ├── MediaTypeError            (also a ValueError)   a media type other than "image"
    ├── SavedViewExistsError      (also a ValueError)   save_view() of a name in use, without overwrite=True
    ├── SavedViewNotFoundError    (also a ValueError and a KeyError)  no saved view of that name
    ├── UnknownAttributeError     (also an AttributeError)  a misspelt or read-only attribute of a dataset, view,
    │                                                      sample, label or expression
    ├── DatasetImportError        (also a ValueError)
    ├── ImageDecodeError          (also an OSError)     an image file that cannot be read or decoded
    ├── ZooError
    │   ├── ZooDownloadError      (also a ConnectionError)
    │   │   └── ModelNotAvailableOfflineError            no copy of the weights here, and no network
    │   ├── UnsafeModelError      (also a ValueError)   a model file that would run code (pickle, ...)
    │   ├── ModelAccessError      (also a PermissionError)  the App may not load models from there
    │   ├── UnknownModelError     (also a ValueError)   unknown zoo model name or loader argument
    │   ├── ModelConfigError      (also a ValueError)   weights and architecture disagree, a missing tokenizer package
    │   └── ModelNotFoundError    (also a FileNotFoundError)  a model folder or file that does not exist (404)
    ├── NoClassesError            (also a ValueError)   classify with a model whose classes are not set
    ├── PromptError               (also a ValueError)   class names, prompts or templates that cannot be used
    │   └── PromptTypeError       (also a TypeError)    e.g. classes="cat" instead of ["cat"]
    ├── ModelInputError           (also a ValueError)   nothing to encode: an empty batch, no prompts
    ├── NotAModelError            (also a TypeError)    apply_model was given something else than a zero-shot model
    ├── InvalidOptionError        (also a ValueError)   an option value that cannot work (batch_size=0, backend='spark')
    │   └── UnknownOptionError    (also a TypeError)    an option the call does not take (replicas= on the local backend)
    ├── AppTokenError             (also a ValueError)   an App token that cannot be used
    ├── UnknownTimezoneError      (also a KeyError)     config.timezone names no time zone
    ├── LabelErrorsError          (also a ValueError)   likely label errors need logits; min_score out of range
    ├── EvaluationError           (also a ValueError)   an evaluation that cannot run as asked (method, classes)
    ├── NotComparedError          (also a KeyError)     a model or pair that a comparison does not hold
    ├── MissingDependencyError    (also an ImportError) an optional package the call needs (matplotlib, ...)
    ├── BrainError                (also a ValueError)   a brain method that cannot run as asked (no embeddings, wrong dims)
    ├── BrainRunNotFoundError     (also a KeyError)     no brain run under that key
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


class DatasetNotFoundError(BakeoffError, KeyError, ValueError):
    """No dataset of that name exists, or this dataset object's dataset was deleted (FiftyOne: ValueError)."""

    http_status = 404


class DatasetExistsError(BakeoffError, ValueError):
    """A dataset of that name exists already."""


class InvalidDatasetNameError(BakeoffError, ValueError):
    """A dataset name that cannot be used everywhere (Python, the CLI, the App's URLs)."""


class FieldError(BakeoffError, ValueError):
    """A field name or field operation is invalid."""


class UnknownFieldError(FieldError, KeyError):
    """A field path names no field of the dataset or label (``sample["nope"]``), or no index (``drop_index``)."""


class FieldTypeError(FieldError, TypeError):
    """A value does not fit the type of its field."""


class UnsupportedExpressionError(BakeoffError, NotImplementedError):
    """An expression op or aggregation the database backend cannot run."""


class InvalidViewError(BakeoffError, ValueError):
    """A view stage or expression is malformed: unknown op, wrong arity or type, a number out of range,
    a bad regular expression, or a view too deep or too large to run."""


class SampleNotFoundError(BakeoffError, KeyError):
    """No sample with that id is in the collection."""

    http_status = 404


class SampleIndexError(BakeoffError, ValueError, KeyError):
    """``dataset[0]``: samples are looked up by id or filepath, not by position (FiftyOne: ValueError on
    datasets, KeyError on views)."""


class EmptyCollectionError(BakeoffError, ValueError):
    """``first()``/``last()`` of a dataset or view without samples (FiftyOne: ValueError)."""


class ValuesLengthError(BakeoffError, ValueError):
    """``set_values()`` got another number of values than the collection has samples."""


class MediaTypeError(BakeoffError, ValueError):
    """bakeoff's datasets hold images: another media type cannot be set (FiftyOne: ValueError)."""


class SavedViewExistsError(BakeoffError, ValueError):
    """``save_view(name, ...)`` where a saved view of that name exists and ``overwrite`` is False."""


class SavedViewNotFoundError(BakeoffError, ValueError, KeyError):
    """No saved view of that name on the dataset (FiftyOne: ValueError)."""

    http_status = 404


class UnknownAttributeError(BakeoffError, AttributeError):
    """A dataset, view, sample, label or expression has no such attribute, or it cannot be set
    (``view.name = ...``, ``F("x").op = ...``)."""


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


class ModelNotAvailableOfflineError(ZooDownloadError):
    """The weights are neither in the model zoo folder nor in the cache, and there is no network."""


class UnknownModelError(ZooError, ValueError):
    """A zoo model name (or one of its arguments) is not known."""


class ModelConfigError(ZooError, ValueError):
    """The requested weights cannot be loaded correctly into the requested architecture."""


class ModelNotFoundError(ZooError, FileNotFoundError):
    """A model folder or file named by the caller does not exist."""

    http_status = 404


class NoClassesError(BakeoffError, ValueError):
    """Classification was asked of a model whose ``classes`` are not set."""


class PromptError(BakeoffError, ValueError):
    """Class names, prompts or prompt templates that cannot be used (empty, duplicated, no ``{}``, unknown set)."""


class PromptTypeError(PromptError, TypeError):
    """A class list, prompt or template of the wrong type (``classes="cat"`` instead of ``["cat"]``)."""


class ModelInputError(BakeoffError, ValueError):
    """A model was asked to encode nothing: an empty batch of images, no prompts."""


class NotAModelError(BakeoffError, TypeError):
    """``apply_model`` / ``compute_embeddings`` was given an object that is not a zero-shot model."""


class InvalidOptionError(BakeoffError, ValueError):
    """An option of a call or command with a value that cannot work: ``batch_size=0``, ``backend="spark"``."""


class UnknownOptionError(InvalidOptionError, TypeError):
    """An option the call does not take, or not with this backend (``replicas=`` with ``backend="local"``,
    ``ImageMetadata(widht=640)``)."""


class AppTokenError(BakeoffError, ValueError):
    """An App token (``launch_app(token=...)``, ``BAKEOFF_APP_TOKEN``) that cannot travel in URLs and headers."""


class UnknownTimezoneError(BakeoffError, KeyError):
    """``config.timezone`` / ``BAKEOFF_TIMEZONE`` names no time zone (FiftyOne raises pytz's, a KeyError)."""


class LabelErrorsError(BakeoffError, ValueError):
    """Likely label errors cannot be computed as asked: no compared field stores logits, or ``min_score`` is out of range."""


class EvaluationError(BakeoffError, ValueError):
    """An evaluation that cannot run as asked: unknown method, missing classes, labels outside them."""


class NotComparedError(BakeoffError, KeyError):
    """A model (or pair of models) that the comparison does not hold: ``comparison.only_right("x")``."""


class MissingDependencyError(BakeoffError, ImportError):
    """An optional package the call needs is not installed; the message says which extra installs it."""


class BrainError(BakeoffError, ValueError):
    """A brain method that cannot run as asked: no embeddings, vectors of the wrong size, an invalid brain key."""


class BrainRunNotFoundError(BakeoffError, KeyError):
    """No brain run (similarity index, visualization, ...) under that key on the dataset."""

    http_status = 404


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
