"""Label types."""

from __future__ import annotations

from typing import Any

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import FloatField, StringField, VectorField


class Label(EmbeddedDocument):
    """Base class of labels."""


class Classification(Label):
    """A class label, optionally with a confidence and the logits it came from.

    Example::

        import bakeoff as fo
        sample["ground_truth"] = fo.Classification(label="horse")
        sample["clip"] = fo.Classification(label="horse", confidence=0.91, logits=[1.2, 7.5, 0.3])

    ``logits`` are stored as float32.
    """

    _fields = {"label": StringField(), "confidence": FloatField(), "logits": VectorField()}

    def __init__(self, label: str | None = None, confidence: float | None = None, logits: Any = None) -> None:
        super().__init__(label=label, confidence=confidence, logits=logits)
