"""bakeoff.compare: the table, pairwise statistics, views and label errors against plain Python."""

from __future__ import annotations

import random

import pytest

import bakeoff as fo

MODELS = ["clip", "siglip", "dfn"]


@pytest.fixture
def predictions():
    rng = random.Random(3)
    dataset = fo.Dataset()
    samples = []
    for i in range(300):
        truth = f"c{i % 5}"
        sample = fo.Sample(f"/{i}.jpg", ground_truth=fo.Classification(label=truth) if i % 50 else None)
        for k, m in enumerate(MODELS):
            if rng.random() < 0.95:
                label = truth if rng.random() < 0.5 + 0.15 * k else f"c{rng.randrange(5)}"
                sample[m] = fo.Classification(label=label, confidence=round(rng.random(), 3))
        samples.append(sample)
    # three samples every model confidently calls "horse"
    for i in (10, 20, 30):
        for m in MODELS:
            samples[i][m] = fo.Classification(label="horse", confidence=0.95)
    dataset.add_samples(samples)
    return dataset


def _rows(dataset):
    out = []
    for s in dataset:
        gt = s.ground_truth.label if s.ground_truth else None
        preds = {m: (s[m].label if s[m] else None) for m in MODELS}
        confs = {m: (s[m].confidence if s[m] else None) for m in MODELS}
        out.append((s.id, gt, preds, confs))
    return out


def test_views_equal_plain_python(predictions):
    comparison = fo.compare(predictions)
    assert comparison.models == MODELS
    rows = _rows(predictions)
    right = lambda r, m: r[2][m] == r[1]  # noqa: E731  (None == None counts as right)
    ids = lambda pred: [r[0] for r in rows if pred(r)]  # noqa: E731
    assert comparison.all_right().values("id") == ids(lambda r: all(right(r, m) for m in MODELS))
    assert comparison.all_wrong().values("id") == ids(lambda r: not any(right(r, m) for m in MODELS))
    assert comparison.only_one_right().values("id") == ids(lambda r: sum(right(r, m) for m in MODELS) == 1)
    assert comparison.only_right("dfn").values("id") == ids(
        lambda r: right(r, "dfn") and not right(r, "clip") and not right(r, "siglip"))
    assert comparison.right_wrong("siglip", "clip").values("id") == ids(
        lambda r: right(r, "siglip") and not right(r, "clip"))


def test_table_and_pairs_equal_plain_python(predictions):
    comparison = fo.compare(predictions)
    rows = _rows(predictions)
    for row in comparison.table:
        m = row["model"]
        correct = [r[2][m] == r[1] for r in rows]
        assert row["accuracy"] == pytest.approx(sum(correct) / len(rows))
        lo, hi = row["accuracy_ci"]
        assert lo < row["accuracy"] < hi
        confs = [r[3][m] for r in rows if r[3][m] is not None]
        assert row["mean_confidence"] == pytest.approx(sum(confs) / len(confs))
        assert row["num_predicted"] == len(confs) and row["top5_accuracy"] is None
    pair = comparison.pair("clip", "dfn")
    assert pair["a_right_b_wrong"] == sum(r[2]["clip"] == r[1] and r[2]["dfn"] != r[1] for r in rows)
    assert pair["agreement"] == pytest.approx(sum(r[2]["clip"] == r[2]["dfn"] for r in rows) / len(rows))
    assert 0 <= pair["mcnemar_p"] <= 1
    assert comparison.pair("dfn", "clip")["a_wrong_b_right"] == pair["a_right_b_wrong"]


def test_printing_shows_percent_correct_and_mean_confidence(predictions):
    text = str(fo.compare(predictions))
    assert "percent correct" in text and "mean conf" in text and "McNemar" in text
    assert "clip vs siglip" in text and "all right:" in text


def test_likely_label_errors_need_logits(predictions):
    """These fields store no logits: the finder says so (tests/evaluation/test_label_errors.py has the rest)."""
    from bakeoff.errors import LabelErrorsError

    comparison = fo.compare(predictions)
    with pytest.raises(LabelErrorsError, match="store_logits=True"):
        comparison.likely_label_errors()
    assert comparison.describe_label_errors().startswith("likely label errors: not looked for: ")


def test_compare_needs_predictions():
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample("/a.jpg", ground_truth=fo.Classification(label="cat")))
    with pytest.raises(fo.BakeoffError, match="nothing to compare"):
        fo.compare(dataset)


def test_comparison_report(predictions, tmp_path, make_image):
    for i, sample in enumerate(predictions.limit(40)):
        make_image(tmp_path / "img" / f"{i}.jpg")
        sample.filepath = str(tmp_path / "img" / f"{i}.jpg")
        sample.save()
    comparison = fo.compare(predictions)
    path = comparison.save_report(tmp_path / "report.html")
    text = open(path, encoding="utf-8").read()
    assert "percent correct" in text and "Likely label errors: not looked for" in text and "store_logits=True" in text
    assert text.count("data:image/png;base64,") == 2 + len(MODELS)  # accuracy, reliability, one matrix per model
    assert "data:image/jpeg;base64," in text  # thumbnails


def test_a_model_the_comparison_does_not_hold_is_a_key_error_that_names_the_models(predictions):
    comparison = fo.compare(predictions)
    with pytest.raises(fo.errors.NotComparedError, match="'clp' is not among the compared models") as error:
        comparison.only_right("clp")
    assert isinstance(error.value, KeyError) and "Did you mean 'clip'" in str(error.value)
    with pytest.raises(KeyError):
        comparison.pair("clip", "nope")
