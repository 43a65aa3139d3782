"""A comparison's verdict in one line: which model is best, and whether the data can tell.

The best model is the one with the highest accuracy. It is called best only when McNemar's
exact test on the samples where the models disagree finds it better than **every** other
model, with the p-values Holm-corrected for the number of models it is tested against (with
three models, two tests); otherwise the verdict says which models the data cannot separate.

Example::

    >>> from types import SimpleNamespace
    >>> rows = [{"model": "clip", "accuracy": 0.441}, {"model": "siglip", "accuracy": 0.378}]
    >>> pairs = [{"a": "clip", "b": "siglip", "mcnemar_p": 0.0001, "a_right_b_wrong": 40, "a_wrong_b_right": 9}]
    >>> verdict(SimpleNamespace(table=rows, pairs=pairs))
    'clip is best: 44.1% vs 37.8% for siglip (McNemar p = 0.0001)'
"""

from __future__ import annotations

from typing import Any

from bakeoff.errors import NotComparedError


def _p_value(pairs: list[dict[str, Any]], a: str, b: str) -> float:
    for row in pairs:
        if {row["a"], row["b"]} == {a, b}:
            return float(row["mcnemar_p"])
    raise NotComparedError(f"no pair ({a!r}, {b!r}) in the comparison")


def _holm(pvalues: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given."""
    order = sorted(range(len(pvalues)), key=lambda i: pvalues[i])
    adjusted = [1.0] * len(pvalues)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (len(pvalues) - rank) * pvalues[i]))
        adjusted[i] = running
    return adjusted


def _p_text(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def verdict(comparison: Any, alpha: float = 0.05) -> str:
    """One line: the best model and how sure the data is (``comparison`` as from :func:`bakeoff.compare`)."""
    rows = sorted(comparison.table, key=lambda r: -r["accuracy"])
    best = rows[0]
    pct = f"{best['accuracy'] * 100:.1f}%"
    if len(rows) == 1:
        return f"{best['model']}: {pct} correct (one model: nothing to compare it with)"
    others = rows[1:]
    raw = [_p_value(comparison.pairs, best["model"], other["model"]) for other in others]
    adjusted = _holm(raw)
    runner = others[0]
    vs = f"{pct} vs {runner['accuracy'] * 100:.1f}% for {runner['model']}"
    if all(p < alpha for p in adjusted):
        if len(others) == 1:
            return f"{best['model']} is best: {vs} (McNemar p = {_p_text(raw[0])})"
        return (f"{best['model']} is best: {vs} (McNemar p <= {_p_text(max(adjusted))} against each of the "
                f"{len(others)} others, Holm-corrected)")
    tied = [other["model"] for other, p in zip(others, adjusted, strict=True) if p >= alpha]
    p_tied = max(p for p in adjusted if p >= alpha)
    names = ", ".join(tied)
    return (f"no clear winner: {best['model']} ({pct}) is not significantly better than {names} "
            f"(McNemar p = {_p_text(p_tied)}{', Holm-corrected' if len(others) > 1 else ''}); "
            "more images would tell them apart")
