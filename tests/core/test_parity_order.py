"""Comparisons across types and with missing values follow MongoDB's order, pinned against FiftyOne 1.22.1.

MongoDB orders missing < numbers < text < booleans < dates: ``F("ok") == 1`` matches no boolean,
``F("s") > 3`` matches every string, ``F("x") < 3`` matches the samples without ``x``.
"""

from __future__ import annotations

from datetime import datetime

import pytest

import bakeoff as fo
from bakeoff import ViewField as F

ROWS = [dict(ok=True, n=1, s="a", d=datetime(2020, 1, 1)), dict(ok=False, n=5, s="b", d=datetime(2021, 1, 1)), dict()]

# (name, expression, indexes of the rows FiftyOne matched)
CASES = [
    ("ok==1", F("ok") == 1, []),
    ("ok!=1", F("ok") != 1, [0, 1, 2]),
    ("ok<1", F("ok") < 1, [2]),
    ("ok>1", F("ok") > 1, [0, 1]),
    ("ok>=0", F("ok") >= 0, [0, 1]),
    ("n==True", F("n") == True, []),  # noqa: E712
    ("n<True", F("n") < True, [0, 1, 2]),
    ("s<3", F("s") < 3, [2]),
    ("s>3", F("s") > 3, [0, 1]),
    ("n<'a'", F("n") < "a", [0, 1, 2]),
    ("s==1", F("s") == 1, []),
    ("d>1", F("d") > 1, [0, 1]),
    ("d<'x'", F("d") < "x", [2]),
    ("ok<'x'", F("ok") < "x", [2]),
    ("ok<d", F("ok") < F("d"), [0, 1]),
    ("n<s", F("n") < F("s"), [0, 1]),
    ("s>=n", F("s") >= F("n"), [0, 1, 2]),
    ("ok<=n", F("ok") <= F("n"), [2]),
]


@pytest.fixture
def dataset():
    ds = fo.Dataset()
    ds.add_samples([fo.Sample(f"/{i}.jpg", **row) for i, row in enumerate(ROWS)])
    return ds


@pytest.mark.parametrize(("name", "expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_mixed_type_comparisons_match_fiftyone(dataset, name, expr, expected):
    assert sorted(int(p[1]) for p in dataset.match(expr).values("filepath")) == expected
    assert dataset.match(~expr).count() == len(ROWS) - len(expected)  # never NULL: negation takes the rest


def test_is_in_matches_missing_values_for_none_but_not_for_nan(dataset):
    # FiftyOne 1.22.1: is_in([1, None]) matches samples without the field; is_in([1, nan]) does not
    assert sorted(int(p[1]) for p in dataset.match(F("n").is_in([1, None])).values("filepath")) == [0, 2]
    assert sorted(int(p[1]) for p in dataset.match(F("n").is_in([1, float("nan")])).values("filepath")) == [0]


def test_contains_all_of_a_nan_does_not_match_a_missing_list():
    # FiftyOne 1.22.1 (case #1815 of seed 2026): nothing matches
    dataset = fo.Dataset()
    dataset.add_sample_field("tl", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classifications)
    dataset.add_sample(fo.Sample("/0.jpg"))
    assert dataset.match(F("tl.classifications.confidence").contains([float("nan")], all=True)).count() == 0


def test_nan_is_the_lowest_number_in_ordered_comparisons():
    # FiftyOne 1.22.1 on these four samples (a missing x, 2.5, -1e308, None): >= and > nan match the
    # numbers, <= and < nan the missing values; found by the differential campaign (seed 1201, case #12)
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample("/0.jpg"), fo.Sample("/1.jpg", x=2.5), fo.Sample("/2.jpg", x=-1e308),
                         fo.Sample("/3.jpg", x=None)])
    nan = float("nan")
    for expr, expected in [(F("x") >= nan, [1, 2]), (F("x") > nan, [1, 2]), (F("x") <= nan, [0, 3]),
                           (F("x") < nan, [0, 3]), (nan <= F("x"), [1, 2])]:
        assert sorted(int(p[1]) for p in dataset.match(expr).values("filepath")) == expected
    assert dataset.match(F("x") >= nan).histogram_values("x", bins=1)[2] == 0
