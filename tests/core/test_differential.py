"""Differential property tests: the database agrees with plain Python.

Random datasets (int/float/bool/string/label fields, any of them missing) and
random expression trees; ``match`` must select exactly the samples that a
reference evaluator of the documented semantics selects, and aggregations must
equal numpy/statistics over ``values()``.
"""

from __future__ import annotations

import math
import statistics

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bakeoff as fo
from bakeoff import ViewField as F

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731
ints = st.integers(-20, 20)
floats = st.floats(-50, 50, allow_nan=False, allow_infinity=False).map(lambda x: round(x, 3))
words = st.sampled_from(["", "a", "ab", "abc", "b", "Ba", "cab"])
labels = st.sampled_from(["cat", "dog", "emu"])

rows_strategy = st.lists(
    st.fixed_dictionaries({
        "i": maybe(ints), "f": maybe(floats), "b": maybe(st.booleans()), "s": maybe(words),
        "lab": maybe(st.tuples(labels, st.floats(0, 1).map(lambda x: round(x, 3)))),
    }),
    max_size=12,
)


def _dataset(rows):
    ds = fo.Dataset()
    for name, ftype in (("i", fo.IntField), ("f", fo.FloatField), ("b", fo.BooleanField), ("s", fo.StringField)):
        ds.add_sample_field(name, ftype)
    ds.add_sample_field("lab", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    samples = []
    for k, row in enumerate(rows):
        values = {n: row[n] for n in ("i", "f", "b", "s")}
        if row["lab"] is not None:
            values["lab"] = fo.Classification(label=row["lab"][0], confidence=row["lab"][1])
        samples.append(fo.Sample(f"/{k}.jpg", **values))
    ds.add_samples(samples)
    return ds


def _value(row, path):
    if path.startswith("lab."):
        lab = row["lab"]
        return None if lab is None else (lab[0] if path == "lab.label" else lab[1])
    return row[path]


# -- a reference evaluator of the documented semantics --------------------------------------
# Expressions are built as (bakeoff expression, python function row -> value) pairs.

def _num_leaf():
    return st.one_of(
        st.sampled_from([(F("i"), lambda r: r["i"]), (F("f"), lambda r: r["f"]),
                         (F("lab.confidence"), lambda r: _value(r, "lab.confidence"))]),
        ints.map(lambda c: (fo.ViewExpression("literal", (c,)), lambda r, c=c: c)),
    )


def _arith(children):
    def combine(args):
        (ea, fa), op, (eb, fb) = args
        ops = {
            "+": (lambda x, y: x + y), "-": (lambda x, y: x - y), "*": (lambda x, y: x * y),
        }
        f = ops[op]
        expr = {"+": ea + eb, "-": ea - eb, "*": ea * eb}[op]
        return expr, lambda r: None if fa(r) is None or fb(r) is None else f(fa(r), fb(r))
    return st.tuples(children, st.sampled_from(["+", "-", "*"]), children).map(combine)


numeric = st.recursive(_num_leaf(), _arith, max_leaves=3)


def _compare(args):
    (ea, fa), op, (eb, fb) = args
    py = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y, "<": lambda x, y: x < y,
          "<=": lambda x, y: x <= y, ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}[op]
    expr = {"==": ea == eb, "!=": ea != eb, "<": ea < eb, "<=": ea <= eb, ">": ea > eb, ">=": ea >= eb}[op]

    def fn(r):
        x, y = fa(r), fb(r)
        if op == "==":
            return x == y  # None == None is True: null-safe equality
        if op == "!=":
            return x != y
        if x is None or y is None:  # FiftyOne's (MongoDB's) order: a missing value sorts before every value
            return py(0 if x is None else 1, 0 if y is None else 1)
        return py(x, y)

    return expr, fn


def _string_pred():
    def build(args):
        kind, word = args
        if kind == "eq":
            return F("s") == word, lambda r: r["s"] == word
        if kind == "starts":
            return F("s").starts_with(word), lambda r: r["s"] is not None and r["s"].startswith(word)
        if kind == "ends_i":
            return (F("s").ends_with(word, case_sensitive=False),
                    lambda r: r["s"] is not None and r["s"].lower().endswith(word.lower()))
        if kind == "contains":
            return F("s").contains_str(word), lambda r: r["s"] is not None and word in r["s"]
        return F("s").strlen() > len(word), lambda r: r["s"] is not None and len(r["s"]) > len(word)
    return st.tuples(st.sampled_from(["eq", "starts", "ends_i", "contains", "len"]), words).map(build)


