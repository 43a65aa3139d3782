"""evaluate_classifications: FiftyOne's own test case ported, top-k, binary, stored runs."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
from bakeoff.core.interface import RunStore


@pytest.fixture
def five():
    """FiftyOne's five-sample case: (none, none), (cat, none), (none, cat), (cat, cat), (cat, dog)."""
    dataset = fo.Dataset()
    dataset.add_sample_field("gt", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    dataset.add_sample_field("pred", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    dataset.add_samples([
        fo.Sample("/1.jpg"),
        fo.Sample("/2.jpg", gt=fo.Classification(label="cat")),
        fo.Sample("/3.jpg", pred=fo.Classification(label="cat", confidence=0.9, logits=[0.9, 0.1])),
        fo.Sample("/4.jpg", gt=fo.Classification(label="cat"),
                  pred=fo.Classification(label="cat", confidence=0.9, logits=[0.9, 0.1])),
        fo.Sample("/5.jpg", gt=fo.Classification(label="cat"),
                  pred=fo.Classification(label="dog", confidence=0.9, logits=[0.1, 0.9])),
    ])
    return dataset


def test_simple_matches_fiftyone(five):
    results = five.evaluate_classifications("pred", gt_field="gt", eval_key="eval")
    assert results.report()["cat"]["support"] == 3
    assert results.metrics()["support"] == 3
    assert results.confusion_matrix(classes=["cat", "dog"]).tolist() == [[1, 1], [0, 0]]
    assert results.confusion_matrix(classes=["cat", "dog"], include_missing=True).tolist() == [
        [1, 1, 1], [0, 0, 0], [1, 0, 1]]
    assert five.values("eval") == [True, False, False, True, False]
    assert five.count_values("eval") == {True: 2, False: 3}
    # FiftyOne counts the samples whose truth or prediction is a class: (none, none) is left out
    assert results.metrics()["accuracy"] == pytest.approx(0.25)
    assert five.list_evaluations() == ["eval"]
    assert isinstance(five.get_field("eval"), fo.BooleanField)


def test_rename_and_delete_move_and_remove_key_and_field(five):
    five.evaluate_classifications("pred", gt_field="gt", eval_key="eval")
    five.rename_evaluation("eval", "eval2")
    assert five.list_evaluations() == ["eval2"] and five.has_field("eval2") and not five.has_field("eval")
    assert five.values("eval2") == [True, False, False, True, False]
    five.delete_evaluation("eval2")
    assert five.list_evaluations() == [] and not five.has_field("eval2")
    with pytest.raises(fo.BakeoffError, match="no evaluation 'eval2'"):
        five.get_evaluation_info("eval2")


def test_empty_view_registers_the_field_with_zero_support(five):
    results = five.limit(0).evaluate_classifications("pred", gt_field="gt", eval_key="eval")
    assert five.has_field("eval") and five.count("eval") == 0
    assert results.metrics()["support"] == 0 and results.confusion_matrix().shape == (0, 0)


def test_stored_results_reload_on_the_evaluated_view(five):
    view = five.exists("gt")
    first = view.evaluate_classifications("pred", gt_field="gt", eval_key="eval")
    assert five.values("eval") == [None, False, None, True, False]  # only the view's samples
    again = five.load_evaluation_results("eval")
    assert again.ytrue.tolist() == first.ytrue.tolist() and again.ypred.tolist() == first.ypred.tolist()
    assert len(five.load_evaluation_view("eval")) == 3
    info = five.get_evaluation_info("eval")
    assert info["config"]["method"] == "simple" and info["config"]["pred_field"] == "pred"


def test_rerunning_an_evaluation_replaces_it(five):
    five.evaluate_classifications("pred", gt_field="gt", eval_key="eval")
    five.evaluate_classifications("pred", gt_field="gt", eval_key="eval", method="binary", classes=["dog", "cat"])
    assert five.list_evaluations() == ["eval"] and isinstance(five.get_field("eval"), fo.StringField)


def test_top_k_uses_logits_and_warns_for_missing_ones(five):
    with pytest.warns(UserWarning, match="2 samples have no logits"):
        results = five.evaluate_classifications("pred", gt_field="gt", eval_key="top1", method="top-k",
                                                classes=["cat", "dog"], k=1)
    # FiftyOne: without logits, or without a ground truth, a sample is not correct
    assert five.values("top1") == [False, False, False, True, False]
    with pytest.warns(UserWarning):
        five.evaluate_classifications("pred", gt_field="gt", eval_key="top2", method="top-k",
                                      classes=["cat", "dog"], k=2)
    assert five.values("top2") == [False, False, False, True, True]
    assert results.metrics()["top_1_accuracy"] == pytest.approx(0.2)
    with pytest.raises(ValueError, match="class order"):
        five.evaluate_classifications("pred", gt_field="gt", method="top-k")


def test_binary_outcomes(five):
    results = five.evaluate_classifications("pred", gt_field="gt", eval_key="bin", method="binary",
                                            classes=["dog", "cat"])
    assert five.values("bin") == ["TN", "FN", "FP", "TP", "FN"]
    m = results.metrics()
    assert (m["TP"], m["FP"], m["FN"], m["TN"]) == (1, 1, 2, 1)
    assert m["precision"] == pytest.approx(0.5) and m["recall"] == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="classes=\\(negative, positive\\)"):
        five.evaluate_classifications("pred", gt_field="gt", method="binary")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"pred_field": "nope"}, fo.UnknownFieldError, "no prediction field 'nope'"),
        ({"pred_field": "pred", "gt_field": "gtt"}, fo.UnknownFieldError, "Did you mean 'gt'"),
        ({"pred_field": "pred", "method": "fuzzy"}, ValueError, "unknown method"),
        ({"pred_field": "pred", "eval_key": "pred"}, fo.FieldError, "would overwrite"),
        ({"pred_field": "pred", "eval_key": "bad key"}, fo.FieldError, "invalid field name"),
    ],
)
def test_bad_arguments(five, kwargs, error, match):
    kwargs.setdefault("gt_field", "gt")
    with pytest.raises(error, match=match):
        five.evaluate_classifications(**kwargs)


