"""Likely label errors: images the models find no more like their label than images of other classes.

The method, an *out-of-class rank test* on the models' own class probabilities:

1. Each compared model's probabilities come from its stored logits, with the
   class order and the scorer its model run recorded: softmax for CLIP-style
   models, SigLIP's sigmoids scaled to sum to 1. Zero-shot probabilities are
   out-of-sample by nature: no model saw these labels.
2. The models' probabilities are averaged per class, over the models that
   scored that class (models with different class lists judge each class by
   the models that know it).
3. For a sample labelled ``j``, its **score** is the fraction of the samples
   labelled otherwise to which the models give class ``j`` a higher
   probability than to this one. A correct label scores near 0: the image
   looks more like its class than nearly every image of another class does. A
   wrong label drawn at random scores uniformly in [0, 1]: the image *is* an
   image of another class.
4. A sample is a likely label error when its score is at least ``min_score``
   (default 0.2). Labels replaced by a random other class are therefore found
   with probability about ``1 - min_score`` (less when the wrong label names
   a class the models confuse with the true one); a correct label is flagged
   only when the models rank its image below a fifth of the other classes'
   images, which is rare even for weak models: 0 of 1,280 on ``demo-shapes``,
   whose three demo models are right 31-44% of the time, and a precision of
   1.0 at 10% random label noise (``python benchmarks/bench_label_errors.py``).

Per-class thresholds taken from the models' own probabilities are what
confident learning (Northcutt et al., 2021; the ``cleanlab`` library) uses
too, but on the other side: confident learning flags a sample when another
class's probability exceeds that class's mean on its own samples, which flags
whatever the models get wrong: 44% of the clean ``demo-shapes``.

Example::

    >>> import numpy as np
    >>> probs = np.array([[0.9, 0.1], [0.8, 0.2], [0.2, 0.8], [0.1, 0.9]])
    >>> scores = out_of_class_scores(["a", "a", "b", "a"], probs, ["a", "b"])  # the last "a" looks like a "b"
    >>> [round(s, 2) for s in scores.tolist()]    # (and, labelled otherwise, outranks the real "b" a little)
    [0.0, 0.0, 0.33, 1.0]
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from bakeoff.errors import LabelErrorsError

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

logger = logging.getLogger(__name__)

DEFAULT_MIN_SCORE = 0.2
METHOD = "out-of-class rank test on the models' mean class probabilities"


@dataclass(frozen=True)
class ModelProbabilities:
    """One field's class probabilities: ``probs[i, k]`` for sample ``i`` and ``classes[k]``; NaN rows lack logits."""

    field: str
    classes: list[str]
    probs: npt.NDArray[np.float64]


def model_probabilities(collection: SampleCollection, field: str) -> ModelProbabilities | str:
    """The probabilities behind ``field``'s predictions, or why there are none (a sentence)."""
    if field not in collection.list_model_runs():
        return "no model run records the class order of its logits"
    config = collection.get_model_run_info(field)["config"] or {}
    classes = config.get("classes")
    if not classes:
        return "its model run records no classes"
    kind = (config.get("scorer") or {}).get("probabilities", "softmax")
    logits = collection.values(f"{field}.logits")
    rows = [i for i, row in enumerate(logits) if row is not None and len(row) == len(classes)]
    if not rows:
        return "it stores no logits (apply the model with store_logits=True)"
    probs = np.full((len(logits), len(classes)), np.nan)
    probs[rows] = to_distribution(np.stack([np.asarray(logits[i], dtype=np.float64) for i in rows]), kind)
    return ModelProbabilities(field, list(classes), probs)


def to_distribution(logits: npt.NDArray[np.float64], kind: str) -> npt.NDArray[np.float64]:
    """Rows of logits to rows of probabilities that sum to 1: softmax, or sigmoids scaled to sum to 1."""
    if kind == "sigmoid":
        logits = -np.logaddexp(0.0, -logits)  # log sigmoid: normalized like softmax, it cannot underflow to 0/0
    # typed locals: numpy's stubs type a reduction with keepdims as Any
    peak: npt.NDArray[np.float64] = logits.max(axis=1, keepdims=True)
    shifted = np.exp(logits - peak)
    totals: npt.NDArray[np.float64] = shifted.sum(axis=1, keepdims=True)
    return shifted / totals


