"""Consistent under concurrency: writers, readers and the App at once on one dataset, and kill -9 mid set_values.

``test_writers_readers_and_the_app_at_once``: 3 writer processes add boolean fields with ``set_values``,
delete their older ones and tag random subsets while 2 reader processes aggregate and an App (in this
process) serves grid pages, counts, the dataset's description and thumbnails. Afterwards: no process
saw an error, every read of a field nobody writes gave the same answer, the App answered 200 every
time, every tag call that returned is on exactly the samples it tagged (two writers tagging the same
samples both win), and every field a writer kept holds exactly the values it wrote.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa
from storage.test_processes import _spawn

import bakeoff as fo

NUM_SAMPLES = 2000
CLASSES = ["cat", "dog", "horse", "bird", "fish"]
NUM_WRITERS, NUM_READERS = 3, 2
WRITE_SECONDS = 8.0
#: every writer does at least this many rounds, every reader and the App client this many passes, however slow
MIN_WRITES, MIN_READS, MIN_APP_ROUNDS = 4, 5, 5
TAG_SIZE = 200
WRITER_FIELD = re.compile(r"^w(\d+)_(\d+)$")

# Both scripts take their parameters as JSON (P), log one JSON object per line to P["out"], print
# "ready" once they have loaded the dataset and start when the test creates P["go"].
PRELUDE = """
import json, os, sys, time
import bakeoff as fo
from bakeoff import ViewField as F
P = json.loads({params!r})
out = open(P["out"], "a", buffering=1)
def log(**entry):
    out.write(json.dumps(entry) + "\\n")
def describe(error):
    return (type(error).__name__ + ": " + (str(error).splitlines() or [""])[0])[:300]
dataset = fo.load_dataset(P["dataset"])
print("ready", flush=True)
while not os.path.exists(P["go"]):
    time.sleep(0.005)
"""

WRITER = """
i = P["writer"]
size = len(dataset)
deadline = time.monotonic() + P["seconds"]
n = 0
while n < P["min_rounds"] or time.monotonic() < deadline:
    name = f"w{i}_{n}"
    try:
        dataset.set_values(name, [(k + n + i) % 3 == 0 for k in range(size)])
        log(op="set_values", field=name, n=n)
    except Exception as error:
        log(op="set_values", field=name, error=describe(error))
    if n >= 2:
        old = f"w{i}_{n - 2}"
        try:
            dataset.delete_sample_field(old)
            log(op="delete", field=old)
        except Exception as error:
            log(op="delete", field=old, error=describe(error))
    tag = f"t{i}_{n}"
    try:
        view = dataset.take(P["tag_size"], seed=1000 * i + n)
        ids = view.values("id")
        view.tag_samples(tag)
        log(op="tag", tag=tag, ids=ids)
    except Exception as error:
        log(op="tag", tag=tag, error=describe(error))
    n += 1
log(op="done", rounds=n)
"""

READER = """
import random
E = P["expected"]
rng = random.Random(P["reader"])
def same(expected):
    return lambda result: None if result == expected else repr(result)
def torn_tags(counts):  # every tag call tags TAG_SIZE samples at once
    torn = {tag: n for tag, n in counts.items() if n != P["tag_size"]}
    return f"tags on another number of samples than {P['tag_size']}: {sorted(torn.values())}" if torn else None
checks = [
    ("count_values", lambda: dataset.count_values("ground_truth.label"), same(E["labels"])),
    ("values", lambda: dataset.values("stable") == list(range(E["count"])), same(True)),
    ("count", lambda: dataset.count(), same(E["count"])),
    ("bounds", lambda: list(dataset.bounds("score")), same(E["bounds"])),
    ("match_label", lambda: dataset.match(F("ground_truth.label") == "cat").count(), same(E["labels"]["cat"])),
    ("match_tags", lambda: dataset.match(F("tags").contains(f"t{rng.randrange(3)}_{rng.randrange(6)}")).count(),
     lambda r: None if r in (0, P["tag_size"]) else f"{r} samples with one tag"),
    ("count_sample_tags", lambda: dataset.count_sample_tags(), torn_tags),
    ("iter_samples", lambda: len([s.stable for s in dataset.take(10, seed=rng.randrange(1000))]), same(10)),
    ("schema", lambda: {"stable", "score", "ground_truth"} <= set(dataset.get_field_schema()), same(True)),
]
k = 0
while k < P["min_rounds"] or not os.path.exists(P["stop"]):
    for op, run, check in checks:
        try:
            result = run()
        except Exception as error:
            log(op=op, error=describe(error))
            continue
        wrong = check(result)
        if wrong is not None:
            log(op=op, mismatch=wrong[:300])
    k += 1