def test_balanced_accuracy_and_calibration():
    dataset = fo.Dataset()
    truth = ["a"] * 8 + ["b"] * 2
    preds = ["a"] * 8 + ["a", "b"]
    confs = [0.9] * 8 + [0.6, 0.6]
    dataset.add_samples([fo.Sample(f"/{i}.jpg", gt=fo.Classification(label=t),
                                   pred=fo.Classification(label=p, confidence=c))
                         for i, (t, p, c) in enumerate(zip(truth, preds, confs, strict=True))])
    results = dataset.evaluate_classifications("pred", gt_field="gt")
    assert results.metrics()["accuracy"] == pytest.approx(0.9)
    assert results.balanced_accuracy() == pytest.approx((1.0 + 0.5) / 2)
    cal = results.calibration(bins=10)
    # 8 samples at 0.9 all right (gap 0.1), 2 at 0.6 half right (gap 0.1)
    assert cal["ece"] == pytest.approx(0.1)
    assert sum(b["count"] for b in cal["bins"]) == 10


def test_bootstrap_interval_covers_the_true_accuracy_at_the_nominal_rate():
    from bakeoff.evaluation.metrics import bootstrap_accuracy_interval

    rng = np.random.default_rng(0)
    true_p, n, trials = 0.7, 400, 400
    covered = 0
    for t in range(trials):
        sample = rng.random(n) < true_p
        lo, hi = bootstrap_accuracy_interval(sample, resamples=1000, seed=t)
        covered += lo <= true_p <= hi
    assert 0.92 <= covered / trials <= 0.98


def test_results_report_is_self_contained_html(five, tmp_path):
    results = five.evaluate_classifications("pred", gt_field="gt")
    path = results.save_report(tmp_path / "eval.html")
    text = open(path, encoding="utf-8").read()
    assert text.startswith("<!doctype html>") and text.count("data:image/png;base64,") == 2
    assert "<td>cat</td>" in text and "http" not in text.replace("https://", "")


def test_an_evaluation_that_fails_midway_leaves_the_previous_one_whole(monkeypatch):
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(filepath=f"/img/{i}.jpg", gt=fo.Classification(label="a"),
                                   pred=fo.Classification(label="a" if i % 2 else "b")) for i in range(20)])
    dataset.evaluate_classifications("pred", gt_field="gt", eval_key="ev")
    before = dataset.values("ev")

    def broken(*args, **kwargs):
        raise RuntimeError("the process dies here")

    monkeypatch.setattr(RunStore, "save", broken)  # the last step: the run's record
    dataset.set_values("pred", [fo.Classification(label="a")] * 20)
    with pytest.raises(RuntimeError):
        dataset.evaluate_classifications("pred", gt_field="gt", eval_key="ev")
    monkeypatch.undo()
    # the old field, values and run are all still there: the new evaluation's steps were one transaction
    assert dataset.values("ev") == before and dataset.list_evaluations() == ["ev"]
    assert dataset.get_evaluation_info("ev")["config"]["pred_field"] == "pred"


def test_a_transaction_commits_together_or_not_at_all():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(filepath=f"/img/{i}.jpg") for i in range(5)])
    with pytest.raises(KeyboardInterrupt):
        with fo.transaction():
            dataset.set_values("x", [1] * 5)
            assert dataset.sum("x") == 5  # reads inside see the block's own writes
            raise KeyboardInterrupt  # Ctrl-C before the block ends
    assert not dataset.has_field("x")
    with fo.transaction():
        dataset.set_values("x", [2] * 5)
        dataset.tag_samples("done")
    assert dataset.sum("x") == 10 and dataset.count_sample_tags() == {"done": 5}
