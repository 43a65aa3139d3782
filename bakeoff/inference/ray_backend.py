"""``apply_model(..., backend="ray")``: decoding and encoding on Ray Data, scoring and writing on the driver.

The stages are the local pipeline's, split where the data is heaviest:

- driver: the rows to do (resume), file identities and embedding-cache hits — samples the
  cache answers never leave the driver;
- Ray Data: ``map_batches`` with :class:`ImageEncoder`, a callable class, one actor per model
  replica (``replicas=``, ``num_gpus=`` and ``num_cpus=`` per replica): read and decode each
  image once, run every model's own preprocessing, encode;
- driver: embeddings stream back batch by batch; each batch is scored (the text embeddings
  are computed once, here) and written through the storage layer in one transaction, with the
  new embeddings for the cache — the local backend's resume, cache and bad-image rules hold.

Ray is found at ``RAY_ADDRESS`` (or ``ray_address=``), else a local Ray is started.

Example::

    dataset.apply_model(model, label_field="clip", backend="ray", replicas=4, num_gpus=1)
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.errors import BakeoffError
from bakeoff.inference.decode import DEFAULT_DRAFT_SIZE, DEFAULT_MAX_PIXELS, ImageDecodeError
from bakeoff.inference.pipeline import (
    Item,
    Progress,
    Task,
    _lookup_cache,
    begin,
    decode_sample,
    encode,
    finish,
    identify,
    interrupt,
    write_batch,
)

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.core.collection import SampleCollection

logger = logging.getLogger(__name__)

#: rows whose identity and cache entry are looked up per database read on the driver
LOOKUP_CHUNK = 2000
#: rows per Ray Data run (each run starts its replicas again: a few seconds)
RAY_CHUNK = 500_000


def import_ray():
    try:
        import ray
        import ray.data  # noqa: F401 - Ray Data is a separate extra of ray
    except ImportError:
        raise BakeoffError("backend='ray' needs Ray Data: pip install 'bakeoff[ray]' "
                           "(or pip install 'ray[data]')") from None
    return ray


def connect(address: str | None = None, **init_kwargs: Any):
    """Ray, connected: to ``address`` / ``RAY_ADDRESS`` if set, else a local Ray started here."""
    ray = import_ray()
    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS")
        ray.init(address=address, include_dashboard=False, ignore_reinit_error=True, log_to_driver=False,
                 **init_kwargs)
    return ray


class ImageEncoder:
    """One model replica (a Ray actor): decodes, preprocesses and encodes a batch of images."""

    def __init__(self, models: Any, max_pixels: int, draft_size: int | None, threads: int, gpu: bool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import ray
        import torch

        self.models: dict[str, Any] = ray.get(models) if isinstance(models, ray.ObjectRef) else models
        if gpu and torch.cuda.is_available():  # Ray made the replica's GPU the only visible one
            for model in self.models.values():
                model.to("cuda")
        self.max_pixels, self.draft_size = max_pixels, draft_size
        torch.set_num_threads(threads)  # the replica's CPUs (Ray would otherwise leave torch one thread)
        self.decoders = ThreadPoolExecutor(max_workers=max(2, threads), thread_name_prefix="bakeoff-decode")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [Item(int(r), "", str(f)) for r, f in zip(batch["rowid"], batch["filepath"], strict=True)]
        tasks = [Task(name, model, False, None, rowids=set()) for name, model in self.models.items()]
        for it, needs in zip(items, batch["needs"], strict=True):
            for task in tasks:
                if task.field in str(needs).split("\t"):
                    task.rowids.add(it.rowid)
        list(self.decoders.map(lambda it: decode_sample(it, tasks, self.max_pixels, self.draft_size), items))
        out: dict[str, Any] = {"rowid": batch["rowid"], "error": np.array([it.error or "" for it in items], dtype=object)}
        for task in tasks:
            ready = [it for it in items if it.error is None and task.field in it.tensors]
            vectors = encode(task, [it.tensors.pop(task.field) for it in ready]) if ready else []
            by_row = {it.rowid: np.asarray(v, dtype=np.float32).tobytes() for it, v in zip(ready, vectors, strict=True)}
            out[f"emb:{task.field}"] = np.array([by_row.get(it.rowid, b"") for it in items], dtype=object)
        return out


def run_on_ray(collection: SampleCollection, models: Mapping[str, Any], batch_size: int | None = None,
               store_logits: bool = False, confidence_thresh: float | None = None, skip_failures: bool = True,
               progress: Any = None, use_cache: bool = True, max_pixels: int | None = None,
               draft_size: int | None = None, replicas: int = 1, num_gpus: float = 0, num_cpus: float | None = None,
               ray_address: str | None = None) -> Any:
    """The Ray backend of :func:`bakeoff.inference.pipeline.run` (same arguments, plus the replicas' resources)."""
    if replicas < 1:
        raise ValueError(f"replicas must be >= 1, got {replicas}")
    ray = connect(ray_address)
    started = time.perf_counter()
    tasks, rows, batch_size = begin(collection, models, batch_size, store_logits, confidence_thresh)
    bar = Progress(progress, len(rows), ", ".join(models) + " (ray)")
    decoded = 0
    extra = {"backend": "ray", "replicas": replicas, "num_gpus_per_replica": num_gpus}
    try:
        # one Ray Data run per chunk bounds the driver's memory on millions of images
        for start in range(0, len(rows), RAY_CHUNK):
            decoded += _run_chunk(ray, collection, tasks, rows[start : start + RAY_CHUNK], batch_size, skip_failures,
                                  use_cache, bar, max_pixels or DEFAULT_MAX_PIXELS,
                                  draft_size if draft_size is not None else DEFAULT_DRAFT_SIZE, replicas, num_gpus,
                                  num_cpus)
    except BaseException:
        interrupt(collection, tasks, decoded, started, extra)  # the run info says this call stopped early
        raise
    finally:
        bar.close()
    return finish(collection, tasks, rows, batch_size, decoded, started, extra)


def _run_chunk(ray, collection, tasks: list[Task], rows: list, batch_size: int, skip_failures: bool,
               use_cache: bool, bar: Progress, max_pixels: int, draft_size: int | None, replicas: int,
               num_gpus: float, num_cpus: float | None) -> int:
    """Cache hits written on the driver, the rest encoded on Ray; returns the images decoded."""
    root = collection._root()
    items: dict[int, Item] = {}
    remote: list[dict[str, Any]] = []
    local: list[Item] = []
    for start in range(0, len(rows), LOOKUP_CHUNK):
        chunk = [Item(*r) for r in rows[start : start + LOOKUP_CHUNK]]
        identify(root, tasks, chunk, use_cache)
        for it in chunk:
            items[it.rowid] = it
            needs = [t.field for t in tasks if it.rowid in t.rowids and t.field not in it.cached]
            if needs:
                remote.append({"rowid": it.rowid, "filepath": it.filepath, "needs": "\t".join(needs)})
            else:
                local.append(it)
    for start in range(0, len(local), batch_size):  # answered by the cache: no image leaves the disk
        batch = local[start : start + batch_size]
        write_batch(collection, tasks, batch, use_cache)
        bar.advance(len(batch))
    if not remote:
        return 0
    return _stream(ray, collection, tasks, items, remote, batch_size, skip_failures, use_cache, bar, max_pixels,
                   draft_size, replicas, num_gpus, num_cpus)


def _stream(ray, collection, tasks: list[Task], items: dict[int, Item], remote: list[dict[str, Any]],
            batch_size: int, skip_failures: bool, use_cache: bool, bar: Progress, max_pixels: int,
            draft_size: int | None, replicas: int, num_gpus: float, num_cpus: float | None) -> int:
    """Send the images to the encoders; score and write each batch as it comes back. Returns the images decoded."""
    done = 0
    for batch in _encoded_batches(ray, tasks, items, remote, batch_size, max_pixels, draft_size, replicas, num_gpus,
                                  num_cpus):
        failed = next((it for it in batch if it.error is not None), None)
        if failed is not None and not skip_failures:
            write_batch(collection, tasks, [it for it in batch if it.error is None], use_cache)  # keep what is done
            raise ImageDecodeError(failed.filepath, failed.error)
        write_batch(collection, tasks, batch, use_cache)
        bar.advance(len(batch))
        done += len(batch)
    return done


def _encoded_batches(ray, tasks: list[Task], items: dict[int, Item], remote: list[dict[str, Any]], batch_size: int,
                     max_pixels: int, draft_size: int | None, replicas: int, num_gpus: float, num_cpus: float | None):
    """Batches of items with their remote embeddings (``item.remote``) or errors, as the replicas finish them."""
    from ray.data import DataContext

    context = DataContext.get_current()
    context.enable_progress_bars = False  # the driver's own bar counts committed samples
    models_ref = ray.put({t.field: t.model for t in tasks})
    if num_cpus is None and not num_gpus:  # CPU replicas share the cluster's CPUs
        num_cpus = max(1.0, float(int(ray.cluster_resources().get("CPU", 1) // replicas)))
    threads = max(1, int(num_cpus or 1))
    dataset = ray.data.from_items(remote, override_num_blocks=max(1, min(len(remote) // batch_size, 64)))
    encoded = dataset.map_batches(
        ImageEncoder, fn_constructor_kwargs={"models": models_ref, "max_pixels": max_pixels, "draft_size": draft_size,
                                             "threads": threads, "gpu": bool(num_gpus)},
        batch_size=batch_size, batch_format="numpy", concurrency=replicas, num_gpus=num_gpus or None,
        num_cpus=num_cpus)  # Ray Data restarts a lost replica and retries its batch (max_restarts=-1 by default)
    for out in encoded.iter_batches(batch_size=batch_size, batch_format="numpy", prefetch_batches=2):
        batch: list[Item] = []
        for i, rowid in enumerate(out["rowid"]):
            it = items[int(rowid)]
            error = str(out["error"][i])
            if error:
                it.error = error
            else:
                for task in tasks:
                    raw = out[f"emb:{task.field}"][i]
                    if raw:
                        it.remote[task.field] = np.frombuffer(raw, dtype=np.float32).copy()
            batch.append(it)
        yield batch


def warm_cache(collection: SampleCollection, model: Any, batch_size: int, skip_failures: bool, progress: Any,
               replicas: int = 1, num_gpus: float = 0, num_cpus: float | None = None,
               ray_address: str | None = None) -> None:
    """Encode on Ray every image of ``collection`` the embedding cache lacks for ``model`` (for compute_embeddings)."""
    from bakeoff.storage.embeddings import put_embeddings
    from bakeoff.storage.engine import write

    ray = connect(ray_address)
    root = collection._root()
    rows = list(zip(*collection._value_lists(["_rowid", "id", "filepath"]), strict=True)) if len(collection) else []
    task = Task("_embeddings", model, False, None, rowids={r[0] for r in rows})
    items = {r[0]: Item(*r) for r in rows}
    _lookup_cache(root, [task], list(items.values()))
    remote = [{"rowid": it.rowid, "filepath": it.filepath, "needs": task.field} for it in items.values()
              if task.field not in it.cached and it.identity is not None]
    bar = Progress(progress, len(remote), "embeddings (ray)")
    try:
        for batch in _encoded_batches(ray, [task], items, remote, batch_size, DEFAULT_MAX_PIXELS, DEFAULT_DRAFT_SIZE,
                                      replicas, num_gpus, num_cpus):
            failed = next((it for it in batch if it.error is not None), None)
            if failed is not None and not skip_failures:
                raise ImageDecodeError(failed.filepath, failed.error)
            with write(root._engine) as conn:
                put_embeddings(conn, model.fingerprint, [(it.filepath, *it.identity, it.remote.pop(task.field))
                                                         for it in batch if task.field in it.remote])
            bar.advance(len(batch))
    finally:
        bar.close()
