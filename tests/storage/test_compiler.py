"""Expressions compiled to SQL: golden SQL per case, and the samples each case matches.

Regenerate the golden file after an intended change with
``BAKEOFF_UPDATE_GOLDEN=1 python -m pytest tests/storage/test_compiler.py``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import bakeoff as fo
from bakeoff import ViewField as F

GOLDEN = Path(__file__).parent / "golden" / "expressions.sql"  # SQLite; PostgreSQL: expressions.postgresql.sql

# name, expression, indexes of the matching samples in ROWS
CASES = [
    ("eq_true", F("ok") == True, [0, 2]),  # noqa: E712
    ("eq_false", F("ok") == False, [1]),  # noqa: E712
    ("not_eq_true_includes_missing", ~(F("ok") == True), [1, 3, 4]),  # noqa: E712
    ("eq_none", F("ok") == None, [3, 4]),  # noqa: E711
    ("ne_value_includes_missing", F("n") != 2, [0, 2, 3, 4]),
    ("lt_includes_missing", F("n") < 3, [0, 1, 3, 4]),  # FiftyOne: missing sorts before every value
    ("ge_float", F("x") >= 0.5, [0]),
    ("field_truthiness", F("ok"), [0, 2]),
    ("and_or", ((F("ok") == True) & (F("n") > 0)) | (F("s") == "zeta"), [0, 2, 4]),  # noqa: E712
    ("all_empty_is_true", F().all([]), [0, 1, 2, 3, 4]),
    ("any_empty_is_false", F().any([]), []),
    ("all_two", F().all([F("ok") == True, F("n") == 1]), [0]),  # noqa: E712
    ("any_two", F().any([F("ok") == False, F("n") == 3]), [1, 2]),  # noqa: E712
    ("arithmetic", 2 * (F("n") + 1) == 8, [2]),
    ("division_is_true_division", F("n") / 2 == 1.5, [2]),
    ("division_by_zero_is_missing", (F("n") / 0).exists(), []),
    ("mod", F("n") % 2 == 1, [0, 2]),
    ("abs_neg", abs(-F("x")) > 0.7, [3]),
    ("round", F("x").round(1) == 0.3, [1]),
    ("is_in", F("s").is_in(["alpha", "zeta"]), [0, 4]),
    ("is_in_empty", F("s").is_in([]), []),
    ("exists", F("s").exists(), [0, 1, 4]),
    ("exists_false", F("s").exists(False), [2, 3]),
    ("is_null", F("x").is_null(), [2, 4]),
    ("starts_with", F("s").starts_with("al"), [0]),
    ("starts_with_any_case", F("s").starts_with(["AL", "Ze"], case_sensitive=False), [0, 4]),
    ("ends_with", F("s").ends_with("ta"), [1, 4]),
    ("contains_str", F("s").contains_str("et"), [1, 4]),
    ("contains_str_case", F("s").contains_str("ET", case_sensitive=False), [1, 4]),
    ("lower_upper", F("s").upper().lower() == "beta", [1]),
    ("strlen", F("s").strlen() == 4, [1, 4]),
    ("re_match", F("s").re_match("^[ab]"), [0, 1]),
    ("re_match_i", F("s").re_match("^Z", options="i"), [4]),
    ("if_else", (F("n") > 1).if_else(F("n"), 0) == 3, [2]),
    ("label_path", F("gt.label") == "cat", [0, 3]),
    ("label_confidence", F("gt.confidence") > 0.5, [0]),
    ("document_exists", F("gt").exists(), [0, 1, 3]),
    ("tags_contains", F("tags").contains("hard"), [1, 2]),
    ("tags_contains_all", F("tags").contains(["hard", "blurry"], all=True), [2]),
    ("tags_length", F("tags").length() == 0, [0, 3, 4]),
]

ROWS = [
    dict(ok=True, n=1, x=0.5, s="alpha", gt=fo.Classification(label="cat", confidence=0.9), tags=[]),
    dict(ok=False, n=2, x=0.3, s="beta", gt=fo.Classification(label="dog", confidence=0.2), tags=["hard"]),
    dict(ok=True, n=3, tags=["hard", "blurry"]),
    dict(x=-0.8, gt=fo.Classification(label="cat")),
    dict(s="zeta"),
]


@pytest.fixture
def dataset():
    ds = fo.Dataset("golden")
    ds.add_sample_field("ok", fo.BooleanField)
    ds.add_sample_field("n", fo.IntField)
    ds.add_sample_field("x", fo.FloatField)
    ds.add_sample_field("s", fo.StringField)
    ds.add_sample_field("gt", fo.EmbeddedDocumentField, embedded_doc_type=fo.Classification)
    ds.add_samples([fo.Sample(f"/img/{i}.jpg", **row) for i, row in enumerate(ROWS)])
    return ds


def _sql(view) -> str:
    _, builder = view._builder()
    dialect = view._root()._engine.dialect
    sql = str(builder.select(["id"]).compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    sql = re.sub(r"samples_[0-9a-f]{32}", "samples", sql)
    return " ".join(sql.split())


@pytest.mark.parametrize(("name", "expr", "expected"), CASES, ids=[c[0] for c in CASES])
def test_case_matches_the_expected_samples(dataset, name, expr, expected):
    paths = dataset.match(expr).values("filepath")
    assert paths == [f"/img/{i}.jpg" for i in expected]


def test_compiled_sql_equals_the_golden_file(dataset, database):
    golden = GOLDEN if database == "sqlite" else GOLDEN.with_name(f"expressions.{database}.sql")
    got = "".join(f"-- {name}: {expr!r}\n{_sql(dataset.match(expr))};\n\n" for name, expr, _ in CASES)
    if os.environ.get("BAKEOFF_UPDATE_GOLDEN"):
        golden.write_text(got)
    assert golden.read_text() == got, "compiled SQL changed; see the module docstring to regenerate"


def test_unknown_fields_in_expressions_list_the_fields(dataset):
    # FiftyOne: a stage's expression reads an unknown field as missing (the view matches nothing);
    # a read of it raises
    assert len(dataset.match(F("gt.lable") == "cat")) == 0
    with pytest.raises(fo.UnknownFieldError, match="Did you mean 'gt.label'"):
        dataset.values(F("gt.lable"))


def test_sample_placeholder_alone_is_refused(dataset):
    with pytest.raises(NotImplementedError, match=r"F\(\) alone"):
        dataset.match(F() == 1)
