"""``apply_model``: read -> decode -> encode -> score -> write, streaming, resumable, cached.

The stages are separate functions so that another runner (Ray Data, a later
issue) can compose them differently:

- :func:`plan`: which samples each model must process (all, or those still
  missing after an interrupted run with the same settings);
- :func:`decode_sample` (worker threads): the file is decoded once and every
  model's own preprocessing is applied to it;
- :func:`encode` (main thread): a batch of tensors through one model;
- :func:`score`: embeddings -> labels, confidences, logits;
- :func:`write_batch`: one transaction per batch for every model's results and
  the embedding cache.

Image embeddings are cached per (model fingerprint, file, file size, mtime), so
applying the same model with new classes or prompts re-scores without decoding.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff._config import config
from bakeoff.errors import BakeoffError, FieldError
from bakeoff.inference.decode import (
    DEFAULT_DRAFT_SIZE,
    DEFAULT_MAX_PIXELS,
    ImageDecodeError,
    file_identity,
    load_image,
)
from bakeoff.inference.run_history import close_history, copy_history, open_history, record_batch

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection

logger = logging.getLogger(__name__)

RUN_TYPE = "model"
#: failures kept in a run's results (the count is always exact)


@dataclass
class Task:
    """One model writing one field."""

    field: str
    model: Any
    store_logits: bool
    confidence_thresh: float | None
    rowids: set[int] = field(default_factory=set)
    text_emb: np.ndarray | None = None
    num_failed: int = 0  # in this call
    from_cache: int = 0
    encoded: int = 0
    encode_s: float = 0.0
    written: int = 0
    #: set by :func:`plan`: whether this call resumes an interrupted run, that run's record, and how many
    #: samples of the collection had a value when this call started
    resume: bool = False
    previous: dict[str, Any] | None = None
    done_before: int = 0
    #: the run's config as saved while it runs, and its results: every call on the field (see :func:`open_history`)
    config: dict[str, Any] | None = None
    history: dict[str, Any] = field(default_factory=dict)
    #: failures past run_history.MAX_RECORDED_FAILURES, counted but not named: of earlier calls, and of this one
    earlier_unnamed: int = 0
    unnamed: int = 0

    def run_config(self, batch_size: int) -> dict[str, Any]:
        model = self.model
        return {"model": repr(model), "fingerprint": model.fingerprint, "scorer": model.scorer.to_config(),
                "classes": model.classes,
                "prompts": model.prompts(), "store_logits": self.store_logits,
                "confidence_thresh": self.confidence_thresh, "batch_size": batch_size}


@dataclass
class Item:
    """A sample on its way through the pipeline."""

    rowid: int
    sample_id: str
    filepath: str
    identity: tuple[int, int] | None = None
    cached: dict[str, np.ndarray] = field(default_factory=dict)  # field -> embedding
    remote: dict[str, np.ndarray] = field(default_factory=dict)  # field -> embedding encoded elsewhere (Ray)
    tensors: dict[str, Any] = field(default_factory=dict)        # field -> preprocessed input
    error: str | None = None
    decode_s: float = 0.0  # time this sample spent decoding and preprocessing in a worker


@dataclass
class Summary:
    """What a call to apply_model(s) did."""

    num_samples: int = 0
    decoded: int = 0
    failed: int = 0
    duration_s: float = 0.0
    per_field: dict[str, dict[str, int]] = field(default_factory=dict)


def _prepare_tasks(collection: SampleCollection, models: Mapping[str, Any], store_logits: bool,
                   confidence_thresh: float | None, batch_size: int) -> list[Task]:
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classification
    from bakeoff.storage.identifiers import check_field_name, check_no_case_clash

    root = collection._root()
    tasks = []
    for label_field in models:
        check_field_name(label_field)
    check_no_case_clash(models, root._sync()[0].fields)  # before any model work or any field is made
    for label_field, model in models.items():
        if not hasattr(model, "encode_images") or not hasattr(model, "fingerprint"):
            raise TypeError(f"{label_field!r}: {model!r} is not a zero-shot model; load one with "
                            "bakeoff.zoo.load_zoo_model(...)")
        if root.has_field(label_field):
            existing = root.get_field(label_field)
            if not (isinstance(existing, EmbeddedDocumentField) and issubclass(existing.document_type, Classification)):
                raise FieldError(f"field {label_field!r} exists as {existing!r}; pick another label_field")
        task = Task(label_field, model, store_logits, confidence_thresh)
        task.text_emb = model.text_embeddings()  # fails early without classes; cached per prompt
        tasks.append(task)
    for task in tasks:
        if not root.has_field(task.field):
            root.add_sample_field(task.field, EmbeddedDocumentField, embedded_doc_type=Classification)
    return tasks


def plan(collection: SampleCollection, tasks: list[Task], batch_size: int) -> list[tuple[int, str, str]]:
    """Rows to process; each task's ``rowids`` are all rows, or on resume the ones still missing."""
    from bakeoff.core.expressions import ViewField as F

    root = collection._root()
    rows = list(zip(*collection._value_lists(["_rowid", "id", "filepath"]), strict=True)) if len(collection) else []
    for task in tasks:
        previous = root._load_run(RUN_TYPE, task.field)
        config = task.run_config(batch_size)
        resume = (previous is not None and (previous["config"] or {}).get("status") == "running"
                  and {k: v for k, v in previous["config"].items() if k not in ("status", "batch_size")}
                  == {k: v for k, v in config.items() if k != "batch_size"})
        task.resume, task.previous = resume, previous
        if resume:
            missing = collection.match(~F(task.field).exists())
            task.rowids = set(missing._value_lists(["_rowid"])[0]) if len(missing) else set()
            task.done_before = len(rows) - len(task.rowids)
            logger.info("resuming %r: %d samples left", task.field, len(task.rowids))
        else:
            task.rowids = {r[0] for r in rows}
            task.done_before = 0
    needed = set().union(*(t.rowids for t in tasks)) if tasks else set()
    return [r for r in rows if r[0] in needed]