def _leaf_pred():
    return st.one_of(
        st.tuples(numeric, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), numeric).map(_compare),
        st.sampled_from([True, False, None]).map(lambda v: (F("b") == v, lambda r, v=v: r["b"] == v)),
        st.just((F("b"), lambda r: bool(r["b"]))),
        st.sampled_from(["i", "f", "s", "lab"]).map(lambda p: (F(p).exists(), lambda r, p=p: r[p] is not None)),
        st.lists(labels, max_size=2).map(
            lambda ls: (F("lab.label").is_in(ls), lambda r, ls=ls: _value(r, "lab.label") in ls)),
        _string_pred(),
    )


def _logic(children):
    return st.one_of(
        children.map(lambda c: (~c[0], lambda r, f=c[1]: not f(r))),
        st.lists(children, max_size=3).map(
            lambda cs: (F().all([c[0] for c in cs]), lambda r, fs=[c[1] for c in cs]: all(f(r) for f in fs))),
        st.lists(children, max_size=3).map(
            lambda cs: (F().any([c[0] for c in cs]), lambda r, fs=[c[1] for c in cs]: any(f(r) for f in fs))),
        st.tuples(children, children).map(lambda p: (p[0][0] & p[1][0], lambda r, a=p[0][1], b=p[1][1]: a(r) and b(r))),
        st.tuples(children, children).map(lambda p: (p[0][0] | p[1][0], lambda r, a=p[0][1], b=p[1][1]: a(r) or b(r))),
    )


predicates = st.recursive(_leaf_pred(), _logic, max_leaves=6)


@SETTINGS
@given(rows=rows_strategy, pred=predicates)
def test_match_equals_plain_python(rows, pred):
    expr, fn = pred
    dataset = _dataset(rows)
    try:
        got = dataset.match(expr).values("filepath")
        expected = [f"/{k}.jpg" for k, row in enumerate(rows) if fn(row)]
        assert got == expected, repr(expr)
        assert dataset.match(expr).count() == len(expected)
        assert dataset.match(~expr).count() == len(rows) - len(expected)  # two-valued logic: no sample lost
    finally:
        dataset.delete()


@SETTINGS
@given(rows=rows_strategy, path=st.sampled_from(["i", "f", "lab.confidence"]))
def test_aggregations_equal_numpy(rows, path):
    dataset = _dataset(rows)
    try:
        present = [v for v in (_value(r, path) for r in rows) if v is not None]
        n, mean, std, total, bounds = dataset.aggregate(
            [fo.Count(path), fo.Mean(path), fo.Std(path), fo.Sum(path), fo.Bounds(path)])
        none = 0 if not rows else None  # FiftyOne: 0 for an empty collection, None for samples without numbers
        assert n == len(present)
        assert mean == (pytest.approx(statistics.fmean(present), abs=1e-9) if present else none)
        assert std == (pytest.approx(statistics.pstdev(present), abs=1e-6) if present else none)
        assert total == pytest.approx(math.fsum(present), abs=1e-9)
        assert bounds == ((min(present), max(present)) if present else (None, None))
        if len(present) >= 2:
            assert dataset.std(path, sample=True) == pytest.approx(statistics.stdev(present), abs=1e-6)
            ranked = sorted(present)  # FiftyOne's nearest rank: the ceil(q * n)-th smallest
            expected = [ranked[max(math.ceil(q * len(ranked)) - 1, 0)] for q in (0.25, 0.5)]
            assert dataset.quantiles(path, [0.25, 0.5]) == pytest.approx(expected)
        doubled = dataset.mean(2 * (F(path) + 1))
        assert doubled == (pytest.approx(statistics.fmean([2 * (v + 1) for v in present]), abs=1e-9)
                           if present else none)
    finally:
        dataset.delete()


@SETTINGS
@given(rows=rows_strategy)
def test_count_values_and_distinct_equal_python(rows):
    dataset = _dataset(rows)
    try:
        for path in ("b", "s", "lab.label", "i"):
            values = [_value(r, path) for r in rows]
            expected = {}
            for v in values:
                expected[v] = expected.get(v, 0) + 1
            got = dataset.count_values(path)
            assert got == expected
            assert all(type(k) is bool for k in got if k is not None) or path != "b"
            assert dataset.distinct(path) == sorted({v for v in values if v is not None})
    finally:
        dataset.delete()