log(op="done", rounds=k)
"""


def _images(folder: Path) -> list[str]:
    """NUM_SAMPLES small JPEG files (one of five colours each)."""
    import io

    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    encoded = []
    for color in [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30), (30, 200, 200)]:
        buffer = io.BytesIO()
        Image.new("RGB", (48, 36), color).save(buffer, format="JPEG")
        encoded.append(buffer.getvalue())
    paths = []
    for k in range(NUM_SAMPLES):
        path = folder / f"{k:05d}.jpg"
        path.write_bytes(encoded[k % len(encoded)])
        paths.append(str(path))
    return paths


def _read_log(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def _hammer_the_app(session, dataset_name: str, sample_ids: list[str], stop: threading.Event,
                    failures: list[str], rounds: list[int]) -> None:
    """Grid pages, counts, the dataset's description and thumbnails until ``stop``; every non-200 is recorded."""
    import httpx

    rng = random.Random(7)
    with httpx.Client(base_url=session.base_url, headers=session.headers, timeout=60) as client:
        while rounds[0] < MIN_APP_ROUNDS or not stop.is_set():
            tag = f"t{rng.randrange(NUM_WRITERS)}_{rng.randrange(4)}"
            requests = [
                ("POST", "api/samples", {"view": {"dataset": dataset_name}, "limit": 60}),
                ("POST", "api/samples", {"view": {"dataset": dataset_name}, "offset": rng.randrange(NUM_SAMPLES),
                                         "limit": 30}),
                ("POST", "api/samples", {"view": {"dataset": dataset_name, "filters": {"tags": [tag]}}}),
                ("POST", "api/counts", {"view": {"dataset": dataset_name}}),
                ("POST", "api/counts", {"view": {"dataset": dataset_name, "filters": {"tags": [tag]}}}),
                ("GET", f"api/datasets/{dataset_name}", None),
                ("GET", f"thumbnails/{dataset_name}/{rng.choice(sample_ids)}", None),
                ("GET", f"thumbnails/{dataset_name}/{rng.choice(sample_ids)}?size=64", None),
            ]
            for method, url, body in requests:
                try:
                    response = client.request(method, url, json=body)
                except httpx.HTTPError as error:
                    failures.append(_kind(f"{method} /{url}: {type(error).__name__}: {error}"))
                    continue
                if response.status_code != 200:
                    failures.append(_kind(f"{response.status_code} {method} /{url}: {response.text[:300]}"))
            rounds[0] += 1


def _kind(message: str) -> str:
    """A message with its sample ids and writer field and tag names blanked, so that alike errors count together."""
    message = re.sub(r"\b[0-9a-f]{24}\b", "<id>", message)
    message = re.sub(r"\b([wt])\d+_\d+\b", r"\1<i>_<n>", message)
    message = re.sub(r"samples_[0-9a-f]{32}", "samples_<dataset>", message)
    return message if len(message) <= 160 else message[:160] + "..."


