"""Storage details: column layout, quoting, schema versions, WAL mode."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa

import bakeoff as fo
from bakeoff.errors import FieldTypeError, InvalidViewError
from bakeoff.storage import catalog
from bakeoff.storage.engine import dispose_engines, get_engine


def _engine():
    return get_engine(fo.config.database_uri)


@pytest.mark.one_database
def test_sqlite_runs_in_wal_mode_under_the_home_folder(bakeoff_home):
    fo.Dataset("x")
    assert (bakeoff_home / "bakeoff.db").is_file()
    with _engine().connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_labels_are_real_columns_and_logits_float32_blobs():
    dataset = fo.Dataset("cols")
    dataset.add_sample(fo.Sample("a.jpg", clip=fo.Classification(label="cat", confidence=0.75, logits=[0.5, -1.0])))
    table = sa.Table(dataset._table_name, sa.MetaData(), autoload_with=_engine())
    names = {c.name for c in table.columns}
    assert {"clip", "clip.label", "clip.confidence", "clip.logits"} <= names
    with _engine().connect() as conn:
        row = conn.execute(sa.select(table.c["clip.label"], table.c["clip.confidence"], table.c["clip.logits"])).one()
    assert row[0] == "cat" and row[1] == 0.75
    assert row[2] == b"\x00\x00\x00?\x00\x00\x80\xbf"  # little-endian float32 0.5, -1.0


@pytest.mark.parametrize("name", ["select", "order", "group", "table", "drop", "from_", "x__y"])
def test_sql_keywords_as_field_names_are_quoted(name):
    dataset = fo.Dataset()
    dataset.add_sample(fo.Sample("a.jpg", **{name: fo.Classification(label="v")}))
    assert dataset.values(f"{name}.label") == ["v"]
    dataset.rename_sample_field(name, name + "2")
    dataset.delete_sample_field(name + "2")
    assert not dataset.has_field(name + "2")


def test_user_text_is_bound_not_interpolated():
    nasty = "x'); DROP TABLE bakeoff_datasets; --"
    dataset = fo.Dataset(nasty)
    dataset.add_sample(fo.Sample("a.jpg", note=nasty, gt=fo.Classification(label=nasty)))
    assert fo.load_dataset(nasty).values("gt.label") == [nasty]
    assert fo.list_datasets() == [nasty]


def test_a_database_from_a_newer_bakeoff_is_refused():
    fo.Dataset("x")
    with _engine().begin() as conn:
        conn.execute(catalog.meta_table.update().values(value=str(catalog.SCHEMA_VERSION + 1)))
    dispose_engines()
    with pytest.raises(fo.StorageError, match="newer than this bakeoff understands"):
        fo.list_datasets()
    dispose_engines()


@pytest.mark.one_database  # a PostgreSQL URI does not depend on the home folder
def test_changing_config_home_moves_the_database(tmp_path):
    fo.Dataset("here", persistent=True)
    fo.config.home = tmp_path / "elsewhere"
    assert fo.list_datasets() == []
    assert (tmp_path / "elsewhere" / "bakeoff.db").is_file()


def test_runs_are_stored_per_dataset_and_type():
    dataset = fo.Dataset("runs")
    engine = _engine()
    with engine.begin() as conn:
        catalog.put_run(conn, dataset.id, "evaluation", "clip_eval", {"method": "simple"}, {"accuracy": 0.8})
        catalog.put_run(conn, dataset.id, "evaluation", "clip_eval", {"method": "top-k"}, None)
        catalog.put_run(conn, dataset.id, "model", "clip", {"name": "clip-vit-base32-torch"})
    with engine.connect() as conn:
        runs = catalog.list_runs(conn, dataset.id, "evaluation")
        assert [(r.key, r.config["method"]) for r in runs] == [("clip_eval", "top-k")]
        assert len(catalog.list_runs(conn, dataset.id)) == 2
    dataset.delete()
    with engine.connect() as conn:
        assert catalog.list_runs(conn, dataset.id) == []


class _PostgresError(Exception):
    def __init__(self, message: str, sqlstate: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


@pytest.mark.one_database
@pytest.mark.parametrize(("orig", "expected", "words"), [
    (sqlite3.OperationalError("integer overflow"), InvalidViewError, "64-bit"),
    (sqlite3.OperationalError("parser stack overflow"), InvalidViewError, "nests too deeply"),
    (sqlite3.OperationalError("Expression tree is too large (maximum depth 1000)"), InvalidViewError, "too deeply"),
    (sqlite3.OperationalError("too many SQL variables"), InvalidViewError, "too large"),
    (sqlite3.OperationalError("malformed JSON"), FieldTypeError, "different types"),
    (sqlite3.OperationalError("user-defined function raised exception"), FieldTypeError, "different types"),
    (_PostgresError("bigint out of range", "22003"), InvalidViewError, "64-bit"),
    (_PostgresError("invalid regular expression: quantifier operand invalid", "2201B"), InvalidViewError,
     "regular expression"),
    (_PostgresError("stack depth limit exceeded", "54001"), InvalidViewError, "nests too deeply"),
    (_PostgresError("operator does not exist: text = integer", "42883"), FieldTypeError, "different types"),
    (_PostgresError("cannot cast type boolean to numeric", "42846"), FieldTypeError, "different types"),
    (Exception("number of parameters must be between 0 and 65535"), InvalidViewError, "too large"),
])
def test_queries_the_database_refuses_become_bakeoff_errors(orig, expected, words):
    from bakeoff.storage.engine import _typed

    error = _typed(sa.exc.OperationalError("SELECT ...", {}, orig))
    assert type(error) is expected and words in str(error) and str(orig) in str(error)


@pytest.mark.one_database
def test_other_database_errors_stay_as_they_are():
    from bakeoff.storage.engine import _typed

    for orig in (sqlite3.OperationalError("database is locked"), _PostgresError("relation does not exist", "42P01")):
        error = sa.exc.OperationalError("SELECT ...", {}, orig)
        assert _typed(error) is error
