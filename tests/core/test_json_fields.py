"""Dict and untyped list fields hold JSON values: anything else is refused before the write with a FieldTypeError
(a TypeError) naming the value, instead of failing inside the database driver."""

from __future__ import annotations

from datetime import date, datetime

import pytest

import bakeoff as fo
from bakeoff.errors import FieldTypeError


@pytest.mark.parametrize("value", [{"a": {1, 2}}, {"a": [object()]}, {"nested": {"b": b"bytes"}}])
def test_a_dict_with_a_value_json_cannot_hold_is_a_field_type_error(value):
    dataset = fo.Dataset()
    with pytest.raises(FieldTypeError, match="must be JSON values") as caught:
        dataset.add_sample(fo.Sample(filepath="/images/a.jpg", x=value))
    assert isinstance(caught.value, TypeError)
    assert len(dataset) == 0


def test_a_list_with_a_value_json_cannot_hold_is_a_field_type_error():
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample(filepath="/images/a.jpg", x=[1, "a"]))
    sample = dataset.first()
    with pytest.raises(FieldTypeError, match="must be JSON values"):
        sample.x = [1, {"s": {3}}]  # refused as it is set, as any value of the wrong type
    sample.save()
    assert dataset.first().x == [1, "a"]


def test_json_values_dates_and_nan_still_go_in_and_come_back():
    dataset = fo.Dataset()
    value = {"when": date(2020, 1, 2), "n": float("nan"), "list": [1, None, "x", {"k": True}]}
    dataset.add_sample(fo.Sample(filepath="/images/a.jpg", x=value))
    back = dataset.first().x
    assert back["when"] == datetime(2020, 1, 2)
    assert back["n"] != back["n"]
    assert back["list"] == [1, None, "x", {"k": True}]
