"""`bakeoff demo`: the whole workflow offline on the shipped demo models."""

from __future__ import annotations

import io

import bakeoff as fo
from bakeoff.cli.demo_run import run_demo
from bakeoff.cli.main import main
from bakeoff.demo import available_models


def test_demo_runs_end_to_end_and_the_cli_reuses_its_results(tmp_path, capsys):
    out = io.StringIO()
    comparison = run_demo(report=str(tmp_path / "report.html"), out=out)
    text = out.getvalue()
    fields = [m.replace("-", "_") for m in available_models()]
    assert fields and comparison.models == fields
    assert "percent correct" in text and "mean conf" in text and all(f in text for f in fields)
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")
    dataset = fo.load_dataset("demo-shapes")
    assert dataset.persistent and len(dataset) == 1280
    assert sorted(dataset.list_evaluations()) == sorted(f"{f}_eval" for f in fields)
    first_run = {f: dataset.get_model_run_info(f)["timestamp"] for f in fields}

    # the printed numbers are the dataset's own aggregations
    from bakeoff import ViewField as F

    assert text.count("percent correct") == 1  # one table
    accuracy = {}
    for f in fields:
        counts = dataset.count_values(f"{f}_eval")
        accuracy[f] = counts.get(True, 0) / len(dataset)
        line = next(row for row in text.splitlines() if row.startswith(f + " ") and "%" in row)
        cells = line.split()  # model, percent correct, interval, balanced, top-5, mean confidence, ECE
        assert cells[1] == f"{accuracy[f] * 100:.1f}%"
        assert cells[5] == f"{dataset.mean(F(f'{f}.confidence')):.3f}"
    best = max(fields, key=accuracy.get)
    verdict = next(row for row in text.splitlines() if row.startswith("verdict: "))
    assert verdict.startswith(f"verdict: {best} is best: {accuracy[best] * 100:.1f}% vs ") or (
        verdict.startswith(f"verdict: no clear winner: {best} ")), verdict
    all_right = len(dataset.match(F().all([F(f"{f}_eval") == True for f in fields])))  # noqa: E712
    all_wrong = len(dataset.match(F().all([F(f"{f}_eval") == False for f in fields])))  # noqa: E712
    assert f"all right: {all_right}   all wrong: {all_wrong}" in text
    only = sum(len(dataset.match(F(f"{f}_eval") & F().all([F(f"{o}_eval") == False for o in fields if o != f])))  # noqa: E712
               for f in fields)
    assert f"only one right: {only} (" in text

    # `bakeoff demo` again: evaluates and reports, but does not apply the models a second time
    assert main(["demo", "--report", str(tmp_path / "again.html")]) == 0
    printed = capsys.readouterr().out
    assert "percent correct" in printed and "report:" in printed and (tmp_path / "again.html").is_file()
    assert {f: dataset.get_model_run_info(f)["timestamp"] for f in fields} == first_run
