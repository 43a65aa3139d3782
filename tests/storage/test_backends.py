"""What SQLite and PostgreSQL must do alike: concurrent writers, catalog versions, and the
places where their SQL differs (NaN, long IN lists, list fields, text order, long names)."""

from __future__ import annotations

import gc
import math
import os
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

import bakeoff as fo
from bakeoff import ViewField as F
from bakeoff.storage import catalog
from bakeoff.storage.engine import database_url, dispose_engines, get_engine

FIELD_WRITER = """
import bakeoff as fo, os, sys, time
name, gate = sys.argv[1], sys.argv[2]
d = fo.load_dataset("shared")
while not os.path.exists(gate):
    time.sleep(0.005)
n = len(d)
for r in range(8):
    d.set_values(f"{name}_score", [r * 1000 + k for k in range(n)])  # one field, rewritten
    d.set_values(f"{name}_round{r}", [True] * n)                       # a new column each round
print("done", flush=True)
"""


def test_two_processes_writing_different_fields_of_one_dataset_lose_nothing(bakeoff_home, tmp_path):
    dataset = fo.Dataset("shared", persistent=True)
    dataset.add_samples([fo.Sample(f"/img/{k}.jpg") for k in range(2000)])
    gate = str(tmp_path / "go")
    env = {**os.environ, "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
    writers = [subprocess.Popen([sys.executable, "-c", FIELD_WRITER, name, gate], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("left", "right")]
    time.sleep(0.5)  # both import bakeoff and load the dataset, then start together
    open(gate, "w").close()
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0 and out.strip() == "done", err
    dataset = fo.load_dataset("shared")
    for name in ("left", "right"):
        assert dataset.values(f"{name}_score") == [7000 + k for k in range(2000)]
        for r in range(8):
            assert dataset.count_values(f"{name}_round{r}") == {True: 2000}


def test_starting_twice_changes_nothing(database):
    fo.Dataset("kept", persistent=True).add_sample(fo.Sample("a.jpg", x=1))
    for _ in range(2):
        dispose_engines()
        with get_engine(fo.config.database_uri).connect() as conn:
            assert catalog.catalog_version(conn) == catalog.SCHEMA_VERSION
            rows = conn.execute(sa.select(catalog.meta_table)).all()
        assert [tuple(r) for r in rows] == [("schema_version", str(catalog.SCHEMA_VERSION))]
        assert fo.load_dataset("kept").values("x") == [1]


def test_every_schema_version_after_the_first_has_an_upgrade_step():
    assert sorted(catalog.UPGRADES) == list(range(2, catalog.SCHEMA_VERSION + 1))


def test_an_older_catalog_is_upgraded_once_step_by_step(monkeypatch):
    fo.Dataset("old", persistent=True).add_sample(fo.Sample("a.jpg", x=1))
    dispose_engines()
    calls = []

    def add_notes_table(conn):
        """a notes table (a test step)"""
        calls.append(catalog.catalog_version(conn))
        conn.execute(sa.text("CREATE TABLE bakeoff_test_notes (note TEXT)"))

    monkeypatch.setattr(catalog, "SCHEMA_VERSION", catalog.SCHEMA_VERSION + 1)
    monkeypatch.setitem(catalog.UPGRADES, catalog.SCHEMA_VERSION, add_notes_table)
    engine = get_engine(fo.config.database_uri)
    assert calls == [catalog.SCHEMA_VERSION - 1]  # ran once, on the older version
    with engine.connect() as conn:
        assert catalog.catalog_version(conn) == catalog.SCHEMA_VERSION
        assert sa.inspect(conn).has_table("bakeoff_test_notes")
    assert fo.load_dataset("old").values("x") == [1]
    dispose_engines()
    get_engine(fo.config.database_uri)
    assert len(calls) == 1  # an upgraded database is not upgraded again
    dispose_engines()


def test_a_failed_upgrade_step_leaves_the_database_as_it_was(monkeypatch):
    fo.Dataset("old", persistent=True)
    dispose_engines()

    def broken(conn):
        """a step that fails halfway"""
        conn.execute(sa.text("CREATE TABLE bakeoff_test_half (x INTEGER)"))
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(catalog, "SCHEMA_VERSION", catalog.SCHEMA_VERSION + 1)
    monkeypatch.setitem(catalog.UPGRADES, catalog.SCHEMA_VERSION, broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        get_engine(fo.config.database_uri)
    monkeypatch.undo()
    with get_engine(fo.config.database_uri).connect() as conn:
        assert catalog.catalog_version(conn) == catalog.SCHEMA_VERSION
        assert not sa.inspect(conn).has_table("bakeoff_test_half")
    assert fo.list_datasets() == ["old"]


def test_large_seeds_shuffle_too():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(f"/{k}.jpg", k=k) for k in range(50)])
    for seed in (3, 65_521 + 3, 10**9, 2**62):
        order = dataset.shuffle(seed=seed).values("k")
        assert sorted(order) == list(range(50)) and order != list(range(50)), seed
        assert dataset.shuffle(seed=seed).values("k") == order


def test_a_clone_takes_new_samples():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(f"/{k}.jpg") for k in range(3)])
    clone = dataset.clone()
    clone.add_sample(fo.Sample("/new.jpg"))
    assert clone.values("filepath") == ["/0.jpg", "/1.jpg", "/2.jpg", "/new.jpg"]


