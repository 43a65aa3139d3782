"""HTML reports: what a reader needs is on the page, whatever the class and model names."""

from __future__ import annotations

import html
import re

import bakeoff as fo

CLASSES = ["$x$", "price $5", "plain", "a_b"]


def _dataset(make_image, tmp_path):
    dataset = fo.Dataset()
    samples = []
    for i in range(12):
        path = make_image(tmp_path / "img" / f"{i}.jpg")
        truth = CLASSES[i % 4]
        wrong = CLASSES[(i + 1) % 4] if i < 4 else truth  # samples 0-3: every model wrong
        samples.append(fo.Sample(path, ground_truth=fo.Classification(label=truth),
                                 m1=fo.Classification(label=wrong, confidence=0.6),
                                 **{"m2": fo.Classification(label=CLASSES[(i + 2) % 4] if i < 4 else truth,
                                                               confidence=0.7)}))
    dataset.add_samples(samples)
    return dataset


def test_class_and_model_names_with_dollar_signs_do_not_break_the_report(make_image, tmp_path):
    dataset = _dataset(make_image, tmp_path)
    comparison = fo.compare(dataset, pred_fields=["m1", "m2"])
    text = open(comparison.save_report(tmp_path / "report.html"), encoding="utf-8").read()
    assert text.count("data:image/png;base64,") == 4  # accuracy, reliability, two matrices
    results = dataset.evaluate_classifications("m1", eval_key="e1", classes=CLASSES)
    one = open(results.save_report(tmp_path / "one.html"), encoding="utf-8").read()
    assert one.count("data:image/png;base64,") == 2 and "<div class='wide'>" in one  # matrix, reliability


def test_all_wrong_tiles_say_what_each_model_said_and_matrices_scroll_instead_of_overflowing(make_image, tmp_path):
    dataset = _dataset(make_image, tmp_path)
    comparison = fo.compare(dataset, pred_fields=["m1", "m2"])
    text = open(comparison.save_report(tmp_path / "report.html"), encoding="utf-8").read()
    section = text.split("All models wrong (4)")[1].split("<h2>")[0]
    captions = [html.unescape(re.sub(r"<br>", " | ", re.sub(r"<(?!br>)[^>]+>", "", c)))
                for c in re.findall(r"<figcaption>(.*?)</figcaption>", section)]
    assert len(captions) == 4
    for i, caption in enumerate(captions):
        assert f"truth: {CLASSES[i]}" in caption
        assert f"m1: {CLASSES[(i + 1) % 4]}" in caption and f"m2: {CLASSES[(i + 2) % 4]}" in caption
    matrices = text.split("<h2>Confusion matrices</h2>")[1]
    assert matrices.count("<div class='wide'>") == 2 and ".wide { max-width: 100%; overflow: auto;" in text
