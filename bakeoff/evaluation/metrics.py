"""Metrics that scikit-learn does not compute as the comparison needs them.

- :func:`calibration`: expected calibration error (equal-width confidence bins,
  weighted by bin size, as in Guo et al. 2017) and reliability-diagram data.
- :func:`bootstrap_accuracy_interval`: the percentile bootstrap of an accuracy.
  Resampling n Bernoulli outcomes with replacement and counting the successes
  is exactly a Binomial(n, p̂) draw, so B resamples cost B binomial draws
  instead of B x n indexes.
- :func:`mcnemar_pvalue`: exact (binomial) McNemar test on the discordant pairs.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def calibration(confidences: np.ndarray, correct: np.ndarray, bins: int = 15) -> dict[str, Any]:
    """``{"ece", "bins": [{"lower", "upper", "count", "confidence", "accuracy"}...]}``; NaN confidences skipped."""
    confidences = np.asarray(confidences, dtype=float)
    correct = np.asarray(correct, dtype=float)
    keep = np.isfinite(confidences)
    confidences, correct = confidences[keep], correct[keep]
    edges = np.linspace(0.0, 1.0, bins + 1)
    # bin i holds (edge_i, edge_i+1]; a confidence of exactly 0 joins the first bin
    which = np.clip(np.searchsorted(edges, confidences, side="left") - 1, 0, bins - 1)
    table, ece, n = [], 0.0, len(confidences)
    for i in range(bins):
        mask = which == i
        count = int(mask.sum())
        conf = float(confidences[mask].mean()) if count else None
        acc = float(correct[mask].mean()) if count else None
        if count:
            ece += count / n * abs(acc - conf)
        table.append({"lower": float(edges[i]), "upper": float(edges[i + 1]), "count": count,
                      "confidence": conf, "accuracy": acc})
    return {"ece": float(ece) if n else None, "bins": table, "num_samples": n}


def bootstrap_accuracy_interval(correct: np.ndarray, level: float = 0.95, resamples: int = 2000,
                                seed: int | None = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean of 0/1 outcomes."""
    correct = np.asarray(correct, dtype=float)
    n = len(correct)
    if n == 0:
        return (float("nan"), float("nan"))
    p = float(correct.mean())
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