def decode_sample(item: Item, tasks: list[Task], max_pixels: int, draft_size: int | None) -> Item:
    """Worker thread: decode once, then each model's own preprocessing (only for models without a cached embedding)."""
    needs = [t for t in tasks if item.rowid in t.rowids and t.field not in item.cached]
    if not needs:
        return item
    started = time.perf_counter()
    try:
        image = load_image(item.filepath, max_pixels=max_pixels, draft_size=draft_size)
        for task in needs:
            item.tensors[task.field] = task.model.preprocess(image)
    except ImageDecodeError as error:
        item.error = error.reason
    except Exception as error:  # noqa: BLE001 - a model's preprocessing failing on one image fails that sample
        item.error = f"{type(error).__name__}: {error}"
    item.decode_s = time.perf_counter() - started
    return item


def encode(task: Task, tensors: list[Any]) -> np.ndarray:
    return task.model.encode_images(tensors)


def score(task: Task, embeddings: np.ndarray) -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """Labels, confidences and logits for a batch of embeddings."""
    from bakeoff.models.scoring import top_predictions

    logits = task.model.score(embeddings, task.text_emb)
    probs = task.model.probabilities(logits)
    index, confidence = top_predictions(probs)
    classes = task.model.classes
    labels: list[str | None] = [classes[i] for i in index]
    if task.confidence_thresh is not None:
        labels = [lab if c >= task.confidence_thresh else None for lab, c in zip(labels, confidence, strict=True)]
    return labels, np.asarray(confidence, dtype=float), logits