def mean_probabilities(models: Sequence[ModelProbabilities]) -> tuple[npt.NDArray[np.float64], list[str]]:
    """``(probs, classes)``: per class, the mean over the models that scored it (NaN where none did)."""
    classes = sorted(set().union(*(m.classes for m in models)))
    index = {c: k for k, c in enumerate(classes)}
    n = len(models[0].probs)
    total, count = np.zeros((n, len(classes))), np.zeros((n, len(classes)))
    for model in models:
        columns = [index[c] for c in model.classes]
        have = ~np.isnan(model.probs)
        total[:, columns] += np.where(have, model.probs, 0.0)
        count[:, columns] += have
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan), classes


def out_of_class_scores(labels: Sequence[str], probs: npt.NDArray[np.float64],
                        classes: Sequence[str]) -> npt.NDArray[np.float64]:
    """Per sample, the fraction of samples labelled otherwise that look more like its label; NaN where unjudged.

    A sample is not judged when its label is none of ``classes``, when it has
    no probability for its label, or when no other sample has one.
    """
    index = {c: k for k, c in enumerate(classes)}
    y = np.array([index.get(label, -1) for label in labels], dtype=int)
    scores = np.full(len(y), np.nan)
    for k in np.unique(y[y >= 0]):
        mine = y == k
        own = probs[mine, k]
        reference = probs[~mine, k]
        reference = np.sort(reference[~np.isnan(reference)])
        if not len(reference):
            continue
        above = len(reference) - np.searchsorted(reference, own, side="right")
        scores[np.flatnonzero(mine)] = np.where(np.isnan(own), np.nan, above / len(reference))
    return scores


def suggested_labels(labels: Sequence[str], probs: npt.NDArray[np.float64], classes: Sequence[str]) -> list[str | None]:
    """Per sample, the most probable class other than its label (None without probabilities)."""
    masked = np.where(np.isnan(probs), -np.inf, probs)
    index = {c: k for k, c in enumerate(classes)}
    for i, label in enumerate(labels):
        if label in index:
            masked[i, index[label]] = -np.inf
    best = masked.argmax(axis=1) if len(classes) else np.zeros(len(labels), dtype=int)
    return [classes[k] if len(classes) and np.isfinite(masked[i, k]) else None for i, k in enumerate(best)]


@dataclass(frozen=True)
class LabelErrorScores:
    """Scores of every sample of a comparison, with the models they came from."""

    scores: npt.NDArray[np.float64]   # NaN where a sample is not judged
    own: npt.NDArray[np.float64]      # the mean probability of each sample's label (ties are ranked by it)
    suggested: list[str | None]
    models: list[str]                 # the fields whose logits were used
    left_out: dict[str, str]          # field -> why its predictions could not be used


def score_label_errors(collection: SampleCollection, fields: Sequence[str], labels: Sequence[str]) -> LabelErrorScores:
    """Score ``labels`` (the ground truth, in collection order) with every field that has usable logits."""
    usable, left_out = [], {}
    for field in fields:
        found = model_probabilities(collection, field)
        if isinstance(found, str):
            left_out[field] = found
        else:
            usable.append(found)
    if not usable:
        reasons = "; ".join(f"{f!r}: {why}" for f, why in left_out.items())
        raise LabelErrorsError(
            f"likely label errors need the models' class probabilities, and no compared field has them ({reasons}). "
            "Apply the models again with store_logits=True (CLI: --store-logits; the App stores them): "
            "images already encoded are re-scored from the embedding cache")
    if left_out:
        logger.warning("likely label errors leave out %s", "; ".join(f"{f!r} ({why})" for f, why in left_out.items()))
    probs, classes = mean_probabilities(usable)
    scores = out_of_class_scores(labels, probs, classes)
    index = {c: k for k, c in enumerate(classes)}
    own = np.array([probs[i, index[label]] if label in index else np.nan for i, label in enumerate(labels)])
    return LabelErrorScores(scores, own, suggested_labels(labels, probs, classes), [m.field for m in usable], left_out)


def check_min_score(min_score: float) -> None:
    if not 0.0 < min_score <= 1.0:
        raise LabelErrorsError(f"min_score must be in (0, 1], got {min_score!r}: it is the fraction of other-class "
                               f"images that look more like the label (default {DEFAULT_MIN_SCORE})")
