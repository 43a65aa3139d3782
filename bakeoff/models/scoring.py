"""One scorer per model family: from normalized embeddings to logits to probabilities.

=====================  ==========================================  ===========
family                 logits (stored as ``Classification.logits``)  probabilities
=====================  ==========================================  ===========
CLIP, OpenCLIP, AltCLIP  ``exp(logit_scale) * cos``                  softmax
ALIGN                  ``cos / temperature``                        softmax
SigLIP, SigLIP2        ``exp(logit_scale) * cos + logit_bias``      sigmoid
=====================  ==========================================  ===========

Confidence is the top class's probability: for softmax scorers it is a share of
1 over the given classes; for SigLIP it is the sigmoid of the top logit, an
independent "does this caption match" probability, so confidences do not sum
to 1 and stay comparable when classes change. (FiftyOne applies softmax to
SigLIP logits, which changes the confidences though not the top-1 label.)

Example::

    >>> import numpy as np
    >>> scorer = SoftmaxScorer(logit_scale=100.0)
    >>> img = np.array([[1.0, 0.0]], np.float32); txt = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    >>> scorer.probabilities(scorer.score(img, txt)).round(3).tolist()
    [[1.0, 0.0]]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np


def _as_rows(emb: np.ndarray) -> np.ndarray:
    arr = np.asarray(emb, dtype=np.float32)
    return arr[None, :] if arr.ndim == 1 else arr


@dataclass(frozen=True)
class Scorer:
    """Base class: cosine similarity of L2-normalized embeddings, turned into logits."""

    family: str = "clip"
    multilabel: bool = False
    """True when probabilities are independent per class (sigmoid), not a distribution."""

    def similarity(self, image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        """Cosine similarities ``[n_images, n_classes]`` (inputs are already normalized)."""
        similarities: np.ndarray = _as_rows(image_emb) @ _as_rows(text_emb).T
        return similarities

    def score(self, image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        """Logits ``[n_images, n_classes]``, float32."""
        raise NotImplementedError

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        """Probabilities from logits (softmax over classes unless ``multilabel``)."""
        logits = np.asarray(logits, dtype=np.float32)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        exp = np.exp(shifted)
        probabilities: np.ndarray = exp / exp.sum(axis=-1, keepdims=True)
        return probabilities

    def describe(self) -> str:
        """The formula and constants, for reports and fingerprints."""
        raise NotImplementedError

    def to_config(self) -> dict[str, object]:
        """What a run records about its scorer, so stored logits can be turned back into probabilities."""
        return {"family": self.family, "probabilities": "sigmoid" if self.multilabel else "softmax",
                "formula": self.describe()}


@dataclass(frozen=True)
class SoftmaxScorer(Scorer):
    """CLIP and its descendants: ``softmax(logit_scale * cos)``; ``logit_scale`` already exp()'d."""

    logit_scale: float = 100.0

    def score(self, image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        return (np.float32(self.logit_scale) * self.similarity(image_emb, text_emb)).astype(np.float32)

    def describe(self) -> str:
        return f"softmax({self.logit_scale:.6g} * cos)"


@dataclass(frozen=True)
class TemperatureScorer(Scorer):
    """ALIGN: ``softmax(cos / temperature)``."""

    family: str = "align"
    temperature: float = 1.0

    def score(self, image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        return (self.similarity(image_emb, text_emb) / np.float32(self.temperature)).astype(np.float32)

    def describe(self) -> str:
        return f"softmax(cos / {self.temperature:.6g})"


@dataclass(frozen=True)
class SigmoidScorer(Scorer):
    """SigLIP and SigLIP2: ``sigmoid(logit_scale * cos + logit_bias)``; ``logit_scale`` already exp()'d."""

    family: str = "siglip"
    multilabel: bool = True
    logit_scale: float = 10.0
    logit_bias: float = -10.0

    def score(self, image_emb: np.ndarray, text_emb: np.ndarray) -> np.ndarray:
        cos = self.similarity(image_emb, text_emb)
        return (np.float32(self.logit_scale) * cos + np.float32(self.logit_bias)).astype(np.float32)

    def probabilities(self, logits: np.ndarray) -> np.ndarray:
        logits = np.asarray(logits, dtype=np.float32)
        # two branches keep exp() from overflowing for large |logits|
        out = np.empty_like(logits)
        pos = logits >= 0
        out[pos] = 1.0 / (1.0 + np.exp(-logits[pos]))
        exp = np.exp(logits[~pos])
        out[~pos] = exp / (1.0 + exp)
        return out

    def describe(self) -> str:
        return f"sigmoid({self.logit_scale:.6g} * cos + {self.logit_bias:.6g})"


def probabilities_from_config(logits: np.ndarray, run_config: Mapping[str, Any]) -> np.ndarray:
    """Probabilities from logits a run stored, as that run's scorer computed them.

    ``run_config`` is a model run's ``config`` (``dataset.get_model_run_info(field)["config"]``).
    Runs record ``scorer`` (see :meth:`Scorer.to_config`); for runs recorded before that, the
    scorer's formula in the model's description says which.

    Example::

        >>> probabilities_from_config(np.array([0.0, 0.0]), {"scorer": {"probabilities": "sigmoid"}}).tolist()
        [0.5, 0.5]
    """
    scorer = run_config.get("scorer") or {}
    kind = scorer.get("probabilities")
    if kind is None:  # runs recorded before the scorer was: its formula is in the model's repr
        kind = "sigmoid" if "sigmoid(" in str(run_config.get("model", "")) else "softmax"
    if kind == "sigmoid":
        return SigmoidScorer().probabilities(logits)
    return Scorer().probabilities(logits)


def top_predictions(probabilities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(indices, confidences)`` of the top class per row.

    Example::

        >>> top_predictions(np.array([[0.2, 0.8]]))
        (array([1]), array([0.8]))
    """
    probs = np.asarray(probabilities)
    idx = probs.argmax(axis=-1)
    return idx, np.take_along_axis(probs, idx[:, None], axis=-1)[:, 0]