def write_batch(collection: SampleCollection, tasks: list[Task], batch: list[Item], use_cache: bool = True) -> None:
    """One transaction: every task's labels for the batch, and new embeddings for the cache."""
    from bakeoff.storage import catalog
    from bakeoff.storage import samples as store
    from bakeoff.storage.embeddings import put_embeddings
    from bakeoff.storage.engine import write

    root = collection._root()
    _, table = root._sync()
    now = catalog.utcnow()
    updates: list[tuple[list[dict[str, Any]]]] = []
    histories: list[tuple[Task, list[str], list[tuple[str, str]]]] = []
    cache_rows: dict[str, list[tuple[str, int, int, np.ndarray]]] = {}
    for task in tasks:
        members = [it for it in batch if it.rowid in task.rowids]
        good = [it for it in members if it.error is None]
        arrived = [it for it in good if task.field in it.remote]
        for it in arrived:  # encoded by a remote worker: kept for the cache like a local encoding
            vector = it.cached[task.field] = it.remote.pop(task.field)
            if it.identity is not None and use_cache:
                cache_rows.setdefault(task.model.fingerprint, []).append(
                    (it.filepath, it.identity[0], it.identity[1], vector))
        task.encoded += len(arrived)
        to_encode = [it for it in good if task.field not in it.cached]
        if to_encode:
            started = time.perf_counter()
            fresh = encode(task, [it.tensors.pop(task.field) for it in to_encode])
            task.encode_s += time.perf_counter() - started
            for it, vector in zip(to_encode, fresh, strict=True):
                it.cached[task.field] = vector
                if it.identity is not None and use_cache:
                    cache_rows.setdefault(task.model.fingerprint, []).append(
                        (it.filepath, it.identity[0], it.identity[1], vector))
            task.encoded += len(to_encode)
        task.from_cache += len(good) - len(to_encode) - len(arrived)
        rows = []
        if good:
            labels, confidences, logits = score(task, np.stack([it.cached[task.field] for it in good]))
            f = task.field
            for i, it in enumerate(good):
                rows.append({store.ROWID: it.rowid, "last_modified_at": now, f: True, f"{f}.label": labels[i],
                             f"{f}.confidence": float(confidences[i]),
                             f"{f}.logits": logits[i].astype(np.float32) if task.store_logits else None})
        failed = [(it.sample_id, it.error) for it in members if it.error is not None]
        for it in members:
            if it.error is not None:
                task.num_failed += 1
                f = task.field
                rows.append({store.ROWID: it.rowid, "last_modified_at": now, f: None, f"{f}.label": None,
                             f"{f}.confidence": None, f"{f}.logits": None})
        task.written += len(rows)
        updates.append((rows,))
        histories.append((task, [it.sample_id for it in good], failed))
    kept = [(task, copy_history(task.history), task.unnamed) for task, _, _ in histories if task.config is not None]
    for task, succeeded, failed in histories:
        if task.config is not None:
            record_batch(task, succeeded, failed)
    try:
        with write(root._engine) as conn:
            for (rows,) in updates:
                if rows:
                    store.update_rows(conn, table, store.ROWID, rows)
            for fingerprint, rows in cache_rows.items():
                put_embeddings(conn, fingerprint, rows)
            for task, _, _ in histories:  # the run's record moves with its values: exact even after kill -9
                if task.config is not None:
                    catalog.put_run(conn, root._id, RUN_TYPE, task.field, task.config, task.history)
    except BaseException:
        for task, history, unnamed in kept:  # nothing of this batch was written
            task.history, task.unnamed = history, unnamed
        raise


def interrupt(collection: SampleCollection, tasks: list[Task], decoded: int, started: float,
              extra: dict[str, Any] | None = None) -> None:
    """Record that this call stopped early (an exception, Ctrl-C); the status stays "running" so the next call resumes."""
    root = collection._root()
    for task in tasks:
        if task.config is None or not task.history:
            continue
        results = close_history(task, True, decoded, time.perf_counter() - started, extra)
        try:
            root._save_run(RUN_TYPE, task.field, task.config, results)
        except Exception:  # noqa: BLE001 - never hide the error that stopped the run; the next call fills this in
            logger.debug("could not record the interruption of %r", task.field, exc_info=True)


def identify(root, tasks: list[Task], items: list[Item], use_cache: bool) -> None:
    """Each item's file identity, and with ``use_cache`` its cached embeddings (``item.cached``)."""
    if use_cache:
        _lookup_cache(root, tasks, items)
        return
    for it in items:
        try:
            it.identity = file_identity(it.filepath)
        except OSError:
            it.identity = None  # the decoder reports the problem


def _lookup_cache(root, tasks: list[Task], items: list[Item]) -> None:
    from bakeoff.storage.embeddings import get_embeddings
    from bakeoff.storage.engine import read

    for it in items:
        try:
            it.identity = file_identity(it.filepath)
        except OSError:
            it.identity = None  # the decoder reports the problem
    by_fingerprint: dict[str, list[Task]] = {}
    for task in tasks:
        by_fingerprint.setdefault(task.model.fingerprint, []).append(task)
    with read(root._engine) as conn:
        for fingerprint, group in by_fingerprint.items():
            wanted = [it.filepath for it in items if it.identity is not None]
            found = get_embeddings(conn, fingerprint, wanted)
            for it in items:
                hit = found.get(it.filepath)
                if hit is not None and (hit[0], hit[1]) == it.identity:
                    for task in group:
                        if it.rowid in task.rowids:
                            it.cached[task.field] = hit[2]


