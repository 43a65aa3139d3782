"""Errors of the model layer: the classes live in :mod:`bakeoff.errors` (one hierarchy), re-exported here.

    ZooError
    ├── UnknownModelError              (also a ValueError)  unknown zoo name / argument
    ├── ModelConfigError               (also a ValueError)  weights and architecture disagree
    ├── ModelNotFoundError             (also a FileNotFoundError)  no such model folder or file
    └── ZooDownloadError
        └── ModelNotAvailableOfflineError                   no copy here, no network
    BakeoffError
    ├── NoClassesError                 (also a ValueError)  classify before setting classes
    ├── PromptError                    (also a ValueError)  bad classes, prompts or templates
    │   └── PromptTypeError            (also a TypeError)
    └── ModelInputError                (also a ValueError)  nothing to encode

Messages say what failed, the offending value and how to fix it.
"""

from __future__ import annotations

from bakeoff.errors import (
    ModelConfigError,
    ModelInputError,
    ModelNotAvailableOfflineError,
    ModelNotFoundError,
    NoClassesError,
    PromptError,
    PromptTypeError,
    UnknownModelError,
)

__all__ = ["ModelConfigError", "ModelInputError", "ModelNotAvailableOfflineError", "ModelNotFoundError",
           "NoClassesError", "PromptError", "PromptTypeError", "UnknownModelError", "tokenizer_dependency_error"]


def tokenizer_dependency_error(exc: Exception, model: str) -> ModelConfigError | None:
    """A clear error when a tokenizer failed for want of ``sentencepiece``/``protobuf`` (SigLIP, T5, XLM-R), else None."""
    text = str(exc).lower()
    if "sentencepiece" in text or "protobuf" in text:
        return ModelConfigError(
            f"the tokenizer of {model} needs the sentencepiece and protobuf packages: "
            "pip install sentencepiece protobuf (or pip install 'bakeoff[models]')"
        )
    return None
