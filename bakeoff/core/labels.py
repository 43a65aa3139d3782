"""Label types."""

from __future__ import annotations

from typing import Any

import numpy as np

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import EmbeddedDocumentField, FloatField, ListField, StringField, VectorField


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
    label: str | None
    confidence: float | None
    logits: np.ndarray | None

    def __init__(self, label: str | None = None, confidence: float | None = None, logits: Any = None) -> None:
        super().__init__(label=label, confidence=confidence, logits=logits)


class Classifications(Label):
    """Several class labels for one sample: multi-label tagging, e.g. every class a SigLIP model scores above 0.5.

    Example::

        import bakeoff as fo
        from bakeoff import ViewField as F
        sample["tags_pred"] = fo.Classifications(classifications=[
            fo.Classification(label="cat", confidence=0.92),
            fo.Classification(label="sofa", confidence=0.61),
        ])
        dataset.count_values("tags_pred.classifications.label")      # {'cat': 1, 'sofa': 1}
        dataset.match(F("tags_pred.classifications.label").contains("cat"))
        dataset.filter_labels("tags_pred", F("confidence") > 0.8)   # keeps only the confident labels

    The list is stored in one JSON column (``tags_pred.classifications``); ``logits``
    (one score per class, optional) as float32.
    """

    _fields = {"classifications": ListField(EmbeddedDocumentField(Classification)), "logits": VectorField()}
    classifications: list[Classification] | None
    logits: np.ndarray | None

    def __init__(self, classifications: list[Classification] | None = None, logits: Any = None) -> None:
        super().__init__(classifications=[] if classifications is None else classifications, logits=logits)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        if self.classifications is not None:
            out["classifications"] = [c.to_dict() for c in self.classifications]
        return out
