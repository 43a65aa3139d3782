"""The comparison's per-class table (where each model wins) and its duplicates line, on every surface."""

from __future__ import annotations

import html
import re
import shutil

import numpy as np
import pytest

import bakeoff as fo
from bakeoff.errors import BrainRunNotFoundError

X, Y, Z = "<script>alert('x')</script>", 'y & "quoted"', "z"


def _planted(make_image=None, tmp_path=None) -> fo.Dataset:
    """30 samples of each class: A right on all of X and B on 10 (A wins X), the reverse on Y (B wins Y),
    both right on the same 20 of Z (a tie); files written when ``make_image`` is given."""
    samples = []
    for k, truth in enumerate((X, Y, Z)):
        for i in range(30):
            n = 30 * k + i
            a_right = {X: True, Y: i < 10, Z: i < 20}[truth]
            b_right = {X: i < 10, Y: True, Z: i < 20}[truth]
            wrong = Z if truth != Z else X
            path = (make_image(tmp_path / "img" / f"{n}.png", size=(20 + n, 20), color=(n, 0, 0), fmt="PNG")
                    if make_image else f"/planted/{n}.png")
            samples.append(fo.Sample(str(path), ground_truth=fo.Classification(label=truth),
                                     a=fo.Classification(label=truth if a_right else wrong, confidence=0.5),
                                     b=fo.Classification(label=truth if b_right else wrong, confidence=0.5)))
    dataset = fo.Dataset()
    dataset.add_samples(samples)
    return dataset


def test_each_class_has_its_winner_or_a_tie_largest_gap_first(database):
    comparison = fo.compare(_planted(), pred_fields=["a", "b"])
    rows = comparison.per_class_wins()
    assert [(r["class"], r["winner"], r["support"]) for r in rows] == [(X, "a", 30), (Y, "b", 30), (Z, None, 30)]
    assert rows[0]["recall"] == {"a": 1.0, "b": pytest.approx(1 / 3)} and rows[0]["gap"] == pytest.approx(2 / 3)
    assert rows[0]["p_value"] < 1e-4 and rows[2]["p_value"] == 1.0 and rows[2]["gap"] == 0.0
    # the same McNemar test the pair table runs, on one class's samples
    from bakeoff.evaluation.metrics import mcnemar_pvalue

    assert rows[1]["p_value"] == pytest.approx(mcnemar_pvalue(0, 20))
    # a stricter alpha turns a small win into a tie; one model has nobody to beat
    assert fo.compare(_planted(), pred_fields=["a", "b"]).per_class_wins(alpha=1e-9)[0]["winner"] is None
    assert {r["winner"] for r in fo.compare(_planted(), pred_fields=["a"]).per_class_wins()} == {None}


def test_a_small_difference_on_a_small_class_is_a_tie_and_missing_truths_are_left_out(database):
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(f"/s/{i}.png", ground_truth=fo.Classification(label="few") if i < 6 else None,
                                   a=fo.Classification(label="few"),
                                   b=fo.Classification(label="few" if i < 3 else "other")) for i in range(8)])
    (row,) = fo.compare(dataset, pred_fields=["a", "b"]).per_class_wins()
    assert row["class"] == "few" and row["support"] == 6 and row["recall"] == {"a": 1.0, "b": 0.5}
    assert row["winner"] is None and row["p_value"] == pytest.approx(0.25)  # 3 discordant pairs, all for a


