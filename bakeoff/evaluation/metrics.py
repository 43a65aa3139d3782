"""Metrics that scikit-learn does not compute as the comparison needs them.

- :func:`calibration`: expected calibration error (equal-width confidence bins,
  weighted by bin size, as in Guo et al. 2017) and reliability-diagram data.
- :func:`bootstrap_accuracy_interval`: the percentile bootstrap of an accuracy.
  Resampling n Bernoulli outcomes with replacement and counting the successes
  is exactly a Binomial(n, p̂) draw, so B resamples cost B binomial draws
  instead of B x n indexes.
- :func:`mcnemar_pvalue`: exact (binomial) McNemar test on the discordant pairs.

And the rules FiftyOne's classification results follow where scikit-learn
leaves a choice (which samples an accuracy counts, empty inputs):

- :func:`accuracy_over`: the accuracy of the samples whose truth *or*
  prediction is one of the classes asked about.
- :func:`support_over`: how many truths are one of those classes.
- :func:`precision_recall_fscore`: scikit-learn's, with zeros for no samples.
- :func:`confusion_counts`: rows truth, columns prediction, over given labels;
  pairs with a label outside them are left out.
- :func:`empty_report`: the per-class report when there is nothing to report.
- :func:`metrics_table`: the two-column text ``print_metrics`` shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

#: precision, recall and F-beta: one number each when averaged, else one per label
PRF = tuple[float, float, float] | tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]


def calibration(confidences: npt.ArrayLike, correct: npt.ArrayLike, bins: int = 15) -> dict[str, Any]:
    """``{"ece", "bins": [{"lower", "upper", "count", "confidence", "accuracy"}...]}``; NaN confidences skipped."""
    conf_all = np.asarray(confidences, dtype=np.float64)
    keep = np.isfinite(conf_all)
    confs, hits = conf_all[keep], np.asarray(correct, dtype=np.float64)[keep]
    edges = np.linspace(0.0, 1.0, bins + 1)
    # bin i holds (edge_i, edge_i+1]; a confidence of exactly 0 joins the first bin
    which = np.clip(np.searchsorted(edges, confs, side="left") - 1, 0, bins - 1)
    table: list[dict[str, float | None]] = []
    ece, n = 0.0, len(confs)
    for i in range(bins):
        mask = which == i
        count = int(mask.sum())
        conf: float | None = None
        acc: float | None = None
        if count:
            conf, acc = float(confs[mask].mean()), float(hits[mask].mean())
            ece += count / n * abs(acc - conf)
        table.append({"lower": float(edges[i]), "upper": float(edges[i + 1]), "count": count,
                      "confidence": conf, "accuracy": acc})
    return {"ece": float(ece) if n else None, "bins": table, "num_samples": n}


def bootstrap_accuracy_interval(correct: npt.ArrayLike, level: float = 0.95, resamples: int = 2000,
                                seed: int | None = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of 0/1 outcomes."""
    outcomes = np.asarray(correct, dtype=np.float64)
    n = len(outcomes)
    if n == 0:
        return (float("nan"), float("nan"))
    p = float(outcomes.mean())
    draws = np.random.default_rng(seed).binomial(n, p, size=resamples) / n
    alpha = (1 - level) / 2
    lo, hi = np.quantile(draws, [alpha, 1 - alpha])
    return float(lo), float(hi)


def mcnemar_pvalue(a_right_b_wrong: int, a_wrong_b_right: int) -> float:
    """Two-sided exact McNemar p-value; 1.0 when the models never disagree in correctness."""
    from scipy.stats import binomtest

    n = a_right_b_wrong + a_wrong_b_right
    if n == 0:
        return 1.0
    return float(binomtest(a_right_b_wrong, n, 0.5).pvalue)


def accuracy_over(ytrue: npt.NDArray[np.object_], ypred: npt.NDArray[np.object_], labels: Iterable[str]) -> float:
    """Share of right predictions among the samples whose truth or prediction is in ``labels``; 0.0 if none."""
    wanted = set(labels)
    keep = np.fromiter((t in wanted or p in wanted for t, p in zip(ytrue, ypred, strict=True)), dtype=bool,
                       count=len(ytrue))
    if not keep.any():
        return 0.0
    return float(np.mean(ytrue[keep] == ypred[keep]))


def support_over(ytrue: Iterable[str], labels: Iterable[str]) -> int:
    """How many ground-truth labels are in ``labels``."""
    wanted = set(labels)
    return sum(1 for t in ytrue if t in wanted)


def precision_recall_fscore(ytrue: npt.NDArray[np.object_], ypred: npt.NDArray[np.object_], labels: Sequence[str],
                            average: str | None, beta: float, pos_label: str | None = None) -> PRF:
    """scikit-learn's precision, recall and F-beta (zero division counts 0); zeros when there are no samples."""
    from sklearn.metrics import precision_recall_fscore_support

    if not len(ytrue):  # scikit-learn >= 1.8 raises on empty inputs
        if average is None:
            zeros = np.zeros(len(labels), dtype=float)
            return zeros, zeros, zeros
        return 0.0, 0.0, 0.0
    p, r, f, _ = precision_recall_fscore_support(  # floats, or arrays when average is None
        ytrue.astype(str), ypred.astype(str), labels=np.asarray(labels), average=average, beta=beta,
        zero_division=0, pos_label=pos_label if average == "binary" else None)
    return p, r, f


def confusion_counts(ytrue: Iterable[str | None], ypred: Iterable[str | None],
                     labels: Sequence[str | None]) -> npt.NDArray[np.int64]:
    """``len(labels)`` square counts, rows truth and columns prediction; pairs outside ``labels`` are skipped."""
    index = {label: i for i, label in enumerate(labels)}
    matrix = np.zeros((len(labels), len(labels)), dtype=np.int64)
    for t, p in zip(ytrue, ypred, strict=True):
        i, j = index.get(t), index.get(p)
        if i is not None and j is not None:
            matrix[i, j] += 1
    return matrix


def empty_report(labels: Iterable[str]) -> dict[str, dict[str, float]]:
    """The per-class report of no samples (or no classes): every class and average at zero."""
    empty = {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}
    names = [*labels, "micro avg", "macro avg", "weighted avg"]
    return {name: dict(empty) for name in names}


def metrics_table(metrics: dict[str, Any], digits: int = 2) -> str:
    """``name  value`` lines: numbers rounded to ``digits`` and shown without trailing zeros, counts as is."""
    import numbers

    def cell(value: Any) -> str:
        if isinstance(value, numbers.Integral) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, numbers.Number) and not isinstance(value, bool):
            return format(float(f"{value:.{digits}f}"), "g")
        return str(value)

    rows = [(name.replace("_", " "), cell(value)) for name, value in metrics.items()]
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name:<{width}}  {value}".rstrip() for name, value in rows)
