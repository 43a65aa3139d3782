"""Where each model wins: per ground-truth class, every model's recall and the winner, if the data can tell.

On the samples of one class, a model's recall is the share it labels right. The model with the
highest recall *wins* the class only when McNemar's exact test on that class's samples finds it
better than every other model, Holm-corrected for the number of models it is tested against --
the rule of the comparison's verdict (:mod:`bakeoff.evaluation.verdict`) applied to one class.
Otherwise the class is a *tie*. The tests are not corrected across classes: with many classes
and equal models, about ``alpha`` of the classes get a winner by chance, so read the p-value.

Rows come largest gap first (best recall minus the runner-up's), then by support.

Example::

    >>> import numpy as np
    >>> ytrue = np.array(["cat"] * 30 + ["dog"] * 30, dtype=object)
    >>> correct = {"a": np.array([True] * 30 + [False] * 30), "b": np.array([False] * 30 + [True] * 30)}
    >>> [(r["class"], r["winner"]) for r in class_wins(ytrue, correct, missing="(none)")]
    [('cat', 'a'), ('dog', 'b')]
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import numpy.typing as npt

from bakeoff.evaluation.metrics import mcnemar_pvalue
from bakeoff.evaluation.verdict import _holm

#: the caption every surface shows with the table
RULE = ("recall = share of the class's samples a model labels right; the winner has the highest recall and "
        "McNemar's exact test on the class's samples (Holm-corrected over the other models, as the verdict) "
        "gives p < {alpha:g} against each other model, else 'tie'; not corrected across classes")


def class_wins(ytrue: npt.NDArray[np.object_], correct: dict[str, npt.NDArray[np.bool_]], missing: str,
               alpha: float = 0.05) -> list[dict[str, Any]]:
    """One row per ground-truth class (samples without ground truth are left out), largest gap first.

    A row: ``class``, ``support``, ``recall`` (``{model: share}``), ``winner`` (a model, or None for a
    tie or a single model), ``p_value`` (the winner test's largest Holm-corrected p; None for one
    model) and ``gap`` (best recall minus the runner-up's).
    """
    models = list(correct)
    rows: list[dict[str, Any]] = []
    for label in sorted({str(t) for t in ytrue} - {missing}):
        members = ytrue == label
        recall = {m: float(correct[m][members].mean()) for m in models}
        winner, p_value, gap = _winner(models, recall, {m: correct[m][members] for m in models}, alpha)
        rows.append({"class": label, "support": int(members.sum()), "recall": recall, "winner": winner,
                     "p_value": p_value, "gap": gap})
    rows.sort(key=lambda r: (-r["gap"], -r["support"], r["class"]))
    return rows


def _winner(models: list[str], recall: dict[str, float], correct: dict[str, npt.NDArray[np.bool_]],
            alpha: float) -> tuple[str | None, float | None, float]:
    if len(models) < 2:
        return None, None, 0.0
    ranked = sorted(models, key=lambda m: -recall[m])  # stable: equal recalls keep the models' order
    best, others = ranked[0], ranked[1:]
    gap = recall[best] - recall[others[0]]
    raw = [mcnemar_pvalue(int((correct[best] & ~correct[o]).sum()), int((~correct[best] & correct[o]).sum()))
           for o in others]
    adjusted = _holm(raw)
    return (best if all(p < alpha for p in adjusted) else None), max(adjusted), gap


def summarize(rows: list[dict[str, Any]], models: list[str]) -> str:
    """``"classes won: clip 3, siglip 1; ties 12"``."""
    if len(models) < 2:
        return "classes won: one model, nothing to compare it with"
    wins = {m: sum(r["winner"] == m for r in rows) for m in models}
    ties = sum(r["winner"] is None for r in rows)
    return "classes won: " + ", ".join(f"{m} {n}" for m, n in wins.items()) + f"; ties {ties}"


def text_table(rows: list[dict[str, Any]], models: list[str], alpha: float, limit: int | None = 10) -> list[str]:
    """The table as text lines (the first ``limit`` rows; None: all), with its rule and summary."""
    shown = rows if limit is None else rows[:limit]
    width = min(40, max([5, *(len(r["class"]) for r in shown)])) + 2  # a longer name is cut
    head = f"{'class':<{width}}{'support':>8}" + "".join(f"{m[:16]:>18}" for m in models) + f"{'winner':>18}{'p':>9}"
    more = f" ({len(shown)} of {len(rows)} classes shown, largest gap first)" if len(shown) < len(rows) else ""
    lines = [f"per class: {summarize(rows, models)}{more}", head, "-" * len(head)]
    for r in shown:
        cells = "".join(f"{r['recall'][m] * 100:>17.1f}%" for m in models)
        winner = r["winner"] or ("tie" if len(models) > 1 else "-")
        p = f"{r['p_value']:>9.2g}" if r["p_value"] is not None else f"{'-':>9}"
        lines.append(f"{r['class'][:width - 2]:<{width}}{r['support']:>8}{cells}{winner[:16]:>18}{p}")
    return lines + textwrap.wrap(RULE.format(alpha=alpha), width=100)
