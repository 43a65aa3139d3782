"""evaluate_classifications gives FiftyOne's answers: every literal below is what FiftyOne 1.22.1 returned.

The cases are FiftyOne's own five-sample case (``tests/unittests/evaluation_tests.py``:
neither label, truth only, prediction only, right, wrong) and cases of our own:
three classes with ties in the logits and labels without logits, views, empty
views, one-sample edge cases, and binary tasks with labels outside
``(negative, positive)``. For each, the stored ``eval_key`` values, the
recorded predictions, ``metrics()`` (micro and macro), and the confusion matrix
with and without the missing and "other" rows are pinned.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, NamedTuple

import numpy as np
import pytest

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff.errors import EvaluationError

NAN = float("nan")


def _c(label, conf=None, logits=None):
    return (label, conf, logits)


#: (ground truth label, prediction (label, confidence, logits)) per sample; None is a missing label
FIVE = [(None, None), ("cat", None), (None, _c("cat", 0.9, [0.9, 0.1])), ("cat", _c("cat", 0.9, [0.9, 0.1])),
        ("cat", _c("dog", 0.9, [0.1, 0.9]))]
MINE = [
    ("a", _c("a", 0.7, [2.0, 1.0, 0.0])),
    ("a", _c("b", 0.5, [1.0, 2.0, 0.0])),
    ("b", _c("c", 0.6, [0.0, 1.0, 2.0])),
    ("c", _c("a", 0.4, [2.0, 0.0, 1.0])),
    ("b", _c("b", 0.8, [0.5, 3.0, 0.5])),
    ("c", _c("b", 0.3, [1.0, 1.0, 1.0])),  # a three-way tie
    (None, _c("a", 0.9, [3.0, 0.0, 0.0])),  # prediction only
    ("c", None),  # truth only
    ("a", _c("a", 0.6)),  # no logits
    (None, None),  # neither
]
EVERYTHING, EMPTY = (lambda d: d), (lambda d: d.limit(0))

#: name: (samples, view of them, evaluate_classifications keyword arguments)
CASES = {
    "five_simple": (FIVE, EVERYTHING, {}),
    "five_simple_classes": (FIVE, EVERYTHING, {"classes": ["cat", "dog", "bird"]}),
    "five_simple_empty": (FIVE, EMPTY, {}),
    "five_simple_empty_classes": (FIVE, EMPTY, {"classes": ["cat", "dog"]}),
    "five_simple_missing_cat": (FIVE, EVERYTHING, {"missing": "cat"}),
    "five_topk": (FIVE, EVERYTHING, {"method": "top-k", "classes": ["cat", "dog"]}),
    "five_topk1": (FIVE, EVERYTHING, {"method": "top-k", "classes": ["cat", "dog"], "k": 1}),
    "five_topk_empty": (FIVE, EMPTY, {"method": "top-k", "classes": ["cat", "dog"]}),
    "five_binary": (FIVE, EVERYTHING, {"method": "binary", "classes": ["cat", "dog"]}),
    "five_binary_dogcat": (FIVE, EVERYTHING, {"method": "binary", "classes": ["dog", "cat"]}),
    "five_binary_empty": (FIVE, EMPTY, {"method": "binary", "classes": ["cat", "dog"]}),
    "mine_simple": (MINE, EVERYTHING, {}),
    "mine_simple_classes_ab": (MINE, EVERYTHING, {"classes": ["a", "b"]}),
    "mine_topk1": (MINE, EVERYTHING, {"method": "top-k", "classes": ["a", "b", "c"], "k": 1}),
    "mine_topk2": (MINE, EVERYTHING, {"method": "top-k", "classes": ["a", "b", "c"], "k": 2}),
    "mine_topk_view": (MINE, lambda d: d.exists("gt"), {"method": "top-k", "classes": ["a", "b", "c"], "k": 2}),
    "mine_binary_view": (MINE, lambda d: d.match(F("gt.label") != "c"), {"method": "binary", "classes": ["b", "a"]}),
    "single_neither_simple": ([(None, None)], EVERYTHING, {}),
    "single_neither_topk": ([(None, None)], EVERYTHING, {"method": "top-k", "classes": ["a"]}),
    "single_neither_binary": ([(None, None)], EVERYTHING, {"method": "binary", "classes": ["n", "p"]}),
    "truth_only_topk": ([("a", None), ("b", _c("b", 0.5, [0.0, 1.0]))], EVERYTHING,
                        {"method": "top-k", "classes": ["a", "b"], "k": 1}),
    "pred_only_topk": ([(None, _c("b", 0.5, [0.0, 1.0])), ("a", _c("a", 0.5, [1.0, 0.0]))], EVERYTHING,
                       {"method": "top-k", "classes": ["a", "b"], "k": 1}),
    "binary_pos_other": ([("p", _c("o")), ("o", _c("p", 0.7)), ("p", _c("p", 0.6))], EVERYTHING,
                         {"method": "binary", "classes": ["n", "p"]}),
    "topk_pred_outside_found": ([("a", _c("z", 0.5, [1.0, 0.0]))], EVERYTHING,
                                {"method": "top-k", "classes": ["a", "b"], "k": 1}),
}


class Expected(NamedTuple):
    values: list  # the stored eval_key field, every sample of the dataset
    classes: list
    ypred: list  # the predictions the results record (top-k: the truth when within the top k)
    metrics: Any  # (accuracy, precision, recall, fscore, support) of metrics(), or "raises"
    macro: tuple  # the same with average="macro"
    cm: list  # confusion_matrix()
    cm_missing: list  # confusion_matrix(include_missing=True)
    cm_other: list  # confusion_matrix(classes=classes[:1], include_other=True)
    cm_other_missing: list  # ... and include_missing=True


# FiftyOne 1.22.1's answers
EXPECTED = {
    "five_simple": Expected(
        values=[True, False, False, True, False],
        classes=["cat", "dog"], ypred=["(none)", "(none)", "cat", "cat", "dog"],
        metrics=(0.25, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 3),
        macro=(0.25, 0.25, 0.16666666666666666, 0.2, 3),
        cm=[[1, 1], [0, 0]], cm_missing=[[1, 1, 1], [0, 0, 0], [1, 0, 1]],
        cm_other=[[1, 1], [0, 0]], cm_other_missing=[[1, 1, 1], [0, 0, 0], [1, 0, 1]]),
    "five_simple_classes": Expected(
        values=[True, False, False, True, False],
        classes=["cat", "dog", "bird"], ypred=["(none)", "(none)", "cat", "cat", "dog"],
        metrics=(0.25, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 3),
        macro=(0.25, 0.16666666666666666, 0.1111111111111111, 0.13333333333333333, 3),
        cm=[[1, 1, 0], [0, 0, 0], [0, 0, 0]], cm_missing=[[1, 1, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 1]],
        cm_other=[[1, 1], [0, 0]], cm_other_missing=[[1, 1, 1], [0, 0, 0], [1, 0, 1]]),
    "five_simple_empty": Expected(
        values=[None, None, None, None, None],
        classes=[], ypred=[],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, 0.0, 0.0, 0.0, 0),
        cm=[], cm_missing=[[0]],
        cm_other=[[0]], cm_other_missing=[[0, 0], [0, 0]]),
    "five_simple_empty_classes": Expected(
        values=[None, None, None, None, None],
        classes=["cat", "dog"], ypred=[],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, 0.0, 0.0, 0.0, 0),
        cm=[[0, 0], [0, 0]], cm_missing=[[0, 0, 0], [0, 0, 0], [0, 0, 0]],
        cm_other=[[0, 0], [0, 0]], cm_other_missing=[[0, 0, 0], [0, 0, 0], [0, 0, 0]]),
    "five_simple_missing_cat": Expected(
        values=[True, False, False, True, False],
        classes=["cat", "dog"], ypred=["cat", "cat", "cat", "cat", "dog"],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, 0.0, 0.0, 0.0, 0),
        cm=[[4, 1], [0, 0]], cm_missing=[[4, 1], [0, 0]],
        cm_other=[[4, 1], [0, 0]], cm_other_missing=[[4, 1], [0, 0]]),
    "five_topk": Expected(
        values=[False, False, False, True, True],
        classes=["cat", "dog"], ypred=["(none)", "(none)", "cat", "cat", "cat"],
        metrics=(0.5, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666, 3),
        macro=(0.5, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 3),
        cm=[[2, 0], [0, 0]], cm_missing=[[2, 0, 1], [0, 0, 0], [1, 0, 1]],
        cm_other=[[2, 0], [0, 0]], cm_other_missing=[[2, 0, 1], [0, 0, 0], [1, 0, 1]]),
    "five_topk1": Expected(
        values=[False, False, False, True, False],
        classes=["cat", "dog"], ypred=["(none)", "(none)", "cat", "cat", "dog"],
        metrics=(0.25, 0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 3),
        macro=(0.25, 0.25, 0.16666666666666666, 0.2, 3),
        cm=[[1, 1], [0, 0]], cm_missing=[[1, 1, 1], [0, 0, 0], [1, 0, 1]],
        cm_other=[[1, 1], [0, 0]], cm_other_missing=[[1, 1, 1], [0, 0, 0], [1, 0, 1]]),
    "five_topk_empty": Expected(
        values=[None, None, None, None, None],
        classes=["cat", "dog"], ypred=[],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, 0.0, 0.0, 0.0, 0),
        cm=[[0, 0], [0, 0]], cm_missing=[[0, 0, 0], [0, 0, 0], [0, 0, 0]],
        cm_other=[[0, 0], [0, 0]], cm_other_missing=[[0, 0, 0], [0, 0, 0], [0, 0, 0]]),
    "five_binary": Expected(
        values=["TN", "TN", "TN", "TN", "FP"],
        classes=["cat", "dog"], ypred=["cat", "cat", "cat", "cat", "dog"],
        metrics=(0.8, 0.0, 0.0, 0.0, 5),
        macro=(0.8, 0.5, 0.4, 0.4444444444444444, 5),
        cm=[[4, 1], [0, 0]], cm_missing=[[4, 1], [0, 0]],
        cm_other=[[4, 1], [0, 0]], cm_other_missing=[[4, 1], [0, 0]]),
    "five_binary_dogcat": Expected(
        values=["TN", "FN", "FP", "TP", "FN"],
        classes=["dog", "cat"], ypred=["dog", "dog", "cat", "cat", "dog"],
        metrics=(0.4, 0.5, 0.3333333333333333, 0.4, 5),
        macro=(0.4, 0.41666666666666663, 0.41666666666666663, 0.4, 5),
        cm=[[1, 1], [2, 1]], cm_missing=[[1, 1], [2, 1]],
        cm_other=[[1, 1], [2, 0]], cm_other_missing=[[1, 1], [2, 0]]),
    "five_binary_empty": Expected(
        values=[None, None, None, None, None],
        classes=["cat", "dog"], ypred=[],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, 0.0, 0.0, 0.0, 0),
        cm=[[0, 0], [0, 0]], cm_missing=[[0, 0], [0, 0]],
        cm_other=[[0, 0], [0, 0]], cm_other_missing=[[0, 0], [0, 0]]),
    "mine_simple": Expected(
        values=[True, False, False, False, True, False, False, False, True, True],
        classes=["a", "b", "c"], ypred=["a", "b", "c", "a", "b", "b", "a", "(none)", "a", "(none)"],
        metrics=(0.3333333333333333, 0.375, 0.375, 0.375, 8),
        macro=(0.3333333333333333, 0.27777777777777773, 0.38888888888888884, 0.3238095238095238, 8),
        cm=[[2, 1, 0], [0, 1, 1], [1, 1, 0]], cm_missing=[[2, 1, 0, 0], [0, 1, 1, 0], [1, 1, 0, 1], [1, 0, 0, 1]],
        cm_other=[[2, 1], [1, 0]], cm_other_missing=[[2, 1, 0], [1, 0, 0], [1, 0, 1]]),
    "mine_simple_classes_ab": Expected(
        values=[True, False, False, False, True, False, False, False, True, True],
        classes=["a", "b"], ypred=["a", "b", "c", "a", "b", "b", "a", "(none)", "a", "(none)"],
        metrics=(0.375, 0.42857142857142855, 0.6, 0.5, 5),
        macro=(0.375, 0.41666666666666663, 0.5833333333333333, 0.4857142857142857, 5),
        cm=[[2, 1], [0, 1]], cm_missing=[[2, 1, 0], [0, 1, 0], [1, 0, 1]],
        cm_other=[[2, 1], [1, 0]], cm_other_missing=[[2, 1, 0], [1, 0, 0], [1, 0, 1]]),
    "mine_topk1": Expected(
        values=[True, False, False, False, True, True, False, False, False, False],
        classes=["a", "b", "c"], ypred=["a", "b", "c", "a", "b", "c", "a", "(none)", "(none)", "(none)"],
        metrics=(0.3333333333333333, 0.42857142857142855, 0.375, 0.4, 8),
        macro=(0.3333333333333333, 0.4444444444444444, 0.38888888888888884, 0.41111111111111115, 8),
        cm=[[1, 1, 0], [0, 1, 1], [1, 0, 1]], cm_missing=[[1, 1, 0, 1], [0, 1, 1, 0], [1, 0, 1, 1], [1, 0, 0, 1]],
        cm_other=[[1, 1], [1, 0]], cm_other_missing=[[1, 1, 1], [1, 0, 0], [1, 0, 1]]),
    "mine_topk2": Expected(
        values=[True, True, True, True, True, True, False, False, False, False],
        classes=["a", "b", "c"], ypred=["a", "a", "b", "c", "b", "c", "a", "(none)", "(none)", "(none)"],
        metrics=(0.6666666666666666, 0.8571428571428571, 0.75, 0.8, 8),
        macro=(0.6666666666666666, 0.8888888888888888, 0.7777777777777777, 0.8222222222222223, 8),
        cm=[[2, 0, 0], [0, 2, 0], [0, 0, 2]], cm_missing=[[2, 0, 0, 1], [0, 2, 0, 0], [0, 0, 2, 1], [1, 0, 0, 1]],
        cm_other=[[2, 0], [0, 0]], cm_other_missing=[[2, 0, 1], [0, 0, 0], [1, 0, 1]]),
    "mine_topk_view": Expected(
        values=[True, True, True, True, True, True, None, False, False, None],
        classes=["a", "b", "c"], ypred=["a", "a", "b", "c", "b", "c", "(none)", "(none)"],
        metrics=(0.75, 1.0, 0.75, 0.8571428571428571, 8),
        macro=(0.75, 1.0, 0.7777777777777777, 0.8666666666666667, 8),
        cm=[[2, 0, 0], [0, 2, 0], [0, 0, 2]], cm_missing=[[2, 0, 0, 1], [0, 2, 0, 0], [0, 0, 2, 1], [0, 0, 0, 0]],
        cm_other=[[2, 0], [0, 0]], cm_other_missing=[[2, 0, 1], [0, 0, 0], [0, 0, 0]]),
    "mine_binary_view": Expected(
        values=["TP", "FN", "TN", None, "TN", None, "FP", None, "TP", "TN"],
        classes=["b", "a"], ypred=["a", "b", "c", "b", "a", "a", "b"],
        metrics="raises",
        macro=(0.5714285714285714, 0.6666666666666666, 0.5833333333333333, 0.6190476190476191, 7),
        cm=[[2, 1], [1, 2]], cm_missing=[[2, 1], [1, 2]],
        cm_other=[[2, 2], [1, 0]], cm_other_missing=[[2, 2], [1, 0]]),
    "single_neither_simple": Expected(
        values=[True],
        classes=[], ypred=["(none)"],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, NAN, NAN, NAN, 0),
        cm=[], cm_missing=[[1]],
        cm_other=[[0]], cm_other_missing=[[0, 0], [0, 1]]),
    "single_neither_topk": Expected(
        values=[False],
        classes=["a"], ypred=["(none)"],
        metrics=(0.0, 0.0, 0.0, 0.0, 0),
        macro=(0.0, 0.0, 0.0, 0.0, 0),
        cm=[[0]], cm_missing=[[0, 0], [0, 1]],
        cm_other=[[0, 0], [0, 0]], cm_other_missing=[[0, 0, 0], [0, 0, 0], [0, 0, 1]]),
    "single_neither_binary": Expected(
        values=["TN"],
        classes=["n", "p"], ypred=["n"],
        metrics=(1.0, 0.0, 0.0, 0.0, 1),
        macro=(1.0, 0.5, 0.5, 0.5, 1),
        cm=[[1, 0], [0, 0]], cm_missing=[[1, 0], [0, 0]],
        cm_other=[[1, 0], [0, 0]], cm_other_missing=[[1, 0], [0, 0]]),
    "truth_only_topk": Expected(
        values=[False, True],
        classes=["a", "b"], ypred=["(none)", "b"],
        metrics=(0.5, 1.0, 0.5, 0.6666666666666666, 2),
        macro=(0.5, 0.5, 0.5, 0.5, 2),
        cm=[[0, 0], [0, 1]], cm_missing=[[0, 0, 1], [0, 1, 0], [0, 0, 0]],
        cm_other=[[0, 0], [0, 0]], cm_other_missing=[[0, 0, 1], [0, 0, 0], [0, 0, 0]]),
    "pred_only_topk": Expected(
        values=[False, True],
        classes=["a", "b"], ypred=["b", "a"],
        metrics=(0.5, 0.5, 1.0, 0.6666666666666666, 1),
        macro=(0.5, 0.5, 0.5, 0.5, 1),
        cm=[[1, 0], [0, 0]], cm_missing=[[1, 0, 0], [0, 0, 0], [0, 1, 0]],
        cm_other=[[1, 0], [0, 0]], cm_other_missing=[[1, 0, 0], [0, 0, 0], [0, 0, 0]]),
    "binary_pos_other": Expected(
        values=["FN", "FP", "TP"],
        classes=["n", "p"], ypred=["o", "p", "p"],
        metrics=(0.3333333333333333, 0.5, 0.5, 0.5, 2),
        macro=(0.3333333333333333, 0.25, 0.25, 0.25, 2),
        cm=[[0, 0], [0, 1]], cm_missing=[[0, 0], [0, 1]],
        cm_other=[[0, 0], [0, 0]], cm_other_missing=[[0, 0], [0, 0]]),
    "topk_pred_outside_found": Expected(
        values=[True],
        classes=["a", "b"], ypred=["a"],
        metrics=(1.0, 1.0, 1.0, 1.0, 1),
        macro=(1.0, 0.5, 0.5, 0.5, 1),
        cm=[[1, 0], [0, 0]], cm_missing=[[1, 0, 0], [0, 0, 0], [0, 0, 0]],
        cm_other=[[1, 0], [0, 0]], cm_other_missing=[[1, 0, 0], [0, 0, 0], [0, 0, 0]]),
}


def _dataset(rows) -> fo.Dataset:
    dataset = fo.Dataset()
    dataset.add_sample_field("gt", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    dataset.add_sample_field("pred", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    samples = []
    for i, (truth, pred) in enumerate(rows):
        fields = {}
        if truth is not None:
            fields["gt"] = fo.Classification(label=truth)
        if pred is not None:
            label, conf, logits = pred
            fields["pred"] = fo.Classification(label=label, confidence=conf, logits=logits)
        samples.append(fo.Sample(filepath=f"/img/{i}.jpg", **fields))
    dataset.add_samples(samples)
    return dataset


def _evaluate(name: str, eval_key: str | None = "ev"):
    rows, view, kwargs = CASES[name]
    dataset = _dataset(rows)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # top-k's warning about samples without logits
        results = view(dataset).evaluate_classifications("pred", gt_field="gt", eval_key=eval_key, **kwargs)
    return dataset, results


def _metric_tuple(metrics: dict) -> tuple:
    return tuple(metrics[k] for k in ("accuracy", "precision", "recall", "fscore", "support"))


def _same(actual, expected) -> bool:
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(actual, float) and math.isnan(actual)
    if isinstance(expected, tuple | list):
        return len(actual) == len(expected) and all(_same(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(_same(actual[k], expected[k]) for k in expected)
    return actual == pytest.approx(expected)


@pytest.mark.parametrize("name", list(CASES))
def test_evaluation_matches_fiftyone(name):
    dataset, results = _evaluate(name)
    want = EXPECTED[name]
    assert dataset.values("ev") == want.values
    assert list(results.classes) == want.classes
    assert results.ypred.tolist() == want.ypred
    if want.metrics == "raises":
        with pytest.raises(ValueError, match="average"):
            results.metrics()
    else:
        assert _same(_metric_tuple(results.metrics()), want.metrics)
    assert _same(_metric_tuple(results.metrics(average="macro")), want.macro)
    assert results.confusion_matrix().tolist() == want.cm
    assert results.confusion_matrix(include_missing=True).tolist() == want.cm_missing
    first = list(results.classes)[:1]
    assert results.confusion_matrix(classes=first, include_other=True).tolist() == want.cm_other
    assert results.confusion_matrix(classes=first, include_other=True, include_missing=True).tolist() == \
        want.cm_other_missing
    # reloading recomputes the same results from the stored run
    assert dataset.load_evaluation_results("ev").confusion_matrix().tolist() == want.cm


def test_missing_label_is_the_last_class_of_fiftyones_own_test():
    _, results = _evaluate("five_simple")
    classes = list(results.classes) + [results.missing]
    assert classes == ["cat", "dog", "(none)"]
    assert results.confusion_matrix(classes=classes).tolist() == [[1, 1, 1], [0, 0, 0], [1, 0, 1]]
    assert _same(_metric_tuple(results.metrics(classes=classes)), (0.4, 0.4, 0.4, 0.4, 5))
    assert _same(_metric_tuple(results.metrics(classes=["cat"])), (0.25, 0.5, 1 / 3, 0.4, 3))
    _, top_k = _evaluate("five_topk")
    assert top_k.confusion_matrix(classes=classes).tolist() == [[2, 0, 1], [0, 0, 0], [1, 0, 1]]


def test_report_and_print_report_match_fiftyone(capsys):
    _, results = _evaluate("five_simple")
    assert _same(results.report(), {
        "cat": {"precision": 0.5, "recall": 1 / 3, "f1-score": 0.4, "support": 3.0},
        "dog": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0.0},
        "micro avg": {"precision": 1 / 3, "recall": 1 / 3, "f1-score": 1 / 3, "support": 3.0},
        "macro avg": {"precision": 0.25, "recall": 1 / 6, "f1-score": 0.2, "support": 3.0},
        "weighted avg": {"precision": 0.5, "recall": 1 / 3, "f1-score": 0.4, "support": 3.0}})
    assert _same(results.report(classes=["cat", "dog", "(none)"]), {
        "cat": {"precision": 0.5, "recall": 1 / 3, "f1-score": 0.4, "support": 3.0},
        "dog": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0.0},
        "(none)": {"precision": 0.5, "recall": 0.5, "f1-score": 0.5, "support": 2.0},
        "accuracy": 0.4,
        "macro avg": {"precision": 1 / 3, "recall": 0.27777777777777773, "f1-score": 0.3, "support": 5.0},
        "weighted avg": {"precision": 0.5, "recall": 0.4, "f1-score": 0.44, "support": 5.0}})
    results.print_report()
    assert capsys.readouterr().out == (
        "              precision    recall  f1-score   support\n\n"
        "         cat       0.50      0.33      0.40         3\n"
        "         dog       0.00      0.00      0.00         0\n\n"
        "   micro avg       0.33      0.33      0.33         3\n"
        "   macro avg       0.25      0.17      0.20         3\n"
        "weighted avg       0.50      0.33      0.40         3\n\n")
    _, binary = _evaluate("five_binary")
    assert _same(binary.report(), {
        "cat": {"precision": 1.0, "recall": 0.8, "f1-score": 0.8888888888888888, "support": 5.0},
        "dog": {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0.0},
        "accuracy": 0.8,
        "macro avg": {"precision": 0.5, "recall": 0.4, "f1-score": 0.4444444444444444, "support": 5.0},
        "weighted avg": {"precision": 1.0, "recall": 0.8, "f1-score": 0.888888888888889, "support": 5.0}})
    binary.print_report()
    assert capsys.readouterr().out == (
        "              precision    recall  f1-score   support\n\n"
        "         cat       1.00      0.80      0.89         5\n"
        "         dog       0.00      0.00      0.00         0\n\n"
        "    accuracy                           0.80         5\n"
        "   macro avg       0.50      0.40      0.44         5\n"
        "weighted avg       1.00      0.80      0.89         5\n\n")


ZERO = {"precision": 0.0, "recall": 0.0, "f1-score": 0.0, "support": 0}


@pytest.mark.parametrize(
    ("name", "report", "printed"),
    [
        ("five_simple_empty", {"micro avg": ZERO, "macro avg": ZERO, "weighted avg": ZERO}, "No classes to analyze\n"),
        ("five_simple_empty_classes", {"cat": ZERO, "dog": ZERO, "micro avg": ZERO, "macro avg": ZERO,
                                       "weighted avg": ZERO}, "No samples to analyze\n"),
        ("five_topk_empty", {"cat": ZERO, "dog": ZERO, "micro avg": ZERO, "macro avg": ZERO, "weighted avg": ZERO},
         "No samples to analyze\n"),
        ("five_binary_empty", {"cat": ZERO, "dog": ZERO, "micro avg": ZERO, "macro avg": ZERO, "weighted avg": ZERO},
         "No samples to analyze\n"),
        ("single_neither_simple", None, "No classes to analyze\n"),
    ],
)
def test_reports_of_empty_views_and_no_classes(name, report, printed, capsys):
    dataset, results = _evaluate(name)
    assert dataset.has_field("ev")  # the field is registered even when no sample was evaluated
    if report is not None:
        assert results.report() == report
    results.print_report()
    assert capsys.readouterr().out == printed


def test_top_k_confidences_are_the_softmax_of_the_recorded_label():
    _, results = _evaluate("mine_topk2")
    # FiftyOne: the probability of the truth when within the top k, else of the prediction; None without logits
    expected = [0.665241, 0.244728, 0.244728, 0.244728, 0.858981, 0.333333, NAN, NAN, NAN, NAN]
    assert np.allclose(results.confs, expected, atol=1e-6, equal_nan=True)
    assert results.metrics()["top_2_accuracy"] == pytest.approx(0.6)


def test_top_k_warns_once_about_samples_without_logits():
    dataset = _dataset(FIVE)
    with pytest.warns(UserWarning, match="2 samples have no logits"):
        dataset.evaluate_classifications("pred", gt_field="gt", method="top-k", classes=["cat", "dog"])


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([("z", _c("a", 0.5, [1.0, 0.0]))], "ground truth label 'z' is not in the provided classes"),
        ([("b", _c("z", 0.5, [1.0, 0.0]))], "predicted label 'z' is not in the provided classes"),
        ([("a", _c("a", 0.5, [1.0, 0.0, 0.0]))], "3 logits but classes has 2"),
    ],
)
def test_top_k_refuses_labels_outside_the_classes(rows, match):
    # FiftyOne raises ValueError("Found ground truth label 'z' not in provided classes") (and likewise predicted)
    dataset = _dataset(rows)
    with pytest.raises(EvaluationError, match=match) as info:
        dataset.evaluate_classifications("pred", gt_field="gt", method="top-k", classes=["a", "b"], k=1)
    assert isinstance(info.value, ValueError)


def test_methods_without_the_classes_they_need_raise_value_error():
    dataset = _dataset(FIVE)
    for kwargs in ({"method": "binary"}, {"method": "binary", "classes": ["cat"]}, {"method": "top-k"},
                   {"method": "nope"}):
        with pytest.raises(ValueError):
            dataset.evaluate_classifications("pred", gt_field="gt", eval_key="ev", **kwargs)
    assert not dataset.has_field("ev")


def test_binary_counts_missing_labels_as_negative_and_scores_the_positive_class():
    _, results = _evaluate("five_binary")
    m = results.metrics()
    assert (m["TP"], m["FP"], m["FN"], m["TN"]) == (0, 1, 0, 4)
    assert results.ytrue.tolist() == ["cat"] * 5 and results.missing == "cat"
    _, other = _evaluate("binary_pos_other")
    assert other.average_precision() == pytest.approx(0.8333333333333333)  # FiftyOne's
    assert _same(_metric_tuple(other.metrics()), (1 / 3, 0.5, 0.5, 0.5, 2))


def test_binary_metrics_with_labels_outside_the_two_classes_raise_value_error_as_scikit_learn_does():
    _, results = _evaluate("mine_binary_view")
    with pytest.raises(EvaluationError, match="multiclass.*Labels other than 'b' and 'a': \\['c'\\]"):
        results.metrics()
    # another average works, as in FiftyOne
    assert _same(_metric_tuple(results.metrics(average="micro")), (4 / 7, 2 / 3, 4 / 7, 0.6153846153846154, 7))


def test_simple_with_missing_equal_to_a_class_stores_label_equality():
    dataset, results = _evaluate("five_simple_missing_cat")
    # the stored field compares the labels, not their stand-ins: (none, cat) is wrong although missing="cat"
    assert dataset.values("ev") == [True, False, False, True, False]
    assert results.ytrue.tolist() == ["cat"] * 5
    assert _same(_metric_tuple(results.metrics(classes=["cat"])), (0.8, 1.0, 0.8, 0.8888888888888888, 5))


@pytest.mark.parametrize(
    ("name", "kwargs", "printed"),
    [
        ("five_simple", {}, "accuracy   0.25\nprecision  0.33\nrecall     0.33\nfscore     0.33\nsupport    3\n"),
        # binary results print micro-averaged metrics, as FiftyOne's print_metrics does
        ("five_binary", {}, "accuracy   0.8\nprecision  0.8\nrecall     0.8\nfscore     0.8\nsupport    5\n"),
        ("mine_topk2", {"digits": 4, "classes": ["a"]},
         "accuracy   0.5\nprecision  0.6667\nrecall     0.6667\nfscore     0.6667\nsupport    3\n"),
        ("five_simple_empty", {}, "accuracy   0\nprecision  0\nrecall     0\nfscore     0\nsupport    0\n"),
    ],
)
def test_print_metrics_matches_fiftyone(name, kwargs, printed, capsys):
    _, results = _evaluate(name, eval_key=None)
    results.print_metrics(**kwargs)
    assert capsys.readouterr().out == printed


def test_method_none_is_fiftyones_default_simple_method():
    dataset = _dataset(FIVE)
    results = dataset.evaluate_classifications("pred", "gt", "ev", None, None, None)  # FiftyOne's positional order
    assert dataset.values("ev") == [True, False, False, True, False]
    assert dataset.get_evaluation_info("ev")["config"]["method"] == "simple"
    assert results.confusion_matrix().tolist() == [[1, 1], [0, 0]]