def test_print_json_and_html_show_the_table_with_hostile_class_names_escaped(database, tmp_path):
    comparison = fo.compare(_planted(), pred_fields=["a", "b"])
    text = str(comparison)
    assert "per class: classes won: a 1, b 1; ties 1" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("per class:"))
    assert lines[start + 3].startswith(X[:20]) and lines[start + 3].split()[-2:] == ["a", f"{2 * 0.5 ** 20:.2g}"]
    assert lines[start + 5].startswith("z") and lines[start + 5].split()[-2:] == ["tie", "1"]
    assert comparison.to_dict()["per_class"] == comparison.per_class_wins()
    page = open(comparison.save_report(tmp_path / "r.html"), encoding="utf-8").read()
    assert "<script>" not in page and "alert(" in page  # the name is there, escaped
    section = page.split("<h2>Where each model wins</h2>")[1].split("<h2>")[0]
    cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
             for row in re.findall(r"<tr>(.*?)</tr>", section)]
    cells = [c for c in cells if c]  # the header row has <th> only
    assert [(c[0], c[4]) for c in cells] == [(X, "a"), (Y, "b"), (Z, "tie")]
    assert cells[0][1:4] == ["30", "100.0%", "33.3%"]
    assert "classes won: a 1, b 1; ties 1" in html.unescape(section)


def test_without_a_duplicates_run_the_line_says_how_to_compute_one(database, tmp_path):
    comparison = fo.compare(_planted(), pred_fields=["a", "b"])
    check = comparison.duplicates_check()
    assert check.brain_key is None and check.involved is None
    line = comparison.describe_duplicates()
    assert line.startswith("duplicates: not checked") and "compute_near_duplicates" in line
    assert str(comparison).endswith(line) and comparison.to_dict()["duplicates"]["line"] == line
    page = open(comparison.save_report(tmp_path / "r.html"), encoding="utf-8").read()
    assert html.escape(line) in page
    with pytest.raises(BrainRunNotFoundError, match="dups"):
        comparison.duplicates_check("dups")


def test_a_duplicates_run_is_counted_over_the_evaluated_samples(database, make_image, tmp_path):
    """Planted: an exact copy of sample 0 labelled otherwise, a near copy of sample 1 (same label), both in
    the evaluated view; an exact copy of sample 2 outside it (a leak into the evaluation, labelled otherwise)."""
    import bakeoff.brain as fob

    dataset = _planted(make_image, tmp_path)
    paths = dataset.values("filepath")
    copies = []
    for n, label, split in ((0, Y, "test"), (2, Y, "train")):
        shutil.copy(paths[n], tmp_path / f"copy{n}.png")
        copies.append((str(tmp_path / f"copy{n}.png"), label, split))
    copies.append((str(make_image(tmp_path / "near1.png", size=(99, 20), fmt="PNG")), X, "test"))
    dataset.add_samples([fo.Sample(path, ground_truth=fo.Classification(label=label), tags=[split],
                                   a=fo.Classification(label=X), b=fo.Classification(label=X))
                         for path, label, split in copies])
    dataset.match_tags("train", bool=False).tag_samples("test")
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(93, 64))
    vectors[90], vectors[91], vectors[92] = vectors[0], vectors[2], vectors[1] + 0.01 * rng.normal(size=64)
    fob.compute_near_duplicates(dataset, threshold=0.05, embeddings=vectors, brain_key="dups")
    test = dataset.match_tags("test")
    comparison = fo.compare(test, pred_fields=["a", "b"])
    check = comparison.duplicates_check()
    assert (check.brain_key, check.exact_pairs, check.near_pairs, check.conflicting_pairs) == ("dups", 2, 1, 2)
    assert (check.involved, check.num_evaluated, check.complete) == (5, 92, True)
    line = comparison.describe_duplicates()
    assert line == ("duplicates (brain run 'dups', cosine distance <= 0.05): 2 exact pairs, 1 near pair, "
                    "2 pairs whose ground truths differ; 5 of 92 evaluated samples involved")
    assert str(comparison).endswith(line)
    page = open(comparison.save_report(tmp_path / "r.html"), encoding="utf-8").read()
    assert f"<p class='duplicates'>{html.escape(line)}</p>" in page
    # a label fixed since the run counts as fixed: the ground truth is read now
    copy0 = dataset.match(fo.ViewField("filepath") == copies[0][0]).first()
    copy0.ground_truth = fo.Classification(label=X)
    copy0.save()
    assert fo.compare(test, pred_fields=["a", "b"]).duplicates_check("dups").conflicting_pairs == 1
