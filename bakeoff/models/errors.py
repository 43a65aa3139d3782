"""Errors of the model layer, under bakeoff's tree (see :mod:`bakeoff.errors`).

    ZooError
    ├── UnknownModelError              (also a ValueError)  unknown zoo name / argument
    ├── ModelConfigError               (also a ValueError)  weights and architecture disagree
    └── ZooDownloadError
        └── ModelNotAvailableOfflineError                   no copy here, no network
    BakeoffError
    └── NoClassesError                 (also a ValueError)  classify before setting classes

Messages say what failed, the offending value and how to fix it.
"""

from __future__ import annotations

from bakeoff.errors import BakeoffError, ZooDownloadError, ZooError


class UnknownModelError(ZooError, ValueError):
    """A zoo model name (or one of its arguments) is not known."""


class ModelConfigError(ZooError, ValueError):
    """The requested weights cannot be loaded correctly into the requested architecture."""


class ModelNotAvailableOfflineError(ZooDownloadError):
    """The weights are neither in the model zoo folder nor in the cache, and there is no network."""


class NoClassesError(BakeoffError, ValueError):
    """Classification was asked of a model whose ``classes`` are not set."""


def tokenizer_dependency_error(exc: Exception, model: str) -> ModelConfigError | None:
    """A clear error when a tokenizer failed for want of ``sentencepiece``/``protobuf`` (SigLIP, T5, XLM-R), else None."""
    text = str(exc).lower()
    if "sentencepiece" in text or "protobuf" in text:
        return ModelConfigError(
            f"the tokenizer of {model} needs the sentencepiece and protobuf packages: "
            "pip install sentencepiece protobuf (or pip install 'bakeoff[models]')"
        )
    return None
