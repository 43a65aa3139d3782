"""ViewExpression: building, combining, serializing, printing — no database involved."""

from __future__ import annotations

import json

import pytest

from bakeoff import ViewExpression
from bakeoff import ViewField as F
from bakeoff.core.expressions import expr_from_dict, to_expr
from bakeoff.errors import InvalidViewError


def test_bool_of_an_expression_raises_with_the_fix():
    with pytest.raises(TypeError, match=r"use & \(and\)|&.*\|.*~"):
        bool(F("a") == 1)
    with pytest.raises(TypeError, match="instead of `and`, `or`, `not`"):
        (F("a") == 1) and (F("b") == 2)  # noqa: B015


@pytest.mark.parametrize(
    ("exprs", "expected"),
    [
        ([], "True"),
        ([F("a") == 1], "(F('a') == 1)"),
        ([F("a") == 1, F("b") == 2], "((F('a') == 1) & (F('b') == 2))"),
    ],
)
def test_all_of_empty_one_and_many(exprs, expected):
    assert repr(F().all(exprs)) == expected
    assert repr(ViewExpression.all(exprs)) == expected


def test_any_of_empty_is_false_and_nested_ors_flatten():
    assert repr(F().any([])) == "False"
    combined = (F("a") == 1) | (F("b") == 2) | (F("c") == 3)
    assert combined.op == "or" and len(combined.args) == 3


@pytest.mark.parametrize(
    ("expr", "text"),
    [
        (F("clip.label") == "cat", "(F('clip.label') == 'cat')"),
        (~(F("x") == True), "~(F('x') == True)"),  # noqa: E712
        (2 * (F("x") + 1), "(2 * (F('x') + 1))"),
        (F("s").starts_with("ab", case_sensitive=False), "F('s').starts_with(['ab'], False)"),
        (F("x").is_in([1, 2]), "F('x').is_in([1, 2])"),
        (abs(-F("x")), "-F('x').abs()"),
        ((F("x") > 0).if_else("pos", "neg"), "(F('x') > 0).if_else('pos', 'neg')"),
    ],
)
def test_repr_is_readable(expr, text):
    assert repr(expr) == text


@pytest.mark.parametrize(
    "expr",
    [
        F("a") == None,  # noqa: E711
        (F("a.b") >= 0.5) & ~F("c").exists(),
        F().any([F("m1_eval") == True, F("m2_eval") == False]),  # noqa: E712
        F("s").re_match("^a.*z$", options="i") | F("s").contains_str(["x", "y"]),
        (F("n") % 3 + F("m") / 2).round(1) != 7,
        F("tags").contains(["a", "b"], all=True),
        F("tags").length() > 1,
    ],
)
def test_json_round_trip(expr):
    text = json.dumps(expr.to_dict())
    back = expr_from_dict(json.loads(text))
    assert repr(back) == repr(expr) and back.to_dict() == expr.to_dict()


def test_python_values_are_coerced_in_one_place():
    import numpy as np

    assert to_expr(np.float32(0.5)).args == (0.5,)
    assert to_expr((1, 2)).args == ([1, 2],)
    with pytest.raises(InvalidViewError, match="cannot use"):
        to_expr(object())
    with pytest.raises(InvalidViewError, match="list of values"):
        F("x").is_in("abc")
    with pytest.raises(InvalidViewError, match="options"):
        F("x").re_match("a", options="m")


def test_expressions_are_immutable_and_unhashable():
    expr = F("a") == 1
    with pytest.raises(AttributeError):
        expr.op = "ne"
    with pytest.raises(TypeError):
        hash(expr)