class Progress:
    """A tqdm bar, or the caller's ``progress(done, total)`` callback, advanced per committed batch."""

    def __init__(self, progress: Any, total: int, desc: str) -> None:
        from tqdm.auto import tqdm

        self.callback = progress if callable(progress) else None
        show = False if self.callback else (config.show_progress_bars if progress is None else bool(progress))
        self.total, self.done = total, 0
        self.bar = tqdm(total=total, unit="img", desc=desc, disable=not show, smoothing=0.1)
        if self.callback is not None:
            self.callback(0, total)

    def advance(self, n: int) -> None:
        self.done += n
        self.bar.update(n)
        if self.callback is not None:
            self.callback(self.done, self.total)

    def close(self) -> None:
        self.bar.close()


def begin(collection: SampleCollection, models: Mapping[str, Any], batch_size: int | None, store_logits: bool,
          confidence_thresh: float | None) -> tuple[list[Task], list[tuple[int, str, str]], int]:
    """Check the arguments, register the fields and the runs (status "running"); the rows to process."""
    if not models:
        raise ValueError("apply_models() got no models; pass {'field_name': model, ...}")
    batch_size = int(batch_size or config.default_batch_size or 32)
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    root = collection._root()
    tasks = _prepare_tasks(collection, models, store_logits, confidence_thresh, batch_size)
    rows = plan(collection, tasks, batch_size)
    for task in tasks:
        task.config = {**task.run_config(batch_size), "status": "running"}
        open_history(task, len(task.rowids))
        root._save_run(RUN_TYPE, task.field, task.config, task.history)
    return tasks, rows, batch_size


def finish(collection: SampleCollection, tasks: list[Task], rows: list, batch_size: int, decoded: int,
           started: float, extra: dict[str, Any] | None = None) -> Summary:
    """Mark the runs complete with their counts and failures; the summary."""
    root = collection._root()
    summary = Summary(num_samples=len(rows), decoded=decoded, duration_s=time.perf_counter() - started)
    for task in tasks:
        summary.failed += task.num_failed
        summary.per_field[task.field] = {"processed": len(task.rowids), "encoded": task.encoded,
                                         "from_cache": task.from_cache, "failed": task.num_failed}
        results = close_history(task, False, decoded, summary.duration_s, extra)
        root._save_run(RUN_TYPE, task.field, {**task.run_config(batch_size), "status": "complete"}, results)
    root._analyze(len(rows))
    if summary.failed:
        logger.warning("%d of %d images could not be read; their fields are empty and the errors are in "
                       "dataset.get_model_run_info(field)['results']['failures']", summary.failed, len(rows))
    return summary


class ThreadTuner:
    """Gives the CPU to decoding when the model is the cheap part.

    On a CPU, torch's intra-op threads spin while they wait and crowd out the decoding
    threads: with a tiny model on 2 cores, apply_model ran 2.7x slower with torch on 2
    threads than on 1. After a few batches, if encoding an image takes less time than
    decoding one, torch gets one thread for the rest of the run; a big model (ViT-B/32:
    52 ms to encode vs 2.5 ms to decode) keeps all of them. The setting is restored at the end.

    torch's thread count belongs to the whole process, so it is lowered only while this run
    is the only one in the process (the App may run several jobs at once, each in a thread):
    a run that starts while another has lowered it puts it back first, and from then on no
    run lowers it until they are all done.
    """

    _lock = threading.Lock()
    _active: set[int] = set()          # ids of the tuners of runs in progress
    _lowered_by: int | None = None     # the tuner that lowered the thread count, if any
    _threads_before = 0                # the thread count it found

    def __init__(self, tasks: list[Task], batch_size: int) -> None:
        import torch

        self.torch = torch
        self.tasks = tasks
        self.on_cpu = all(str(getattr(t.model, "device", "cpu")).startswith("cpu") for t in tasks)
        self.min_images = 2 * batch_size
        self.decode_s, self.decoded, self.decided = 0.0, 0, not self.on_cpu
        cls = type(self)
        with cls._lock:
            if cls._lowered_by is not None:  # another run lowered it: give it back to everyone
                torch.set_num_threads(cls._threads_before)
                cls._lowered_by = None
            cls._active.add(id(self))
        self.threads = torch.get_num_threads()
        if self.threads <= 1:
            self.decided = True

    def observe(self, batch: list[Item]) -> None:
        if self.decided:
            return
        for it in batch:
            if it.decode_s:
                self.decode_s, self.decoded = self.decode_s + it.decode_s, self.decoded + 1
        encoded = sum(t.encoded for t in self.tasks)
        if encoded < self.min_images or not self.decoded:
            return
        self.decided = True
        encode_per_image = sum(t.encode_s for t in self.tasks) / encoded
        decode_per_image = self.decode_s / self.decoded
        if encode_per_image >= decode_per_image:
            return
        cls = type(self)
        with cls._lock:
            if cls._active != {id(self)}:
                logger.debug("decode-bound, but other runs share torch's threads: left at %d", self.threads)
                return
            logger.debug("decode-bound (%.2f ms to decode, %.2f ms to encode an image): torch on 1 thread",
                         decode_per_image * 1e3, encode_per_image * 1e3)
            cls._lowered_by, cls._threads_before = id(self), self.torch.get_num_threads()
            self.torch.set_num_threads(1)

    def restore(self) -> None:
        cls = type(self)
        with cls._lock:
            cls._active.discard(id(self))
            if cls._lowered_by == id(self):
                self.torch.set_num_threads(cls._threads_before)
                cls._lowered_by = None


