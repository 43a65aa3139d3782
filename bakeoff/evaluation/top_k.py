"""The top-k rule: whether the ground truth is among the ``k`` highest logits, as FiftyOne counts it.

:func:`evaluate_top_k` is ``evaluate_classifications(method="top-k")``'s strict rule (an unknown
label is an error); :func:`top_k_correct` the lenient one of comparison tables.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bakeoff.errors import EvaluationError, suggest


def _in_top_k(logits: npt.NDArray[np.float64], index: int, k: int) -> bool:
    """Whether class ``index`` is among the ``k`` highest logits (ties broken as FiftyOne's numpy call does)."""
    if k >= len(logits):
        return True
    return index in np.argpartition(logits, -k)[-k:]


def _softmax_at(logits: npt.NDArray[np.float64], index: int | None) -> float:
    if index is None:
        return 0.0
    shifted = np.exp(logits - logits.max())
    return float(shifted[index] / shifted.sum())


def evaluate_top_k(ytrue: Sequence[str | None], ypred: Sequence[str | None], logits: Sequence[Sequence[float] | None],
                    order: list[str], k: int) -> tuple[list[str | None], list[float | None], list[bool]]:
    """FiftyOne's top-k rule, per sample: the prediction to record, its softmax confidence, and correctness.

    Truth within the top ``k`` logits: correct, and the truth is recorded as the
    prediction. Otherwise the top-1 prediction stays and is wrong. No logits: no
    prediction, wrong. No ground truth: wrong (unless there is no prediction).
    """
    index = {c: i for i, c in enumerate(order)}
    ypred = list(ypred)
    confs: list[float | None] = []
    correct: list[bool] = []
    without = 0
    for i, (truth, row) in enumerate(zip(ytrue, logits, strict=True)):
        if row is None:
            without += 1
            ypred[i] = None
            confs.append(None)
            correct.append(False)
            continue
        if truth is None:
            confs.append(None)
            correct.append(ypred[i] is None)
            continue
        scores = np.asarray(row, dtype=np.float64)
        if len(scores) != len(order):
            raise EvaluationError(f"a prediction has {len(scores)} logits but classes has {len(order)} names: "
                                  "pass the class order the logits were computed for")
        target = _class_index(index, truth, "ground truth")
        if _in_top_k(scores, target, k):
            ypred[i] = truth
            confs.append(_softmax_at(scores, target))
            correct.append(True)
        else:
            predicted = ypred[i]
            pred = None if predicted is None else _class_index(index, predicted, "predicted")
            confs.append(_softmax_at(scores, pred))
            correct.append(False)
    if without:
        warnings.warn(f"{without} samples have no logits: top-k counts them as missing predictions, not correct",
                      stacklevel=4)  # the caller of Dataset.evaluate_classifications
    return ypred, confs, correct


def _class_index(index: dict[str, int], label: str, role: str) -> int:
    if label not in index:
        raise EvaluationError(f"{role} label {label!r} is not in the provided classes.{suggest(label, list(index))} "
                              "Pass classes= with every label, in the order of the logits")
    return index[label]


def top_k_correct(logits: Sequence[Sequence[float] | None], ytrue: Sequence[str], ypred: Sequence[str],
                   order: list[str], k: int) -> npt.NDArray[np.bool_]:
    """Lenient top-k correctness for comparison tables: no logits counts as the top-1, unknown truths as wrong."""
    index = {c: i for i, c in enumerate(order)}
    out = np.zeros(len(ytrue), dtype=bool)
    without = 0
    for i, (row, t, p) in enumerate(zip(logits, ytrue, ypred, strict=True)):
        if row is None or len(row) != len(order):
            without += 1
            out[i] = t == p
            continue
        out[i] = t in index and _in_top_k(np.asarray(row, dtype=float), index[t], k)
    if without:
        warnings.warn(f"{without} predictions have no logits (or logits of another length than the "
                      f"{len(order)} classes); they count as their top-1 prediction", stacklevel=3)
    return out
