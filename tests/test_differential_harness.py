"""The differential harness (scripts/differential_fiftyone.py) without FiftyOne: its generator, bakeoff's worker,
the comparison, the shrinker and the reproductions it prints. Comparing with FiftyOne itself needs .bench-fo and
is run by hand (see the script's docstring)."""

from __future__ import annotations

import ast
import builtins
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parents[1] / "scripts" / "differential"
sys.path.insert(0, str(HARNESS))

import compare  # noqa: E402
import generate  # noqa: E402
import render  # noqa: E402
import shrink  # noqa: E402
import worker  # noqa: E402

SEEDS = (0, 1, 7)
#: the keys a result may have: a failure at one step, or the answers of each kind of query
FAILURE_KEYS = {"unsupported", "setup", "view", "evaluate"}
VIEW_KEYS = {"rows", "count"}
EVALUATION_KEYS = ["eval_values", "eval_counts", "confusion_matrix", "metrics", "report"]


@pytest.mark.parametrize("seed", SEEDS)
def test_generation_is_deterministic_per_seed(seed):
    first = [generate.generate(seed, i) for i in range(30)]
    assert first == [generate.generate(seed, i) for i in range(30)]
    assert first != [generate.generate(seed + 100, i) for i in range(30)]
    # JSON in, JSON out: a case survives the trip to the worker unchanged
    assert json.loads(json.dumps(first)) == first
    assert {c["mode"] for c in first} == set(generate.MODES)


def test_generation_covers_what_the_issue_lists():
    cases = [generate.generate(3, i) for i in range(800)]
    text = json.dumps(cases)
    kinds = {k for c in cases for k in c["schema"].values()}
    assert kinds == set(generate.KINDS)
    for needle in ('"nan"', '"inf"', '"-inf"', "1e+300", "5e-324", '"tz": "US/Eastern"', '"$date"', '"$clss"'):
        assert needle in text, needle
    stages = {s[0] for c in cases for s in c["stages"]}
    assert stages >= {"match", "exists", "sort_by", "limit", "skip", "select_fields", "exclude_fields", "filter_labels",
                      "match_tags"}
    aggregations = {c["query"]["name"] for c in cases if c["query"]["kind"] == "aggregation"}
    assert aggregations == {"count", "count_values", "distinct", "sum", "mean", "std", "bounds", "values", "quantiles",
                            "histogram_values"}
    evaluations = [c for c in cases if c["mode"] == "evaluation"]
    assert {c["query"]["method"] for c in evaluations} == {"simple", "top-k", "binary"}
    assert any(not c["rows"] or c["stages"] for c in evaluations)     # empty views
    assert {"classes" in c["query"] for c in evaluations if c["query"]["method"] == "simple"} == {True, False}


def _well_formed(value):
    """Only JSON, and every error names a builtin exception class."""
    if isinstance(value, dict):
        if "$error" in value:
            assert isinstance(getattr(builtins, value["$error"], None), type), value
        for v in value.values():
            _well_formed(v)
    elif isinstance(value, list):
        for v in value:
            _well_formed(v)
    else:
        assert value is None or isinstance(value, (bool, int, float, str)), value


@pytest.mark.parametrize("seed", SEEDS)
def test_bakeoff_worker_answers_every_case(seed):
    runner = worker.Runner("bakeoff")
    answered = {"aggregations": 0, "views": 0, "evaluation": 0}
    for i in range(24):
        case = generate.generate(seed, i)
        result = runner.run(case)
        assert "crash" not in result, result
        json.dumps(result, allow_nan=False)
        _well_formed(result)
        if result.keys() & FAILURE_KEYS:
            assert len(result) == 1, result
            continue
        answered[case["mode"]] += 1
        if case["query"]["kind"] == "aggregation":
            assert list(result) == ["result"]
        elif case["query"]["kind"] == "view":
            assert list(result) == ["rows", "count", *case["schema"]]
            if isinstance(result["rows"], list):
                assert set(result["rows"]) <= set(range(len(case["rows"])))
        else:
            assert list(result) == EVALUATION_KEYS
    # a worker that refused everything would pass the loop above
    assert answered["aggregations"] + answered["views"] + answered["evaluation"] >= 8, answered
    for ds in runner.cache.values():
        ds.delete()


