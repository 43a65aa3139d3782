"""Real processes: a writer beside a reader, kill -9 mid-write, cleanup of non-persistent datasets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import sqlalchemy as sa

import bakeoff as fo


def _spawn(code: str, home):
    env = {**os.environ, "BAKEOFF_HOME": str(home), "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


WRITER = """
import bakeoff as fo, os, time
d = fo.Dataset("shared", persistent=True)
print("ready", flush=True)
for batch in range({batches}):
    d.add_samples([fo.Sample(f"/img/{{batch}}_{{i}}.jpg", batch=batch,
                             ground_truth=fo.Classification(label="cat", confidence=0.5))
                   for i in range(200)])
    d.set_values("batch_done", {{s_id: True for s_id in d.values("id")[-200:]}})
    print(batch, flush=True)
    while batch == 0 and {gate!r} and not os.path.exists({gate!r}):
        time.sleep(0.01)  # let the reader see a first state before the rest is written
"""


def test_one_process_writes_while_another_reads(bakeoff_home, tmp_path):
    gate = str(tmp_path / "go")
    writer = _spawn(WRITER.format(batches=15, gate=gate), bakeoff_home)
    assert writer.stdout.readline().strip() == "ready"
    reader = _spawn("""
import bakeoff as fo, time
d = fo.load_dataset("shared")
seen = []
deadline = time.time() + 60
while time.time() < deadline:
    batches = d.values("batch")              # one query, one snapshot
    n = len(batches)
    counts = {b: batches.count(b) for b in set(batches)}
    assert set(counts.values()) <= {200}, counts  # only whole batches are ever visible
    seen.append(n)
    if n > 0:
        open(%r, "w").close()
    if n == 3000:
        break
assert seen == sorted(seen), seen
print(len(set(seen)), seen[-1])
""" % gate, bakeoff_home)  # noqa: UP031 - the script has braces of its own
    try:
        out, err = reader.communicate(timeout=120)
    finally:
        open(gate, "w").close()  # never leave the writer waiting, whatever the reader did
        writer.communicate(timeout=120)
    assert reader.returncode == 0, err
    assert writer.returncode == 0
    distinct_counts, last = map(int, out.split())
    assert last == 3000 and distinct_counts >= 2  # the reader saw the dataset grow
    dataset = fo.load_dataset("shared")
    assert dataset.count("batch_done") == 3000


def test_kill_minus_nine_mid_write_keeps_every_committed_batch(bakeoff_home, database):
    writer = _spawn(WRITER.format(batches=10_000, gate=""), bakeoff_home)
    assert writer.stdout.readline().strip() == "ready"
    last = -1
    while last < 4:
        last = int(writer.stdout.readline())
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=30)
    dataset = fo.load_dataset("shared")
    batches = dataset.values("batch")
    n = len(batches)
    assert n >= (last + 1) * 200 and n % 200 == 0
    assert sorted(set(batches)) == list(range(n // 200))  # no gaps, no half batch
    if database == "sqlite":  # the file is intact (a PostgreSQL server recovers by itself)
        engine = sa.create_engine(fo.config.database_uri)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
    dataset.add_samples([fo.Sample("/img/after.jpg", batch=-1)])  # still writable
    assert len(dataset) == n + 1


def test_non_persistent_datasets_vanish_with_their_process(bakeoff_home, run_python):
    result = run_python("""
import bakeoff as fo
fo.Dataset("temporary").add_sample(fo.Sample("a.jpg"))
fo.Dataset("kept", persistent=True).add_sample(fo.Sample("a.jpg"))
print(fo.list_datasets())
""", bakeoff_home)
    assert result.stdout.strip() == "['kept', 'temporary']", result.stderr
    assert fo.list_datasets() == ["kept"]

    # a process that dies without running its exit hooks: cleaned at the next start
    victim = _spawn("""
import bakeoff as fo, time
fo.Dataset("orphan")
print("made", flush=True)
time.sleep(60)
""", bakeoff_home)
    assert victim.stdout.readline().strip() == "made"
    assert "orphan" in fo.list_datasets()
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    fresh = run_python("import bakeoff as fo; print(fo.list_datasets())", bakeoff_home)
    assert fresh.stdout.strip() == "['kept']", fresh.stderr


def test_a_live_process_keeps_its_non_persistent_dataset(bakeoff_home):
    holder = _spawn("""
import bakeoff as fo, time
fo.Dataset("mine")
print("made", flush=True)
time.sleep(30)
""", bakeoff_home)
    try:
        assert holder.stdout.readline().strip() == "made"
        assert fo.delete_non_persistent_datasets() == []
        assert "mine" in fo.list_datasets()
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert fo.delete_non_persistent_datasets() == ["mine"]


def test_a_snapshot_keeps_schema_and_rows_while_another_process_writes(bakeoff_home):
    import time

    dataset = fo.Dataset("snap", persistent=True)
    dataset.add_samples([fo.Sample(f"/img/{i}.jpg", n=i) for i in range(10)])
    dataset.add_sample_field("doomed", fo.IntField)
    change = """
import bakeoff as fo
d = fo.load_dataset("snap")
d.delete_sample_field("doomed")
d.set_values("n", [100] * len(d))
d.add_samples([fo.Sample(f"/img/new{i}.jpg", n=0) for i in range(5)])
print("done", flush=True)
"""
    with fo.snapshot():
        before = (dataset.count(), dataset.sum("n"), dataset.has_field("doomed"))
        writer = _spawn(change, bakeoff_home)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and writer.poll() is None:  # SQLite: it finishes meanwhile
            # whatever the other process has committed, this block reads its own snapshot
            assert (dataset.count(), dataset.sum("n"), dataset.has_field("doomed")) == before == (10, 45, True)
            assert dataset.values("doomed") == [None] * 10
            time.sleep(0.05)
        assert (dataset.count(), dataset.sum("n"), dataset.values("doomed")) == (10, 45, [None] * 10)
    # PostgreSQL: the field's removal waited for the snapshot to end (it holds the table); SQLite: it did not
    out, err = writer.communicate(timeout=120)
    assert writer.returncode == 0 and "done" in out, err
    assert (dataset.count(), dataset.sum("n"), dataset.has_field("doomed")) == (15, 1000, False)


def test_concurrent_taggers_both_win(bakeoff_home, run_python):
    dataset = fo.Dataset("tags", persistent=True)
    dataset.add_samples([fo.Sample(f"/img/{i}.jpg") for i in range(3000)])
    tagger = """
import bakeoff as fo
d = fo.load_dataset("tags")
for n in range(6):
    d.take(1500, seed=n).tag_samples("p{who}_" + str(n))
"""
    processes = [_spawn(tagger.format(who=who), bakeoff_home) for who in range(3)]
    for process in processes:
        _, err = process.communicate(timeout=240)
        assert process.returncode == 0, err
    counts = dataset.count_sample_tags()
    assert counts == {f"p{who}_{n}": 1500 for who in range(3) for n in range(6)}
    for n in range(6):
        assert set(dataset.match_tags(f"p0_{n}").values("id")) == set(dataset.take(1500, seed=n).values("id"))
