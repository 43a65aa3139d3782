"""Likely label errors: the out-of-class rank test on stored logits, against planted flips and plain Python."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
from bakeoff.core.interface import RunStore
from bakeoff.errors import LabelErrorsError
from bakeoff.evaluation.label_errors import out_of_class_scores, to_distribution

CLASSES = [f"c{k}" for k in range(10)]
MODELS = {"clip": "softmax", "siglip": "sigmoid", "dfn": "softmax"}


def _logits(rng: np.random.Generator, truth: int, k: int = len(CLASSES)) -> np.ndarray:
    """A weak zero-shot model: it often takes a class for its partner (c0/c1, c2/c3, ...), rarely for another."""
    z = rng.normal(0.0, 1.0, k)
    z[truth] += 3.5
    partner = truth ^ 1
    if partner < k:
        z[partner] += 3.0
    return 4.0 * z


def _save_model_run(dataset, field: str, classes: list[str], probabilities: str = "softmax") -> None:
    """What apply_model records about a field: its class order and scorer (no model needed here)."""
    RunStore(dataset, "model").save(field, {"classes": classes, "scorer": {"probabilities": probabilities}}, {})


def _dataset(truth: list[int], labels: list[str | None], seed: int = 0, models=MODELS, logits: bool = True):
    rng = np.random.default_rng(seed)
    dataset = fo.Dataset()
    samples = []
    for i, (t, label) in enumerate(zip(truth, labels, strict=True)):
        sample = fo.Sample(f"/{i}.jpg", ground_truth=fo.Classification(label=label) if label else None)
        for field in models:
            z = _logits(rng, t)
            sample[field] = fo.Classification(label=CLASSES[int(z.argmax())], confidence=0.5,
                                              logits=z.tolist() if logits else None)
        samples.append(sample)
    dataset.add_samples(samples)
    for field, kind in models.items():
        _save_model_run(dataset, field, CLASSES, kind)
    return dataset


def _flip(truth: list[int], count: int, seed: int = 1) -> tuple[list[str], set[int]]:
    rng = np.random.default_rng(seed)
    flipped = set(rng.choice(len(truth), count, replace=False).tolist())
    labels = [CLASSES[(t + int(rng.integers(1, len(CLASSES)))) % len(CLASSES)] if i in flipped else CLASSES[t]
              for i, t in enumerate(truth)]
    return labels, flipped


TRUTH = [i % len(CLASSES) for i in range(400)]


def test_clean_labels_flag_nearly_nothing():
    dataset = _dataset(TRUTH, [CLASSES[t] for t in TRUTH])
    comparison = fo.compare(dataset)
    accuracy = [row["accuracy"] for row in comparison.table]
    assert max(accuracy) < 0.75  # weak models: a rule that trusts their disagreement flags a quarter of the set
    # what is flagged: images the models take for their partner class, which is 1/9 of the other images
    assert len(comparison.label_error_scores()) <= 0.02 * len(TRUTH)
    assert len(comparison.label_error_scores(min_score=0.3)) == 0
    assert comparison.label_error_info()["num_judged"] == len(TRUTH)


def test_planted_flips_are_found_with_their_true_class_suggested():
    labels, flipped = _flip(TRUTH, 40)
    dataset = _dataset(TRUTH, labels)
    ids = dataset.values("id")
    scores = fo.compare(dataset).label_error_scores()
    found = {ids.index(i) for i in scores}
    assert len(found & flipped) >= 0.7 * len(flipped)   # about 1 - min_score of random flips
    assert len(found & flipped) >= 0.8 * len(found)     # and few correct labels
    hits = found & flipped  # the suggestion is the true class or the partner the models confuse it with
    suggested = sum(scores[ids[i]][0] in {CLASSES[TRUTH[i]], CLASSES[TRUTH[i] ^ 1]} for i in hits)
    assert suggested >= 0.9 * len(hits)


def test_view_is_ordered_by_score_and_scores_match_plain_python():
    labels, _ = _flip(TRUTH, 40)
    dataset = _dataset(TRUTH, labels)
    comparison = fo.compare(dataset)
    scores = comparison.label_error_scores(min_score=0.1)
    view = comparison.likely_label_errors(min_score=0.1)
    assert view.values("id") == list(scores)
    values = [scores[i][1] for i in view.values("id")]
    assert values == sorted(values, reverse=True) and all(0.1 <= v <= 1 for v in values)
    assert len(comparison.label_error_scores(min_score=0.3)) < len(scores)
    # the score of every sample, recomputed from the stored logits in plain Python
    samples = list(dataset)
    probs = {}
    for s in samples:
        rows = []
        for field, kind in MODELS.items():
            z = np.asarray(s[field].logits, dtype=float)
            p = np.exp(z - z.max()) if kind == "softmax" else 1 / (1 + np.exp(-z))
            rows.append(p / p.sum())
        probs[s.id] = np.mean(rows, axis=0)
    for s in samples:
        k = CLASSES.index(s.ground_truth.label)
        others = [probs[o.id][k] for o in samples if o.ground_truth.label != s.ground_truth.label]
        expected = sum(p > probs[s.id][k] for p in others) / len(others)
        assert (s.id in scores) == (expected >= 0.1)
        if s.id in scores:
            assert scores[s.id][1] == pytest.approx(expected)
            assert scores[s.id][0] != s.ground_truth.label


@pytest.mark.parametrize("min_score", [0, -0.1, 1.5, float("nan")])
def test_min_score_out_of_range_is_a_clear_error(min_score):
    dataset = _dataset(TRUTH[:20], [CLASSES[t] for t in TRUTH[:20]])
    with pytest.raises(LabelErrorsError, match="min_score must be in"):
        fo.compare(dataset).likely_label_errors(min_score=min_score)


def test_fields_without_logits_are_a_clear_error():
    dataset = _dataset(TRUTH[:50], [CLASSES[t] for t in TRUTH[:50]], logits=False)
    comparison = fo.compare(dataset)
    with pytest.raises(LabelErrorsError, match="store_logits=True") as info:
        comparison.likely_label_errors()
    assert isinstance(info.value, ValueError) and isinstance(info.value, fo.BakeoffError)
    assert "'clip': it stores no logits" in str(info.value)


def test_a_field_without_logits_or_model_run_is_left_out(caplog):
    labels, _ = _flip(TRUTH, 40)
    dataset = _dataset(TRUTH, labels, models={"clip": "softmax"})
    alone = fo.compare(dataset).label_error_scores()
    dataset.set_values("imported", [fo.Classification(label="c0", confidence=0.99) for _ in TRUTH])  # no run, no logits
    comparison = fo.compare(dataset, pred_fields=["clip", "imported"])
    with caplog.at_level("WARNING", logger="bakeoff.evaluation.label_errors"):
        assert comparison.label_error_scores() == alone
    assert "'imported' (no model run" in caplog.text
    info = comparison.label_error_info()
    assert info["models"] == ["clip"] and set(info["left_out"]) == {"imported"}
    assert info["min_score"] == 0.2 and "out-of-class rank" in info["method"]


def test_mismatched_class_lists_judge_each_class_by_the_models_that_scored_it():
    labels, flipped = _flip(TRUTH, 40)
    labels[0] = "zebra"  # a label no model knows: not judged
    dataset = _dataset(TRUTH, labels, models={"clip": "softmax"})
    rng = np.random.default_rng(7)
    short = CLASSES[:8]  # a second model that knows only c0..c7, in another order
    order = list(reversed(short))
    values = []
    for t in TRUTH:
        z = _logits(rng, t, len(CLASSES))[: len(short)]
        values.append(fo.Classification(label=short[int(z.argmax())], logits=z[::-1].tolist()))
    dataset.set_values("small", values)
    _save_model_run(dataset, "small", order)
    comparison = fo.compare(dataset)
    info = comparison.label_error_info()
    assert info["models"] == ["clip", "small"] and info["num_judged"] == len(TRUTH) - 1
    ids = dataset.values("id")
    scores = comparison.label_error_scores()
    found = {ids.index(i) for i in scores}
    assert 0 not in found
    assert len(found & flipped) >= 0.7 * len(flipped) and len(found & flipped) >= 0.8 * len(found)
    assert any(labels[i] in ("c8", "c9") for i in found & flipped)  # judged by clip alone


def test_samples_without_ground_truth_or_logits_are_not_judged():
    labels = [CLASSES[t] for t in TRUTH[:60]]
    labels[3] = None
    dataset = _dataset(TRUTH[:60], labels)
    sample = dataset[dataset.values("id")[5]]
    for field in MODELS:
        sample[field] = fo.Classification(label="c0", confidence=0.9)  # this image failed: no logits
    sample.save()
    comparison = fo.compare(dataset)
    assert comparison.label_error_info()["num_judged"] == 58
    assert not {dataset.values("id")[i] for i in (3, 5)} & set(comparison.label_error_scores(min_score=0.01))


def test_to_distribution_keeps_each_models_order():
    logits = np.array([[30.0, -10.0, 5.0], [-800.0, -790.0, -805.0]])
    for kind in ("softmax", "sigmoid"):
        probs = to_distribution(logits, kind)
        assert np.allclose(probs.sum(axis=1), 1.0) and np.isfinite(probs).all()
        assert (probs.argsort(axis=1) == logits.argsort(axis=1)).all()


def test_out_of_class_scores_leave_unknown_labels_unjudged():
    probs = np.array([[0.9, 0.1], [0.7, 0.3], [np.nan, np.nan], [0.5, 0.5]])
    scores = out_of_class_scores(["a", "b", "a", "x"], probs, ["a", "b"])
    assert scores[0] == 0.0 and np.isnan(scores[2]) and np.isnan(scores[3])
    assert scores[1] == 0.5  # of the 2 other rows with a "b" probability ("x" counts), one is higher


def test_the_one_line_summary_says_how_many_and_how():
    labels, _ = _flip(TRUTH, 40)
    comparison = fo.compare(_dataset(TRUTH, labels))
    line = comparison.describe_label_errors()
    count = len(comparison.label_error_scores())
    assert line.startswith(f"likely label errors: {count} of 400 labels (score >= 0.2: out-of-class rank")
    assert "logits of clip, siglip, dfn" in line
