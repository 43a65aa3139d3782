"""Aggregations give FiftyOne's answers: every expected value below is what FiftyOne 1.22.1 returned
for the same data (run through its own interpreter), pinned as a literal.

Covered: list fields (unwound), embedded label attributes, expressions, non-finite and large values,
the nearest-rank quantile rule, histogram edges and ``other`` (numbers and dates), empty collections,
all-missing fields, booleans, result types and the error types of bad arguments.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import numpy as np
import pytest

import bakeoff as fo
from bakeoff import ViewField as F

INF = float("inf")
MISSING = object()
AGGREGATIONS = ["count", "count_values", "distinct", "sum", "mean", "std", "bounds", "values"]


def _dataset(values, field=None, **field_kwargs) -> fo.Dataset:
    """One sample per value in field ``v`` (MISSING: the sample has no ``v``)."""
    dataset = fo.Dataset()
    if field is not None:
        dataset.add_sample_field("v", field, **field_kwargs)
    samples = []
    for i, value in enumerate(values):
        sample = fo.Sample(f"/{i}.jpg")
        if value is not MISSING:
            sample["v"] = value
        samples.append(sample)
    dataset.add_samples(samples)
    return dataset


def _same(got, expected) -> bool:
    """Equal, with NaN equal to NaN, the same container shape and int/float/bool kept apart."""
    if isinstance(expected, float) and math.isnan(expected):
        return isinstance(got, float) and math.isnan(got)
    if isinstance(expected, list | tuple):
        return type(got) is type(expected) and len(got) == len(expected) and all(
            _same(g, e) for g, e in zip(got, expected, strict=True))
    if isinstance(expected, dict):
        return isinstance(got, dict) and len(got) == len(expected) and all(
            any(_same(gk, k) for gk in got) and _same(next(got[gk] for gk in got if _same(gk, k)), v)
            for k, v in expected.items())
    if type(expected) in (int, float, bool):
        return type(got) is type(expected) and got == expected
    return got == expected


def _check(dataset, cases):
    for call, expected in cases:
        got = call(dataset)
        assert _same(got, expected), (call.__doc__, got, expected)


def _agg(name, path="v", **kwargs):
    def call(dataset):
        return getattr(dataset, name)(path, **kwargs)
    call.__doc__ = f"{name}({path!r}, {kwargs})"
    return call


# -- list fields, label attributes and expressions ----------------------------------------------


@pytest.fixture
def mixed():
    dataset = fo.Dataset()
    dataset.add_samples([
        fo.Sample("/a.jpg", numbers=[0, 1], fl=[0.5, 1.5], strs=["a", "b"], x=1, y=1.0, b=True,
                  gt=fo.Classification(label="cat", confidence=0.9)),
        fo.Sample("/b.jpg", numbers=[5], fl=[2.5], strs=["b"], x=2, y=2.5, b=False,
                  gt=fo.Classification(label="dog", confidence=0.4)),
        fo.Sample("/c.jpg"),
    ])
    return dataset


LIST_CASES = [
    ("count", "numbers", 3), ("count", "fl", 3), ("count", "strs", 3),
    ("count_values", "numbers", {0: 1, 1: 1, 5: 1}), ("count_values", "fl", {0.5: 1, 1.5: 1, 2.5: 1}),
    ("count_values", "strs", {"a": 1, "b": 2}),
    ("distinct", "numbers", [0, 1, 5]), ("distinct", "fl", [0.5, 1.5, 2.5]), ("distinct", "strs", ["a", "b"]),
    ("sum", "numbers", 6), ("sum", "fl", 4.5), ("sum", "strs", 0),
    ("mean", "numbers", 2.0), ("mean", "fl", 1.5), ("mean", "strs", None),
    ("std", "numbers", 2.160246899469287), ("std", "fl", 0.816496580927726), ("std", "strs", None),
    ("bounds", "numbers", (0, 5)), ("bounds", "fl", (0.5, 2.5)), ("bounds", "strs", ("a", "b")),
    ("values", "numbers", [[0, 1], [5], None]), ("values", "strs", [["a", "b"], ["b"], None]),
]
SCALAR_CASES = [
    ("count", "x", 2), ("count", "gt.label", 2), ("count", "b", 2),
    ("count_values", "x", {1: 1, 2: 1, None: 1}), ("count_values", "b", {True: 1, False: 1, None: 1}),
    ("count_values", "gt.label", {"cat": 1, "dog": 1, None: 1}),
    ("count_values", "gt.confidence", {0.9: 1, 0.4: 1, None: 1}),
    ("distinct", "b", [False, True]), ("distinct", "gt.confidence", [0.4, 0.9]),
    ("sum", "x", 3), ("sum", "y", 3.5), ("sum", "b", 0), ("sum", "gt.label", 0), ("sum", "gt.confidence", 1.3),
    ("mean", "x", 1.5), ("mean", "y", 1.75), ("mean", "b", None), ("mean", "gt.label", None),
    ("mean", "gt.confidence", 0.65),
    ("std", "x", 0.5), ("std", "y", 0.75), ("std", "b", None), ("std", "gt.confidence", 0.25),
    ("bounds", "x", (1, 2)), ("bounds", "y", (1.0, 2.5)), ("bounds", "b", (False, True)),
    ("bounds", "gt.label", ("cat", "dog")), ("bounds", "gt.confidence", (0.4, 0.9)),
    ("values", "b", [True, False, None]), ("values", "gt.confidence", [0.9, 0.4, None]),
]


@pytest.mark.parametrize(("name", "path", "expected"), LIST_CASES + SCALAR_CASES)
def test_aggregations_unwind_lists_and_read_label_attributes(mixed, name, path, expected):
    got = getattr(mixed, name)(path)
    if isinstance(expected, float):
        assert type(got) is float and got == pytest.approx(expected, rel=1e-12)
    else:
        assert _same(got, expected), got


QUANTILES = [0, 0.1, 0.5, 0.9, 1]


@pytest.mark.parametrize(("path", "quantiles", "std_sample"), [
    ("numbers", [0.0, 0.0, 1.0, 5.0, 5.0], 2.6457513110645907),
    ("fl", [0.5, 0.5, 1.5, 2.5, 2.5], 1.0),
    ("x", [1.0, 1.0, 1.0, 2.0, 2.0], 0.7071067811865476),
    ("y", [1.0, 1.0, 1.0, 2.5, 2.5], 1.0606601717798212),
    ("gt.confidence", [0.4, 0.4, 0.4, 0.9, 0.9], 0.3535533905932738),
    ("b", [None] * 5, None),
])
def test_quantiles_and_sample_std(mixed, path, quantiles, std_sample):
    assert _same(mixed.quantiles(path, QUANTILES), quantiles)
    assert _same(mixed.quantiles(path, 0.5), quantiles[2])
    got = mixed.std(path, sample=True)
    assert got == (pytest.approx(std_sample, rel=1e-12) if std_sample is not None else None)


@pytest.mark.parametrize(("path", "expected"), [
    ("numbers", ([2, 0, 0, 1], [0.0, 1.25000025, 2.5000005, 3.75000075, 5.000001], 0)),
    ("fl", ([1, 1, 0, 1], [0.5, 1.00000025, 1.5000005, 2.00000075, 2.500001], 0)),
    ("x", ([1, 0, 0, 1], [1.0, 1.25000025, 1.5000005, 1.75000075, 2.000001], 1)),
    ("y", ([1, 0, 0, 1], [1.0, 1.37500025, 1.7500005, 2.12500075, 2.500001], 1)),
    ("gt.confidence", ([1, 0, 0, 1], [0.4, 0.5250002500000001, 0.6500005, 0.77500075, 0.900001], 1)),
    ("b", ([0, 0, 0, 0], [0.0, 0.25000025, 0.5000005, 0.7500007499999999, 1.000001], 3)),
])
def test_histogram_values(mixed, path, expected):
    assert _same(mixed.histogram_values(path, bins=4), expected)


def test_expressions(mixed):
    assert _same(mixed.mean(2 * (F("y") + 1)), 5.5)
    assert _same(mixed.sum(F("x") * 2), 6)
    assert _same(mixed.bounds(F("x") * 2), (2, 4))
    assert _same(mixed.quantiles(F("x") * 2, 0.5), 2.0)
    assert _same(mixed.histogram_values(F("x") * 2, bins=2), ([1, 1], [2.0, 3.0000005, 4.000001], 1))
    assert _same(mixed.count_values(F("x") * 2), {2: 1, 4: 1, None: 1})
    assert _same(mixed.distinct(F("x") * 2), [2, 4])
    assert _same(mixed.std(F("x") * 2), 1.0)
    assert _same(mixed.values(F("x") * 2), [2, 4, None])
    assert _same(mixed.sum(F("x") / 2), 1.5)  # FiftyOne: division gives floats


def test_one_aggregate_call_mixes_lists_and_scalars(mixed):
    got = mixed.aggregate([fo.Sum("numbers"), fo.Sum("x"), fo.Count(), fo.Bounds("numbers"), fo.Mean("fl"),
                           fo.Std("y"), fo.Count("numbers"), fo.Count("x")])
    assert _same(got, [6, 3, 3, (0, 5), 1.5, 0.75, 3, 2])


def test_views_of_list_fields(mixed):
    view = mixed.match(F("x") == 2)
    assert _same(view.bounds("numbers"), (5, 5)) and _same(view.sum("numbers"), 5)
    assert _same(mixed.limit(1).quantiles("numbers", [0, 1]), [0.0, 1.0])
    assert _same(mixed.skip(1).count_values("strs"), {"b": 1})


def test_untyped_and_float_lists():
    # FiftyOne (ListField(FloatField)): empty and missing lists add nothing. It keeps the 1 an int where
    # bakeoff's FloatField stores 1.0 (FiftyOne's values() reads 1.0 too): distinct [1, 2.5, 3.5], bounds (1, 3.5)
    dataset = _dataset([[1, 2.5], [3.5], [], None, MISSING], fo.ListField, subfield=fo.FloatField)
    _check(dataset, [
        (_agg("count"), 3), (_agg("distinct"), [1.0, 2.5, 3.5]), (_agg("sum"), 7.0),
        (_agg("mean"), 2.3333333333333335), (_agg("bounds"), (1.0, 3.5)),
        (_agg("quantiles", quantiles=[0.5, 1]), [2.5, 3.5]),
        (_agg("histogram_values", bins=2), ([1, 2], [1.0, 2.2500005, 3.500001], 0)),
    ])
    assert dataset.std("v") == pytest.approx(1.0274023338281628, rel=1e-12)
    assert dataset.std("v", sample=True) == pytest.approx(1.2583057392117916, rel=1e-12)


def test_attributes_of_label_lists_unwind():
    dataset = fo.Dataset()
    dataset.add_samples([
        fo.Sample("/a.jpg", p=fo.Classifications(classifications=[fo.Classification(label="cat", confidence=0.9),
                                                                   fo.Classification(label="dog", confidence=0.2)])),
        fo.Sample("/b.jpg", p=fo.Classifications(classifications=[fo.Classification(label="cat", confidence=0.5)])),
        fo.Sample("/c.jpg"),
    ])
    _check(dataset, [
        (_agg("count_values", "p.classifications.label"), {"dog": 1, "cat": 2}),
        (_agg("count", "p.classifications.label"), 3), (_agg("distinct", "p.classifications.label"), ["cat", "dog"]),
        (_agg("bounds", "p.classifications.confidence"), (0.2, 0.9)),
        (_agg("mean", "p.classifications.confidence"), 0.5333333333333333),
        (_agg("sum", "p.classifications.confidence"), 1.6),
        (_agg("quantiles", "p.classifications.confidence", quantiles=[0, 0.5, 1]), [0.2, 0.5, 0.9]),
        (_agg("histogram_values", "p.classifications.confidence", bins=2), ([2, 1], [0.2, 0.5500005000000001, 0.900001], 0)),
    ])
    assert dataset.std("p.classifications.confidence") == pytest.approx(0.28674417556808757, rel=1e-12)
    assert _same(dataset.count("p.classifications"), 3)  # the documents themselves


def test_lists_of_booleans():
    dataset = _dataset([[True, False], [True]])
    _check(dataset, [(_agg("count"), 3), (_agg("count_values"), {True: 2, False: 1}),
                     (_agg("distinct"), [False, True]), (_agg("sum"), 0), (_agg("mean"), None),
                     (_agg("bounds"), (False, True))])


# -- non-finite and large values ----------------------------------------------------------------


def test_infinities_of_both_signs():
    dataset = _dataset([1.0, INF, -INF])
    _check(dataset, [
        (_agg("count"), 3), (_agg("count_values"), {1.0: 1, INF: 1, -INF: 1}), (_agg("distinct"), [-INF, 1.0, INF]),
        (_agg("sum"), math.nan), (_agg("mean"), math.nan), (_agg("std"), math.nan),
        (_agg("std", sample=True), math.nan), (_agg("bounds"), (-INF, INF)),
        (_agg("quantiles", quantiles=0.5), 1.0), (_agg("quantiles", quantiles=[0.5, 1]), [1.0, INF]),
        (_agg("histogram_values", bins=2), ([1, 0], [1.0, 1.0000005, 1.000001], 2)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([1, 0], [0.0, 2.0, 4.0], 2)),
    ])


def test_infinity_with_missing_values():
    dataset = _dataset([1.0, INF, None, MISSING])
    _check(dataset, [
        (_agg("count"), 2), (_agg("count_values"), {1.0: 1, INF: 1, None: 2}), (_agg("sum"), INF),
        (_agg("mean"), INF), (_agg("std"), math.nan), (_agg("std", sample=True), math.nan),
        (_agg("bounds"), (1.0, INF)), (_agg("values"), [1.0, INF, None, None]),
        (_agg("histogram_values", bins=2), ([1, 0], [1.0, 1.0000005, 1.000001], 3)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([1, 0], [0.0, 2.0, 4.0], 3)),
    ])


def test_infinities_inside_lists():
    dataset = _dataset([[1.0, INF], [-INF, 2.0]])
    _check(dataset, [
        (_agg("count"), 4), (_agg("count_values"), {-INF: 1, 2.0: 1, INF: 1, 1.0: 1}),
        (_agg("distinct"), [-INF, 1.0, 2.0, INF]), (_agg("sum"), math.nan), (_agg("mean"), math.nan),
        (_agg("std"), math.nan), (_agg("bounds"), (-INF, INF)), (_agg("values"), [[1.0, INF], [-INF, 2.0]]),
        (_agg("quantiles", quantiles=[0.5, 1]), [1.0, INF]),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([1, 1], [0.0, 2.0, 4.0], 2)),
    ])
    assert dataset.match(F("v").length() == 2).count() == 2  # a list holding inf is still a list


def test_std_keeps_its_precision_far_from_zero(database):
    dataset = _dataset([1e9, 1e9 + 1, 1e9 + 2])
    _check(dataset, [
        (_agg("std"), 0.816496580927726), (_agg("std", sample=True), 1.0), (_agg("mean"), 1000000001.0),
        (_agg("sum"), 3000000003.0), (_agg("quantiles", quantiles=[0.5, 1]), [1000000001.0, 1000000002.0]),
        (_agg("histogram_values", bins=2), ([2, 1], [1e9, 1000000001.0000005, 1000000002.000001], 0)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([0, 0], [0.0, 2.0, 4.0], 3)),
    ])
    assert _dataset([[1e9, 1e9 + 1], [1e9 + 2]]).std("v") == pytest.approx(0.816496580927726, rel=1e-9)
    if database == "sqlite":  # PostgreSQL's float arithmetic raises on overflow instead (README: Differences)
        assert _same(_dataset([[1.7e308, 0.2]]).std("v"), INF)  # FiftyOne: the squares overflow


def test_big_integers():
    big = 2**62
    dataset = _dataset([big, big, 1])
    _check(dataset, [
        (_agg("count_values"), {big: 2, 1: 1}), (_agg("distinct"), [1, big]), (_agg("bounds"), (1, big)),
        (_agg("values"), [big, big, 1]),
        (_agg("sum"), 9.223372036854776e18),  # past 64 bits: a float, as MongoDB's long overflows into a double
        (_agg("mean"), 3.0744573456182584e18),
        (_agg("histogram_values", bins=2), ([1, 0], [1.0, 2.305843009213694e18, 4.611686018427388e18], 2)),
    ])
    assert dataset.std("v") == pytest.approx(2.1739696375554637e18, rel=1e-12)
    assert dataset.std("v", sample=True) == pytest.approx(2.662558164157086e18, rel=1e-12)
    assert dataset.quantiles("v", 0.5) == big  # FiftyOne: the int itself; bakeoff: float(2**62), equal
    assert _same(_dataset([2**62, 2**61 + 1]).sum("v"), 2**62 + 2**61 + 1)  # exact while it fits
    assert _same(_dataset([[2**62, 3], [-(2**62)]]).sum("v"), 3)


# -- quantiles: nearest rank ------------------------------------------------------------------


@pytest.mark.parametrize(("q", "expected"), [
    (0, 1.0), (0.05, 1.0), (0.1, 1.0), (0.15, 2.0), (0.2, 2.0), (0.25, 3.0), (0.3, 3.0), (0.33, 4.0),
    (0.5, 5.0), (0.55, 6.0), (0.7, 7.0), (0.75, 8.0), (0.9, 9.0), (0.95, 10.0), (0.99, 10.0), (1, 10.0),
])
def test_quantiles_take_the_nearest_rank(q, expected):
    assert _same(_dataset(list(range(1, 11))).quantiles("v", q), expected)


def test_quantiles_do_not_interpolate():
    assert _same(_dataset([1, 2]).quantiles("v", 0.1), 1.0)  # numpy would say 1.1
    assert _same(_dataset([3, 4, 10]).quantiles("v", [0.2, 0.34, 0.67]), [3.0, 4.0, 10.0])
    dataset = _dataset([1, 2])
    assert _same(dataset.quantiles("v", (0.2, 0.8)), [1.0, 2.0])
    assert _same(dataset.quantiles("v", np.array([0.1, 0.9])), [1.0, 2.0])
    assert _same(dataset.quantiles("v", []), [])


# -- empty collections, missing values, booleans, text, one value ---------------------------------


EMPTY = [
    (_agg("count"), 0), (_agg("count_values"), {}), (_agg("distinct"), []), (_agg("sum"), 0), (_agg("mean"), 0),
    (_agg("std"), 0), (_agg("std", sample=True), 0), (_agg("bounds"), (None, None)), (_agg("values"), []),
    (_agg("quantiles", quantiles=0.5), None), (_agg("quantiles", quantiles=[0.5, 1]), [None, None]),
    (_agg("histogram_values", bins=2), ([], [], 0)),
    (_agg("histogram_values", bins=2, range=(0, 4)), ([], [], 0)),
]


@pytest.mark.parametrize("field", [fo.IntField, fo.FloatField, fo.ListField])
def test_empty_collections(field):
    _check(_dataset([], field), EMPTY)


def test_empty_views_and_empty_lists():
    _check(_dataset([1, 2, 3]).match(F("v") > 10), EMPTY)
    _check(_dataset([[], [], None], fo.ListField, subfield=fo.IntField), [
        (_agg("count"), 0), (_agg("count_values"), {}), (_agg("distinct"), []), (_agg("sum"), 0),
        (_agg("mean"), 0), (_agg("std"), 0), (_agg("bounds"), (None, None)),
        (_agg("histogram_values"), ([], [], 0)),
    ])


@pytest.mark.parametrize(("field", "values"), [(fo.FloatField, [None, None, MISSING]),
                                               (fo.IntField, [None, MISSING, None])])
def test_fields_with_only_missing_values(field, values):
    _check(_dataset(values, field), [
        (_agg("count"), 0), (_agg("count_values"), {None: 3}), (_agg("distinct"), []), (_agg("sum"), 0),
        (_agg("mean"), None), (_agg("std"), None), (_agg("std", sample=True), None),
        (_agg("bounds"), (None, None)), (_agg("values"), [None, None, None]),
        (_agg("quantiles", quantiles=0.5), None), (_agg("quantiles", quantiles=[0.5, 1]), [None, None]),
        (_agg("histogram_values", bins=2), ([0, 0], [-1.0, -0.9999994999999999, -0.999999], 3)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([0, 0], [0.0, 2.0, 4.0], 3)),
    ])


def test_booleans_are_not_numbers():
    dataset = _dataset([True, False, True, None])
    _check(dataset, [
        (_agg("count"), 3), (_agg("count_values"), {True: 2, False: 1, None: 1}), (_agg("distinct"), [False, True]),
        (_agg("sum"), 0), (_agg("mean"), None), (_agg("std"), None), (_agg("bounds"), (False, True)),
        (_agg("quantiles", quantiles=0.5), None),
        (_agg("histogram_values", bins=2), ([0, 0], [0.0, 0.5000005, 1.000001], 4)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([0, 0], [0.0, 2.0, 4.0], 4)),
    ])
    numbers = _dataset([3, 4, 10])
    assert _same(numbers.count_values(F("v") > 3), {False: 1, True: 2})
    assert _same(numbers.mean(F("v") > 3), None)


def test_one_value_and_result_types():
    _check(_dataset([3]), [
        (_agg("sum"), 3), (_agg("mean"), 3.0), (_agg("std"), 0.0), (_agg("std", sample=True), None),
        (_agg("bounds"), (3, 3)), (_agg("quantiles", quantiles=[0.5, 1]), [3.0, 3.0]),
        (_agg("histogram_values", bins=2), ([1, 0], [3.0, 3.0000005, 3.000001], 0)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([0, 1], [0.0, 2.0, 4.0], 0)),
    ])
    _check(_dataset([1.0, 2.0]), [
        (_agg("sum"), 3.0), (_agg("mean"), 1.5), (_agg("std"), 0.5), (_agg("std", sample=True), 0.7071067811865476),
        (_agg("quantiles", quantiles=0.5), 1.0), (_agg("bounds"), (1.0, 2.0)),
        (_agg("histogram_values", bins=2), ([1, 1], [1.0, 1.5000005, 2.000001], 0)),
    ])
    _check(_dataset([3, 4, 10]), [
        (_agg("histogram_values", bins=3), ([2, 0, 1], [3.0, 5.333333666666666, 7.666667333333333, 10.000001], 0)),
        (_agg("histogram_values", bins=2, range=(3, 10)), ([2, 0], [3.0, 6.5, 10.0], 1)),  # [lower, upper)
    ])


def test_strings():
    dataset = _dataset(["b", "a", None])
    _check(dataset, [
        (_agg("count"), 2), (_agg("sum"), 0), (_agg("mean"), None), (_agg("std"), None),
        (_agg("bounds"), ("a", "b")), (_agg("quantiles", quantiles=[0.5, 1]), [None, None]),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([0, 0], [0.0, 2.0, 4.0], 3)),
    ])
    with pytest.raises(TypeError) as error:  # FiftyOne: a TypeError too
        dataset.histogram_values("v")
    assert isinstance(error.value, fo.BakeoffError)


# -- dates and datetimes ------------------------------------------------------------------------


D0, D1 = datetime(2020, 1, 1), datetime(2020, 1, 2, 12)


def test_datetimes():
    dataset = _dataset([D0, D1, None])
    _check(dataset, [
        (_agg("count"), 2), (_agg("distinct"), [D0, D1]), (_agg("sum"), 0), (_agg("mean"), None),
        (_agg("std"), None), (_agg("bounds"), (D0, D1)), (_agg("quantiles", quantiles=0.5), None),
        (_agg("histogram_values", bins=2),
         ([1, 1], [D0, datetime(2020, 1, 1, 18, 0, 0, 500), datetime(2020, 1, 2, 12, 0, 0, 1000)], 1)),
        (_agg("histogram_values", bins=2, range=(0, 4)), ([0, 0], [0.0, 2.0, 4.0], 3)),
        (_agg("histogram_values", bins=2, range=(D0, datetime(2020, 1, 3))),
         ([1, 1], [D0, datetime(2020, 1, 2), datetime(2020, 1, 3)], 1)),
        (_agg("histogram_values", bins=2, range=(date(2020, 1, 1), date(2020, 1, 3))),
         ([1, 1], [D0, datetime(2020, 1, 2), datetime(2020, 1, 3)], 1)),
    ])
    _check(_dataset([D0, D0]), [
        (_agg("histogram_values", bins=2),
         ([2, 0], [D0, datetime(2020, 1, 1, 0, 0, 0, 1000), datetime(2020, 1, 1, 0, 0, 0, 2000)], 0)),
    ])


def test_dates():
    dataset = _dataset([date(2020, 1, 1), date(2020, 1, 5), None])
    _check(dataset, [
        (_agg("count"), 2), (_agg("distinct"), [date(2020, 1, 1), date(2020, 1, 5)]), (_agg("sum"), 0),
        (_agg("mean"), None), (_agg("bounds"), (date(2020, 1, 1), date(2020, 1, 5))),
        (_agg("histogram_values", bins=2),
         ([1, 1], [D0, datetime(2020, 1, 3, 0, 0, 0, 500), datetime(2020, 1, 5, 0, 0, 0, 1000)], 1)),
        (_agg("histogram_values", bins=2, range=(date(2020, 1, 1), date(2020, 1, 5))),
         ([1, 0], [D0, datetime(2020, 1, 3), datetime(2020, 1, 5)], 2)),
    ])


# -- bad arguments: FiftyOne's builtin, as a BakeoffError -----------------------------------------


@pytest.mark.parametrize("quantiles", ["bad", 1.5, -0.1, [0.5, "x"], None, True, [True], math.nan])
def test_bad_quantiles_raise_value_error(quantiles):
    dataset = _dataset([1, 2])
    with pytest.raises(ValueError, match="quantiles must be numbers in") as error:
        dataset.quantiles("v", quantiles)
    assert isinstance(error.value, fo.BakeoffError)


@pytest.mark.parametrize(("kwargs", "builtin"), [
    ({"bins": "x"}, ValueError), ({"bins": [0, 1, 3]}, TypeError), ({"bins": 0}, ValueError),
    ({"bins": -1}, ValueError), ({"range": (4, 0)}, ValueError), ({"range": (1, 1)}, ValueError),
])
def test_bad_histogram_arguments(kwargs, builtin):
    dataset = _dataset([1, 2])
    with pytest.raises(builtin) as error:
        dataset.histogram_values("v", **kwargs)
    assert isinstance(error.value, fo.BakeoffError)


def test_histogram_arguments_as_fiftyone_reads_them():
    dataset = _dataset([1, 2])
    assert _same(dataset.histogram_values("v", bins=2.5), ([1, 1], [1.0, 1.5000005, 2.000001], 0))
    assert _same(dataset.histogram_values("v", bins=1, range=(1, 2)), ([1], [1.0, 2.0], 1))
    assert _same(dataset.std("v", sample="x"), 0.7071067811865476)  # any true value
    for name in ("mean", "bounds", "histogram_values"):
        with pytest.raises(ValueError):
            getattr(dataset, name)("nope")


# -- NaN: stored as missing (a documented difference) ------------------------------------------


def test_nan_is_stored_as_missing():
    # FiftyOne keeps NaN: count 3, sum/mean/std NaN, count_values {nan: 1, ...}. SQLite cannot store NaN.
    dataset = _dataset([1.0, math.nan, 3.0])
    _check(dataset, [(_agg("count"), 2), (_agg("mean"), 2.0), (_agg("count_values"), {1.0: 1, 3.0: 1, None: 1}),
                     (_agg("bounds"), (1.0, 3.0)), (_agg("histogram_values", bins=2, range=(0, 4)),
                                                    ([1, 1], [0.0, 2.0, 4.0], 1))])


def test_sums_of_integer_expressions_keep_their_parentheses():
    # found by scripts/differential_fiftyone.py (case #296 of seed 21): FiftyOne 1.22.1 answers 2147483638.0;
    # the exact integer sum read "x - 10 / 2**32" for "(x - 10) / 2**32" and gave 9.2e18
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample("/0.jpg", int0=2147483648)])
    assert dataset.mean(F("int0") - 10) == 2147483638.0
    assert dataset.sum(F("int0") - 10) == 2147483638
    dataset.add_sample(fo.Sample("/1.jpg", int0=5))
    assert dataset.sum(F("int0") * 2 - 1) == 4294967304 and dataset.sum(-F("int0")) == -2147483653