BACKENDS = ("local", "ray")


def run(collection: SampleCollection, models: Mapping[str, Any], batch_size: int | None = None,
        num_workers: int | None = None, store_logits: bool = False, confidence_thresh: float | None = None,
        skip_failures: bool = True, progress: bool | Callable[[int, int], Any] | None = None,
        use_cache: bool = True, max_pixels: int | None = None, draft_size: int | None = None,
        backend: str | None = None, **backend_options: Any) -> Summary:
    """Apply several models in one pass over the images (see :meth:`SampleCollection.apply_models`).

    ``progress`` may be a callable instead of a bool: it is called as ``progress(done, total)``
    after every committed batch (and once with ``done=0`` at the start) instead of drawing a bar.
    An exception it raises stops the run with every committed batch kept, so the next call resumes.
    ``backend="ray"`` runs reading, decoding and encoding on Ray Data (see :mod:`bakeoff.inference.ray_backend`).
    """
    backend = backend or config.backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {list(BACKENDS)} "
                         "(argument backend=, bakeoff.config.backend or BAKEOFF_BACKEND)")
    if backend == "ray":
        from bakeoff.inference.ray_backend import run_on_ray

        return run_on_ray(collection, models, batch_size=batch_size, store_logits=store_logits,
                          confidence_thresh=confidence_thresh, skip_failures=skip_failures, progress=progress,
                          use_cache=use_cache, max_pixels=max_pixels, draft_size=draft_size, **backend_options)
    if backend_options:
        raise TypeError(f"options {sorted(backend_options)} are for backend='ray', not the local backend")
    started = time.perf_counter()
    tasks, rows, batch_size = begin(collection, models, batch_size, store_logits, confidence_thresh)
    workers = num_workers or min(8, max(2, os.cpu_count() or 2))
    max_pixels = max_pixels or DEFAULT_MAX_PIXELS
    draft = draft_size if draft_size is not None else DEFAULT_DRAFT_SIZE
    root = collection._root()
    decoded = 0
    bar = Progress(progress, len(rows), ", ".join(models))
    window = max(2 * batch_size, 4 * workers)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bakeoff-decode")
    tuner = ThreadTuner(tasks, batch_size)
    stopped = True
    try:
        pending: deque[tuple[Item, Future | None]] = deque()
        position = 0
        batch: list[Item] = []
        while position < len(rows) or pending:
            # keep the decoders busy, a bounded number of images ahead of the model
            while position < len(rows) and len(pending) < window:
                chunk = [Item(*r) for r in rows[position : position + batch_size]]
                position += len(chunk)
                identify(root, tasks, chunk, use_cache)
                for it in chunk:
                    needs = any(it.rowid in t.rowids and t.field not in it.cached for t in tasks)
                    pending.append((it, pool.submit(decode_sample, it, tasks, max_pixels, draft) if needs else None))
            item, future = pending.popleft()
            if future is not None:
                future.result()
                decoded += 1
            if item.error is not None and not skip_failures:
                write_batch(collection, tasks, batch, use_cache)  # keep what is done
                raise ImageDecodeError(item.filepath, item.error)
            batch.append(item)
            if len(batch) >= batch_size or (position >= len(rows) and not pending):
                write_batch(collection, tasks, batch, use_cache)
                tuner.observe(batch)
                bar.advance(len(batch))
                batch = []
        if batch:
            write_batch(collection, tasks, batch, use_cache)
            bar.advance(len(batch))
        stopped = False
    finally:
        if stopped:
            interrupt(collection, tasks, decoded, started)
        pool.shutdown(wait=True, cancel_futures=True)
        tuner.restore()
        bar.close()
    return finish(collection, tasks, rows, batch_size, decoded, started)