def test_nan_is_stored_as_missing():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample("/a.jpg", x=float("nan")), fo.Sample("/b.jpg", x=2.0)])
    dataset.set_values("y", [1.0, float("nan")])
    assert dataset.values("x") == [None, 2.0] and dataset.values("y") == [1.0, None]
    assert dataset.mean("x") == 2.0 and dataset.count("y") == 1


def test_non_finite_numbers_in_run_results_round_trip():
    dataset = fo.Dataset()
    results = {"recall": {"cat": float("nan")}, "bounds": [float("-inf"), float("inf")], "n": 3}
    with get_engine(fo.config.database_uri).begin() as conn:
        catalog.put_run(conn, dataset.id, "evaluation", "e", {"method": "simple"}, results)
    with get_engine(fo.config.database_uri).connect() as conn:
        got = catalog.get_run(conn, dataset.id, "evaluation", "e").results
    assert math.isnan(got["recall"]["cat"]) and got["bounds"] == [float("-inf"), float("inf")] and got["n"] == 3


@pytest.mark.parametrize("values", [[f"s{k}" for k in range(700)], list(range(700))], ids=["strings", "ints"])
def test_long_is_in_lists(values):
    dataset = fo.Dataset()
    field = "s" if isinstance(values[0], str) else "i"
    dataset.add_samples([fo.Sample(f"/{k}.jpg", **{field: v}) for k, v in enumerate(values[::100])])
    dataset.add_sample(fo.Sample("/none.jpg"))
    assert dataset.match(F(field).is_in(values)).count() == 7
    assert dataset.match(~F(field).is_in(values)).values("filepath") == ["/none.jpg"]


def test_list_fields_count_and_measure_their_elements():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample("/a.jpg", tags=["hard", "blurry"]), fo.Sample("/b.jpg", tags=["hard"]),
                         fo.Sample("/c.jpg"), fo.Sample("/d.jpg", tags=[])])
    assert dataset.count_values("tags") == {"hard": 2, "blurry": 1}
    assert dataset.match(F("tags").length() == 0).values("filepath") == ["/c.jpg", "/d.jpg"]
    assert dataset.match(F("tags").contains("blurry")).values("filepath") == ["/a.jpg"]
    assert dataset.match_tags("hard").count() == 2


