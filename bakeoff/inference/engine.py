"""The batch engine: one loop for every batch run (``apply_model``, ``compute_embeddings``, local or Ray).

A run is a *source* of batches and a *sink* that commits each one:

- a source (:class:`LocalSource` here, :class:`~bakeoff.inference.ray_backend.RaySource`
  on Ray) yields batches of :class:`Item`; every item of a batch carries, for each model
  that needs it, a cached embedding (:func:`identify`), an embedding encoded elsewhere, the
  preprocessed tensors to encode here (:func:`decode_sample`), or the reason it failed;
- :func:`embed` turns a batch into embeddings (encoding what is left, counting what came
  from where) and returns the new rows for the embedding cache;
- the sink writes a batch in one transaction (``apply_model``: labels, cache rows and the
  run's record; ``compute_embeddings``: cache rows);
- :func:`drive` is the loop: each batch to the sink, the progress advanced per committed
  batch, and the bad-image rule (``skip_failures=False`` keeps what came before the first
  failure, then raises :class:`ImageDecodeError`).

Every knob comes from one :class:`~bakeoff.inference.options.RunOptions`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from bakeoff._config import config
from bakeoff.core.interface import ROWID, database, value_lists
from bakeoff.media.decode import ImageDecodeError, file_identity, load_image

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.core.collection import SampleCollection
    from bakeoff.inference.options import DecodeLimits, RunOptions

logger = logging.getLogger(__name__)

#: rows for the embedding cache: fingerprint -> [(filepath, size, mtime, vector)]
CacheRows = dict[str, list[tuple[str, int, int, np.ndarray]]]


class ModelTask(Protocol):
    """What the engine needs of one model's share of a run (``pipeline.Task`` and :class:`EmbeddingTask`)."""

    field: str
    model: Any
    rowids: set[int]
    encoded: int
    from_cache: int
    encode_s: float


@dataclass
class EmbeddingTask:
    """One model encoding images for their embeddings only (``compute_embeddings``, Ray's replicas)."""

    field: str
    model: Any
    rowids: set[int] = dataclass_field(default_factory=set)
    encoded: int = 0
    from_cache: int = 0
    encode_s: float = 0.0


@dataclass
class Item:
    """A sample on its way through the engine."""

    rowid: int
    sample_id: str
    filepath: str
    identity: tuple[int, int] | None = None
    cached: dict[str, np.ndarray] = dataclass_field(default_factory=dict)  # field -> embedding
    remote: dict[str, np.ndarray] = dataclass_field(default_factory=dict)  # field -> embedding encoded elsewhere (Ray)
    tensors: dict[str, Any] = dataclass_field(default_factory=dict)        # field -> preprocessed input
    error: str | None = None
    decode_s: float = 0.0  # time this sample spent decoding and preprocessing in a worker


class Source(Protocol):
    """Batches of items ready for :func:`embed`; ``decoded`` counts the images decoded so far."""

    decoded: int
    #: what the run's record says about the backend (None: the local one)
    extra: dict[str, Any] | None

    def batches(self) -> Iterator[list[Item]]: ...

    def close(self) -> None: ...


def drive(source: Source, sink: Callable[[list[Item]], None], progress: Progress, skip_failures: bool) -> None:
    """Every batch of ``source`` into ``sink``, then ``progress`` advanced; the bad-image rule."""
    for batch in source.batches():
        failed = next((i for i, it in enumerate(batch) if it.error is not None), None)
        if failed is not None and not skip_failures:
            if failed:
                sink(batch[:failed])  # keep what is done
            raise ImageDecodeError(batch[failed].filepath, batch[failed].error or "")
        sink(batch)
        progress.advance(len(batch))


def rows_of(collection: Any) -> list[tuple[int, str, str]]:
    """``(rowid, sample id, filepath)`` of every sample of the collection, in its order."""
    return list(zip(*value_lists(collection, [ROWID, "id", "filepath"]), strict=True)) if len(collection) else []


def identify(collection: SampleCollection, tasks: Sequence[ModelTask], items: list[Item], use_cache: bool) -> None:
    """Each item's file identity, and with ``use_cache`` its cached embeddings (``item.cached``)."""
    from bakeoff.storage.embeddings import get_embeddings
    from bakeoff.storage.engine import read

    for it in items:
        try:
            it.identity = file_identity(it.filepath)
        except OSError:
            it.identity = None  # the decoder reports the problem
    if not use_cache:
        return
    by_fingerprint: dict[str, list[ModelTask]] = {}
    for task in tasks:
        by_fingerprint.setdefault(task.model.fingerprint, []).append(task)
    with read(database(collection)) as conn:
        for fingerprint, group in by_fingerprint.items():
            wanted = [it.filepath for it in items if it.identity is not None]
            found = get_embeddings(conn, fingerprint, wanted)
            for it in items:
                hit = found.get(it.filepath)
                if hit is not None and (hit[0], hit[1]) == it.identity:
                    for task in group:
                        if it.rowid in task.rowids:
                            it.cached[task.field] = hit[2]