class _Collect(logging.Handler):
    """Keeps the last line of every error the App's server logs (the exception behind a 500)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            text = f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
        self.lines.append(_kind(text))


def _summary(counter: Counter, limit: int = 8) -> str:
    return "; ".join(f"{n}x {what}" for what, n in counter.most_common(limit)) + (
        f"; ... {len(counter) - limit} more kinds" if len(counter) > limit else "")


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_writers_readers_and_the_app_at_once(bakeoff_home, tmp_path):
    paths = _images(tmp_path / "images")
    dataset = fo.Dataset("stress", persistent=True)
    dataset.add_samples([
        fo.Sample(path, ground_truth=fo.Classification(label=CLASSES[k % len(CLASSES)]), stable=k, score=k / 10)
        for k, path in enumerate(paths)
    ])
    sample_ids = dataset.values("id")
    expected = {"labels": dataset.count_values("ground_truth.label"), "count": NUM_SAMPLES,
                "bounds": [0.0, (NUM_SAMPLES - 1) / 10]}
    go, stop = tmp_path / "go", tmp_path / "stop"
    common = {"dataset": "stress", "go": str(go), "stop": str(stop), "tag_size": TAG_SIZE}
    writer_logs = [tmp_path / f"writer{i}.jsonl" for i in range(NUM_WRITERS)]
    reader_logs = [tmp_path / f"reader{i}.jsonl" for i in range(NUM_READERS)]
    writers = [_spawn(PRELUDE.format(params=json.dumps({**common, "writer": i, "out": str(writer_logs[i]),
                                                        "seconds": WRITE_SECONDS, "min_rounds": MIN_WRITES}))
                      + WRITER, bakeoff_home) for i in range(NUM_WRITERS)]
    readers = [_spawn(PRELUDE.format(params=json.dumps({**common, "reader": i, "out": str(reader_logs[i]),
                                                        "expected": expected, "min_rounds": MIN_READS}))
                      + READER, bakeoff_home) for i in range(NUM_READERS)]
    processes = writers + readers
    app_failures: list[str] = []
    app_rounds = [0]
    done = threading.Event()
    server_log = _Collect()
    try:
        for process in processes:
            line = process.stdout.readline()
            assert line.strip() == "ready", process.communicate(timeout=30)[1]
        with fo.launch_app(dataset, port=0, auto=False) as session:
            logging.getLogger("uvicorn.error").addHandler(server_log)
            client = threading.Thread(target=_hammer_the_app, daemon=True,
                                      args=(session, "stress", sample_ids, done, app_failures, app_rounds))
            client.start()
            go.touch()
            writer_results = [w.communicate(timeout=90) for w in writers]
            stop.touch()
            done.set()
            reader_results = [r.communicate(timeout=60) for r in readers]
            client.join(timeout=60)
            assert not client.is_alive(), "the App client is still waiting for an answer"
    finally:
        go.touch()
        stop.touch()
        done.set()
        logging.getLogger("uvicorn.error").removeHandler(server_log)
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=30)
    for process, (_, err) in zip(processes, writer_results + reader_results, strict=True):
        assert process.returncode == 0, err[-3000:]

    problems: dict[str, Counter] = {}
    writer_entries = [e for log in writer_logs for e in _read_log(log)]
    reader_entries = [e for log in reader_logs for e in _read_log(log)]
    problems["writer errors"] = Counter(_kind(f"{e['op']}: {e['error']}") for e in writer_entries if "error" in e)
    problems["reader errors"] = Counter(_kind(f"{e['op']}: {e['error']}") for e in reader_entries if "error" in e)
    problems["reader inconsistencies"] = Counter(_kind(f"{e['op']}: {e['mismatch']}") for e in reader_entries
                                                 if "mismatch" in e)
    problems["App answers other than 200"] = Counter(app_failures)
    problems["App server errors logged"] = Counter(server_log.lines)

    # tags: every call that returned is on exactly the samples it tagged; a failed call left nothing behind
    actual: dict[str, set[str]] = {}
    for sample_id, tags in zip(dataset.values("id"), dataset.values("tags"), strict=True):
        for tag in tags or []:
            actual.setdefault(tag, set()).add(sample_id)
    tagged = {e["tag"]: set(e["ids"]) for e in writer_entries if e["op"] == "tag" and "error" not in e}
    tag_problems = Counter()
    for tag, ids in tagged.items():
        assert len(ids) == TAG_SIZE
        if ids - actual.get(tag, set()):
            tag_problems["tag calls that lost samples"] += 1
            tag_problems["(sample, tag) pairs lost"] += len(ids - actual.get(tag, set()))
        if actual.get(tag, set()) - ids:
            tag_problems["(sample, tag) pairs on samples the call did not tag"] += len(actual[tag] - ids)
    for tag in set(actual) - set(tagged):
        tag_problems["tags of failed calls left on samples"] += len(actual[tag])
    problems["tags"] = tag_problems

    # fields: exactly the ones each writer kept, each with every value it wrote
    created = {e["field"]: e["n"] for e in writer_entries if e["op"] == "set_values" and "error" not in e}
    deleted = {e["field"] for e in writer_entries if e["op"] == "delete" and "error" not in e}
    kept = {name: n for name, n in created.items() if name not in deleted}
    present = {name for name in dataset.get_field_schema() if WRITER_FIELD.match(name)}
    field_problems = Counter()
    field_problems["fields kept but missing"] = len(set(kept) - present)
    field_problems["fields deleted or never written but present"] = len(present - set(kept))
    for name in set(kept) & present:
        i, n = (int(g) for g in WRITER_FIELD.match(name).groups())
        wanted = [(k + n + i) % 3 == 0 for k in range(NUM_SAMPLES)]
        lost = sum(a != b for a, b in zip(dataset.values(name), wanted, strict=True))
        if lost:
            field_problems["fields with lost values"] += 1
            field_problems["values lost"] += lost
    problems["fields"] = +field_problems

    writer_rounds = [e["rounds"] for e in writer_entries if e["op"] == "done"]
    reader_rounds = [e["rounds"] for e in reader_entries if e["op"] == "done"]
    assert len(writer_rounds) == NUM_WRITERS and min(writer_rounds) >= MIN_WRITES
    assert len(reader_rounds) == NUM_READERS and min(reader_rounds) >= MIN_READS
    assert app_rounds[0] >= MIN_APP_ROUNDS and len(tagged) + sum(problems["writer errors"].values()) > 0
    report = "\n".join(f"{what}: {sum(c.values())} ({_summary(c)})" for what, c in problems.items() if c)
    activity = (f"writer rounds {writer_rounds}, reader rounds {reader_rounds}, App rounds {app_rounds[0]}, "
                f"tag calls {len(tagged)}")
    assert not report, f"{activity}\n{report}"


SET_VALUES = """
import sys
import bakeoff as fo
dataset = fo.load_dataset("big")
size = len(dataset)
table = dataset._sync()[1].name
started = []
def hook(conn, cursor, statement, parameters, context, executemany):
    if not started and statement.lstrip().upper().startswith("UPDATE") and table in statement:
        started.append(True)
        print("writing", flush=True)