def test_text_sorts_and_compares_by_code_point():
    words = ["b", "B", "a", "_x", "Z", "ä", "a b"]
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(f"/{w}.jpg", s=w) for w in words])
    assert dataset.sort_by("s").values("s") == sorted(words)
    assert dataset.sort_by("s", reverse=True).values("s") == sorted(words, reverse=True)
    assert sorted(dataset.match(F("s") < "a").values("s")) == sorted(w for w in words if w < "a")
    assert dataset.bounds("s") == (min(words), max(words))


def test_long_field_names_get_valid_index_names():
    dataset = fo.Dataset()
    long_a, long_b = "a" * 45 + "_left", "a" * 45 + "_right"  # index names of 100 characters
    dataset.add_samples([fo.Sample("/x.jpg", **{long_a: fo.Classification(label="cat"), long_b: True})])
    names = dataset.list_indexes()
    assert len(names) == len(set(names)) >= 3  # id, filepath, the label and the boolean
    assert dataset.match(F(f"{long_a}.label") == "cat").count() == 1
    assert dataset.drop_index(long_b) is not False


@pytest.mark.one_database  # no server needed
def test_postgresql_uris_mean_psycopg_3():
    assert database_url("postgresql://me@db:5432/team").drivername == "postgresql+psycopg"
    assert database_url("postgres://me@db/team").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://me@db/team").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"


@pytest.mark.one_database  # no server needed
def test_without_psycopg_a_postgresql_uri_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(fo.StorageError, match=r"pip install 'bakeoff\[postgres\]'") as error:
        get_engine("postgresql://me@127.0.0.1:1/team")
    assert "\n" not in str(error.value)


@pytest.mark.one_database
def test_other_databases_are_refused_by_name():
    with pytest.raises(fo.StorageError, match="unsupported database 'mysql'"):
        get_engine("mysql://me@db/team")


def test_booleans_compare_as_booleans_and_count_as_zero_and_one_in_arithmetic():
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(f"/{k}.jpg", ok=k % 2 == 0) for k in range(4)])
    dataset.add_sample(fo.Sample("/missing.jpg"))
    # FiftyOne 1.22.1: a boolean is never a number, and booleans sort after numbers (MongoDB's order)
    assert dataset.match(F("ok") == 1).count() == 0
    assert dataset.match(F("ok") < 1).count() == 1  # only the missing one
    # arithmetic on booleans (MongoDB refuses it: FiftyOne raises OperationFailure) reads them as 0 and 1
    assert dataset.match(F("ok") + 1 == 2).count() == 2
    assert dataset.match((F("ok") * 3) % 2 == 1).count() == 2
    assert dataset.bounds("ok") == (False, True)
    assert dataset.sum("ok") == 0 and dataset.mean("ok") is None  # as FiftyOne: sum and mean skip booleans


def test_a_version_1_catalog_gains_field_write_counts():
    fo.Dataset("v1", persistent=True).add_samples(
        [fo.Sample(f"/{k}.jpg", gt=fo.Classification(label="a"), p=fo.Classification(label="a")) for k in range(3)])
    gc.collect()  # no Dataset object outlives the engine it was loaded with
    engine = get_engine(fo.config.database_uri)
    with engine.begin() as conn:  # the catalog as bakeoff wrote it before counting writes
        conn.exec_driver_sql("ALTER TABLE bakeoff_fields DROP COLUMN writes")
        conn.execute(catalog.meta_table.update().values(value="1"))
    dispose_engines()
    with get_engine(fo.config.database_uri).connect() as conn:
        assert catalog.catalog_version(conn) == catalog.SCHEMA_VERSION == 2
        assert "writes" in {c["name"] for c in sa.inspect(conn).get_columns("bakeoff_fields")}
    old = fo.load_dataset("v1")
    old.evaluate_classifications("p", gt_field="gt", eval_key="e")
    assert old.get_evaluation_info("e")["stale"] == []
    old.set_values("p", [fo.Classification(label="b")] * 3)
    assert old.get_evaluation_info("e")["stale"] == ["field 'p' changed after the evaluation ran"]