def compute_embeddings(collection: SampleCollection, model: Any, batch_size: int | None = None,
                       num_workers: int | None = None, skip_failures: bool = True, progress: bool | None = None,
                       embeddings_field: str | None = None, backend: str | None = None,
                       **backend_options: Any) -> np.ndarray:
    """Image embeddings ``[n, d]`` in collection order (NaN rows for unreadable images), via the cache.

    With ``backend="ray"`` the images the cache lacks are encoded on Ray first.
    """
    from tqdm.auto import tqdm

    batch_size = int(batch_size or config.default_batch_size or 32)
    backend = backend or config.backend
    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; use one of {list(BACKENDS)}")
    if backend == "ray":
        from bakeoff.inference.ray_backend import warm_cache

        warm_cache(collection, model, batch_size, skip_failures, progress, **backend_options)
    elif backend_options:
        raise TypeError(f"options {sorted(backend_options)} are for backend='ray', not the local backend")
    workers = num_workers or min(8, max(2, os.cpu_count() or 2))
    root = collection._root()
    rows = list(zip(*collection._value_lists(["_rowid", "id", "filepath"]), strict=True)) if len(collection) else []
    task = Task("_embeddings", model, False, None, rowids={r[0] for r in rows})
    show = config.show_progress_bars if progress is None else progress
    out: list[np.ndarray | None] = []
    from bakeoff.storage.embeddings import put_embeddings
    from bakeoff.storage.engine import write

    with ThreadPoolExecutor(max_workers=workers) as pool, tqdm(total=len(rows), unit="img", disable=not show) as bar:
        for start in range(0, len(rows), batch_size):
            items = [Item(*r) for r in rows[start : start + batch_size]]
            _lookup_cache(root, [task], items)
            list(pool.map(lambda it: decode_sample(it, [task], DEFAULT_MAX_PIXELS, DEFAULT_DRAFT_SIZE), items))
            bad = [it for it in items if it.error is not None]
            if bad and not skip_failures:
                raise ImageDecodeError(bad[0].filepath, bad[0].error)
            todo = [it for it in items if it.error is None and task.field not in it.cached]
            if todo:
                vectors = model.encode_images([it.tensors.pop(task.field) for it in todo])
                for it, v in zip(todo, vectors, strict=True):
                    it.cached[task.field] = v
                with write(root._engine) as conn:
                    put_embeddings(conn, model.fingerprint,
                                   [(it.filepath, *it.identity, it.cached[task.field]) for it in todo
                                    if it.identity is not None])
            out.extend(it.cached.get(task.field) for it in items)
            bar.update(len(items))
    dim = next((v.shape[0] for v in out if v is not None), 0)
    matrix = np.stack([v if v is not None else np.full(dim, np.nan, np.float32) for v in out]) if out \
        else np.zeros((0, dim), np.float32)
    if embeddings_field:
        collection.set_values(embeddings_field, [None if np.isnan(v).any() else v for v in matrix])
    return matrix


def list_model_runs(dataset) -> list[str]:
    return [r["key"] for r in dataset._list_runs(RUN_TYPE)]


def get_model_run_info(dataset, label_field: str) -> dict[str, Any]:
    run = dataset._load_run(RUN_TYPE, label_field)
    if run is None:
        raise BakeoffError(f"no model run wrote {label_field!r} on dataset {dataset.name!r}; "
                           f"model runs: {list_model_runs(dataset)}")
    return {"key": label_field, "config": run["config"], "results": run["results"], "timestamp": run["updated_at"]}