import sqlalchemy as sa
sa.event.listen(dataset._engine, "before_cursor_execute", hook)
print("ready", flush=True)
dataset.set_values("big", list(range(size)))
print("done", flush=True)
"""


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_kill_minus_nine_during_set_values_leaves_all_or_none(bakeoff_home, database):
    size = 100_000
    dataset = fo.Dataset("big", persistent=True)
    dataset.add_samples([fo.Sample(f"/img/{k}.jpg") for k in range(size)])
    started = time.perf_counter()
    dataset.set_values("warm", list(range(size)))  # as long as the write to interrupt, give or take
    duration = time.perf_counter() - started
    # the UPDATEs are the tail of the call (rows are prepared before "writing"): kill early in them
    delay = random.uniform(0.05, 0.5) * duration
    writer = _spawn(SET_VALUES, bakeoff_home)
    try:
        assert writer.stdout.readline().strip() == "ready", writer.communicate(timeout=30)[1]
        line = writer.stdout.readline().strip()
        assert line == "writing", writer.communicate(timeout=30)[1]
        time.sleep(delay)  # not synchronisation: a random point of the write to kill it at
        killed = writer.poll() is None
        try:
            os.kill(writer.pid, signal.SIGKILL)
        except ProcessLookupError:  # it finished first: then all of it must be there
            killed = False
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait(timeout=30)

    dataset.reload()
    visible = dataset.count("big") if dataset.has_field("big") else 0
    assert visible in (0, size), (f"{visible:,} of {size:,} new values visible after kill -9 "
                                  f"{delay:.2f} s into the write (killed mid-write: {killed})")
    if visible:
        assert dataset.values("big") == list(range(size))
    if database == "sqlite":
        engine = sa.create_engine(fo.config.database_uri)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        engine.dispose()
    dataset.set_values("big", [1] * size)  # still writable
    assert dataset.count("big") == size


def test_loading_a_dataset_never_waits_for_a_writer(database):
    """last_loaded_at is bookkeeping: load_dataset and reload() skip it rather than queue behind a writer
    (inside a read snapshot on PostgreSQL, waiting would deadlock with a writer that waits for that read)."""
    from bakeoff.storage.engine import get_engine, write

    dataset = fo.Dataset("loaded", persistent=True)
    dataset.add_sample(fo.Sample("/a.jpg"))
    before = dataset.last_loaded_at
    engine = get_engine(fo.config.database_uri)
    done = threading.Event()

    def load_while_written():
        fo.load_dataset("loaded").reload()
        with fo.snapshot():
            fo.load_dataset("loaded")
        done.set()

    with write(engine):  # this thread writes; another loads
        worker = threading.Thread(target=load_while_written)
        worker.start()
        assert done.wait(20), "loading waited for the writer"
    worker.join()
    assert dataset.last_loaded_at == before  # skipped while the writer held the database
    fo.load_dataset("loaded")
    assert dataset.last_loaded_at > before  # and recorded when nobody writes