def needs_decoding(item: Item, tasks: Sequence[ModelTask]) -> list[str]:
    """The fields of the models that must see the image (no cached embedding for them)."""
    return [t.field for t in tasks if item.rowid in t.rowids and t.field not in item.cached]


def decode_sample(item: Item, tasks: Sequence[ModelTask], limits: DecodeLimits) -> Item:
    """Worker thread: decode once, then each model's own preprocessing (only for models without a cached embedding)."""
    needs = [t for t in tasks if item.rowid in t.rowids and t.field not in item.cached]
    if not needs:
        return item
    started = time.perf_counter()
    try:
        image = load_image(item.filepath, max_pixels=limits.max_pixels, draft_size=limits.draft_size,
                           max_decoded_bytes=limits.max_decoded_bytes)
        for task in needs:
            item.tensors[task.field] = task.model.preprocess(image)
    except ImageDecodeError as error:
        item.error = error.reason
    except Exception as error:  # noqa: BLE001 - a model's preprocessing failing on one image fails that sample
        item.error = f"{type(error).__name__}: {error}"
    item.decode_s = time.perf_counter() - started
    return item


def embed(tasks: Sequence[ModelTask], batch: list[Item], use_cache: bool) -> CacheRows:
    """Every good item's embedding per model in ``item.cached``: from the cache, from a remote worker or
    encoded here (one call per model); the counts on each task; the new rows for the embedding cache."""
    cache_rows: CacheRows = {}

    def keep(task: ModelTask, it: Item, vector: np.ndarray) -> None:
        it.cached[task.field] = vector
        if it.identity is not None and use_cache:
            cache_rows.setdefault(task.model.fingerprint, []).append((it.filepath, *it.identity, vector))

    for task in tasks:
        good = [it for it in batch if it.rowid in task.rowids and it.error is None]
        arrived = [it for it in good if task.field in it.remote]
        for it in arrived:  # encoded by a remote worker: kept for the cache like a local encoding
            keep(task, it, it.remote.pop(task.field))
        to_encode = [it for it in good if task.field not in it.cached]
        if to_encode:
            started = time.perf_counter()
            fresh = task.model.encode_images([it.tensors.pop(task.field) for it in to_encode])
            task.encode_s += time.perf_counter() - started
            for it, vector in zip(to_encode, fresh, strict=True):
                keep(task, it, vector)
        task.encoded += len(arrived) + len(to_encode)
        task.from_cache += len(good) - len(to_encode) - len(arrived)
    return cache_rows


class LocalSource:
    """Decoding in worker threads while the model computes, a bounded number of images ahead of it."""

    extra: dict[str, Any] | None = None

    def __init__(self, collection: SampleCollection, tasks: Sequence[ModelTask], rows: list[tuple[int, str, str]],
                 options: RunOptions) -> None:
        self.collection, self.tasks, self.rows, self.options = collection, tasks, rows, options
        self.decoded = 0
        self.pool = ThreadPoolExecutor(max_workers=options.num_workers, thread_name_prefix="bakeoff-decode")
        self.tuner = ThreadTuner(list(tasks), options.batch_size)

    def batches(self) -> Iterator[list[Item]]:
        rows, tasks, size = self.rows, self.tasks, self.options.batch_size
        limits = self.options.decode_limits()
        window = max(2 * size, 4 * self.options.num_workers)
        pending: deque[tuple[Item, Future | None]] = deque()
        position = 0
        batch: list[Item] = []
        while position < len(rows) or pending:
            # keep the decoders busy, a bounded number of images ahead of the model
            while position < len(rows) and len(pending) < window:
                chunk = [Item(*r) for r in rows[position : position + size]]
                position += len(chunk)
                identify(self.collection, tasks, chunk, self.options.use_cache)
                for it in chunk:
                    needed = needs_decoding(it, tasks)
                    pending.append((it, self.pool.submit(decode_sample, it, tasks, limits) if needed else None))
            item, future = pending.popleft()
            if future is not None:
                future.result()
                self.decoded += 1
            batch.append(item)
            if len(batch) >= size or (position >= len(rows) and not pending):
                yield batch
                self.tuner.observe(batch)  # the sink has encoded it: the costs are known
                batch = []

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.tuner.restore()


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

    def __init__(self, tasks: list[ModelTask], batch_size: int) -> None:
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