def test_worker_process_speaks_json_lines_on_its_own_stdout(tmp_path):
    cases = [generate.generate(5, i, only="aggregations") for i in range(3)]
    lines = "".join(json.dumps({"id": n, "case": c}) + "\n" for n, c in enumerate(cases))
    env = {**os.environ, "BAKEOFF_HOME": str(tmp_path), "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
    env.pop("BAKEOFF_DATABASE_URI", None)
    out = subprocess.run([sys.executable, str(HARNESS / "worker.py"), "bakeoff"], input=lines, capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    replies = [json.loads(line) for line in out.stdout.splitlines()]
    assert replies[0]["ready"] == "bakeoff"
    assert set(replies[0]["features"]) == {"Classifications", "filter_labels"}
    assert [r["id"] for r in replies[1:]] == [0, 1, 2]


def test_normalize_keeps_differences_and_drops_representation():
    import datetime as dt

    import numpy as np

    n = worker.normalize
    assert n((1, 2.0)) == n([1, 2.0]) == [1, 2.0]
    assert n(float("nan")) == {"$f": "nan"} and n(np.float32("-inf")) == {"$f": "-inf"}
    assert n(dt.date(2020, 1, 2)) == {"$date": "2020-01-02"}
    assert n(dt.datetime(2020, 1, 2)) == {"$dt": "2020-01-02T00:00:00"}
    assert n({"b": 1, True: 2}) == n({True: 2, "b": 1})
    assert worker.builtin_name(KeyError("x")) == "KeyError"

    class Custom(Exception):
        pass

    class Mixed(Custom, ValueError):
        pass

    assert worker.builtin_name(Mixed()) == "ValueError" and worker.builtin_name(Custom()) == "Exception"


@pytest.mark.parametrize(("fo", "bo", "same"), [
    (1, 1.0, True), (0.1 + 0.2, 0.3, True), (True, 1, False), (1.0, 1.1, False), ({"$f": "nan"}, {"$f": "nan"}, True),
    ({"$f": "nan"}, 0.0, False), ([1, 2], [1, 2, 3], False), ({"$date": "2020-01-01"}, {"$dt": "2020-01-01T00:00:00"},
                                                              False),
    ({"$error": "ValueError"}, {"$error": "ValueError", "message": "other words"}, True),
    ({"$error": "ValueError"}, {"$error": "KeyError"}, False),
    ({"$dict": [["a", 1]]}, {"$dict": [["a", 1], ["b", 2]]}, False),
])
def test_compare(fo, bo, same):
    assert (compare.compare(fo, bo) == []) is same


def test_signatures_name_the_query_not_the_data():
    case = {"schema": {"float0": "float"}, "rows": [{"float0": 1.0}], "mode": "aggregations",
            "stages": [["match", ["gt", ["F", "float0"], ["lit", 0.5]]]],
            "query": {"kind": "aggregation", "name": "mean", "field": "float0"}}
    [core] = compare.differences(case, {"result": 1.0}, {"result": {"$f": "nan"}})
    assert core == "mean(float) result: fiftyone number / bakeoff nan"
    assert compare.full_signature(case, core) == "mean(float) on [match{gt}:float] result: fiftyone number / bakeoff nan"
    [setup] = compare.differences(case, {"setup": {"$error": "ValueError"}}, {"result": 1.0})
    assert compare.full_signature(case, setup) == "setup[float]: fiftyone setup raises ValueError / bakeoff ok"


def test_shrink_finds_the_row_and_expression_that_matter():
    case = generate.generate(11, 0, only="views")
    case = {**case, "schema": {"float0": "float", "str1": "str"},
            "rows": [{"float0": 1.0, "str1": "a"}, {"float0": {"$f": "nan"}, "str1": "b", "tags": ["a"]},
                     {"str1": "c"}, {"float0": 2.0}],
            "stages": [["limit", 3], ["match", ["and", ["gt", ["F", "float0"], ["lit", 0]], ["exists", ["F", "str1"], True]]]]}

    def still_differs(c):      # "the bug": a NaN anywhere, and a match that reads float0
        has_nan = any(r.get("float0") == {"$f": "nan"} for r in c["rows"])
        return has_nan and any(s[0] == "match" and "float0" in json.dumps(s) for s in c["stages"])

    small, runs = shrink.shrink(case, still_differs, budget=500)
    assert small["rows"] == [{"float0": {"$f": "nan"}}]
    assert small["schema"] == {"float0": "float"}
    assert small["stages"] == [["match", ["gt", ["F", "float0"], ["lit", 0]]]]
    assert runs < 500


@pytest.mark.parametrize("seed", SEEDS)
def test_reproductions_are_python(seed):
    for i in range(40):
        code = render.python(generate.generate(seed, i))
        ast.parse(code)
        assert code.startswith("dataset = fo.Dataset()")


def test_known_file_lines_need_a_reason(tmp_path):
    sys.path.insert(0, str(HARNESS))
    import cli

    good = tmp_path / "known.txt"
    good.write_text("# comment\n\nmean(*) result: * :: FiftyOne averages in MongoDB\n")
    known = cli.read_known(str(good))
    assert cli.explain("mean(float) result: fiftyone number / bakeoff nan", known) == "FiftyOne averages in MongoDB"
    assert cli.explain("sum(float) result: fiftyone number / bakeoff nan", known) is None
    bad = tmp_path / "bad.txt"
    bad.write_text("mean(*)\n")
    with pytest.raises(SystemExit):
        cli.read_known(str(bad))
    # the shipped file parses
    cli.read_known(str(cli.DEFAULT_KNOWN))
