"""The one-line verdict: the best model only when McNemar's test (Holm-corrected) says so."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
from bakeoff.evaluation.metrics import mcnemar_pvalue
from bakeoff.evaluation.verdict import verdict


def _dataset(correct: dict[str, list[bool]]):
    n = len(next(iter(correct.values())))
    dataset = fo.Dataset()
    dataset.add_samples([
        fo.Sample(f"/{i}.jpg", ground_truth=fo.Classification(label="cat"),
                  **{m: fo.Classification(label="cat" if c[i] else "dog", confidence=0.9) for m, c in correct.items()})
        for i in range(n)])
    return dataset


def test_a_clear_winner_is_named_with_its_margin_and_p_value():
    a = [True] * 80 + [False] * 20
    b = [True] * 50 + [False] * 50
    comparison = fo.compare(_dataset({"a": a, "b": b}))
    p = mcnemar_pvalue(30, 0)
    assert p < 1e-4
    assert verdict(comparison) == f"a is best: 80.0% vs 50.0% for b (McNemar p = {p:.1e})"


def test_models_the_data_cannot_separate_are_not_ranked():
    a = [True] * 52 + [False] * 48
    b = [True] * 50 + [False] * 50
    comparison = fo.compare(_dataset({"a": a, "b": b}))
    p = mcnemar_pvalue(2, 0)
    assert verdict(comparison) == (f"no clear winner: a (52.0%) is not significantly better than b "
                                   f"(McNemar p = {p:.2g}); more images would tell them apart")


def test_with_three_models_the_best_must_beat_each_other_one():
    rng = np.random.default_rng(0)
    base = rng.random(400)
    correct = {"a": list(base < 0.8), "b": list(base < 0.6), "c": list(base < 0.79)}
    text = verdict(fo.compare(_dataset(correct)))
    assert text.startswith("no clear winner: a (") and "than c (McNemar p = " in text and "Holm-corrected" in text
    correct["c"] = list(base < 0.7)
    text = verdict(fo.compare(_dataset(correct)))
    assert text.startswith("a is best: ") and "against each of the 2 others, Holm-corrected" in text


def test_holm_correction_by_hand():
    from bakeoff.evaluation.verdict import _holm

    # sorted: 0.01 * 3 = 0.03; 0.03 * 2 = 0.06; 0.04 * 1 = 0.04, raised to the running maximum 0.06
    assert _holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])


def test_one_model_has_nothing_to_compare_with():
    comparison = fo.compare(_dataset({"a": [True, False, True, True]}))
    assert verdict(comparison) == "a: 75.0% correct (one model: nothing to compare it with)"


def test_the_interval_is_named_after_its_confidence_level(tmp_path):
    dataset = _dataset({"a": [True] * 30 + [False] * 10, "b": [True] * 20 + [False] * 20})
    assert "95% CI" in str(fo.compare(dataset))
    comparison = fo.compare(dataset, confidence_level=0.9)
    assert "90% CI" in str(comparison) and "95% CI" not in str(comparison)
    report = open(comparison.save_report(str(tmp_path / "r.html")), encoding="utf-8").read()
    assert "<th>90% CI</th>" in report and "95% CI" not in report
