"""``apply_model(..., backend="ray")``: decoding and encoding on Ray Data, scoring and writing on the driver.

:class:`RaySource` is the batch engine's source (:mod:`bakeoff.inference.engine`) for Ray,
split where the data is heaviest:

- driver: the rows to do (resume), file identities and embedding-cache hits — samples the
  cache answers never leave the driver;
- Ray Data: ``map_batches`` with :class:`ImageEncoder`, a callable class, one actor per model
  replica (``replicas=``, ``num_gpus=`` and ``num_cpus=`` per replica): read and decode each
  image once, run every model's own preprocessing, encode;
- driver: embeddings stream back batch by batch into the engine's sink (``apply_model``
  scores and writes each batch in one transaction, with the new embeddings for the cache;
  ``compute_embeddings`` adds them to the cache) — the local backend's resume, cache and
  bad-image rules hold.

Ray is found at ``RAY_ADDRESS`` (or ``ray_address=``), else a local Ray is started.

Example::

    dataset.apply_model(model, label_field="clip", backend="ray", replicas=4, num_gpus=1)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.errors import BakeoffError
from bakeoff.inference.engine import EmbeddingTask, Item, ModelTask, decode_sample, identify, needs_decoding
from bakeoff.inference.options import DecodeLimits, RayOptions, RunOptions

if TYPE_CHECKING:
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

    def __init__(self, models: Any, limits: DecodeLimits, threads: int, gpu: bool) -> None:
        from concurrent.futures import ThreadPoolExecutor

        import ray
        import torch

        self.models: dict[str, Any] = ray.get(models) if isinstance(models, ray.ObjectRef) else models
        if gpu and torch.cuda.is_available():  # Ray made the replica's GPU the only visible one
            for model in self.models.values():
                model.to("cuda")
        self.limits = limits
        torch.set_num_threads(threads)  # the replica's CPUs (Ray would otherwise leave torch one thread)
        self.decoders = ThreadPoolExecutor(max_workers=max(2, threads), thread_name_prefix="bakeoff-decode")

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        items = [Item(int(r), "", str(f)) for r, f in zip(batch["rowid"], batch["filepath"], strict=True)]
        tasks = [EmbeddingTask(name, model) for name, model in self.models.items()]
        for it, needs in zip(items, batch["needs"], strict=True):
            for task in tasks:
                if task.field in str(needs).split("\t"):
                    task.rowids.add(it.rowid)
        list(self.decoders.map(lambda it: decode_sample(it, tasks, self.limits), items))
        out: dict[str, Any] = {"rowid": batch["rowid"], "error": np.array([it.error or "" for it in items], dtype=object)}
        for task in tasks:
            ready = [it for it in items if it.error is None and task.field in it.tensors]
            vectors = task.model.encode_images([it.tensors.pop(task.field) for it in ready]) if ready else []
            by_row = {it.rowid: np.asarray(v, dtype=np.float32).tobytes() for it, v in zip(ready, vectors, strict=True)}
            out[f"emb:{task.field}"] = np.array([by_row.get(it.rowid, b"") for it in items], dtype=object)
        return out


class RaySource:
    """The engine's batches on Ray: cache hits from the driver first, then what the replicas encoded."""

    def __init__(self, collection: SampleCollection, tasks: Sequence[ModelTask], rows: list[tuple[int, str, str]],
                 options: RunOptions) -> None:
        self.ray_options = options.ray or RayOptions()
        self.ray = connect(self.ray_options.address)
        self.collection, self.tasks, self.rows, self.options = collection, tasks, rows, options
        self.decoded = 0
        self.extra: dict[str, Any] | None = self.ray_options.extra()

    def batches(self) -> Iterator[list[Item]]:
        # one Ray Data run per chunk bounds the driver's memory on millions of images
        for start in range(0, len(self.rows), RAY_CHUNK):
            yield from self._chunk(self.rows[start : start + RAY_CHUNK])

    def close(self) -> None:
        pass  # Ray Data's replicas end with their dataset

    def _chunk(self, rows: list[tuple[int, str, str]]) -> Iterator[list[Item]]:
        """Cache hits from the driver (no image leaves the disk), then the rest as the replicas encode it."""
        size = self.options.batch_size
        items: dict[int, Item] = {}
        remote: list[dict[str, Any]] = []
        local: list[Item] = []
        for start in range(0, len(rows), LOOKUP_CHUNK):
            chunk = [Item(*r) for r in rows[start : start + LOOKUP_CHUNK]]
            identify(self.collection, self.tasks, chunk, self.options.use_cache)
            for it in chunk:
                items[it.rowid] = it
                needs = needs_decoding(it, self.tasks)
                if needs:
                    remote.append({"rowid": it.rowid, "filepath": it.filepath, "needs": "\t".join(needs)})
                else:
                    local.append(it)
        for start in range(0, len(local), size):
            yield local[start : start + size]
        if remote:
            for batch in self._encoded_batches(items, remote):
                self.decoded += len(batch)
                yield batch

    def _encoded_batches(self, items: dict[int, Item], remote: list[dict[str, Any]]) -> Iterator[list[Item]]:
        """Batches of items with their remote embeddings (``item.remote``) or errors, as the replicas finish them."""
        from ray.data import DataContext

        ray, tasks, size, resources = self.ray, self.tasks, self.options.batch_size, self.ray_options
        context = DataContext.get_current()
        context.enable_progress_bars = False  # the driver's own bar counts committed samples
        models_ref = ray.put({t.field: t.model for t in tasks})
        num_gpus, num_cpus = resources.num_gpus, resources.num_cpus
        if num_cpus is None and not num_gpus:  # CPU replicas share the cluster's CPUs
            num_cpus = max(1.0, float(int(ray.cluster_resources().get("CPU", 1) // resources.replicas)))
        threads = max(1, int(num_cpus or 1))
        dataset = ray.data.from_items(remote, override_num_blocks=max(1, min(len(remote) // size, 64)))
        encoded = dataset.map_batches(
            ImageEncoder, fn_constructor_kwargs={"models": models_ref, "limits": self.options.decode_limits(),
                                                 "threads": threads, "gpu": bool(num_gpus)},
            batch_size=size, batch_format="numpy", concurrency=resources.replicas, num_gpus=num_gpus or None,
            num_cpus=num_cpus)  # Ray Data restarts a lost replica and retries its batch (max_restarts=-1 by default)
        for out in encoded.iter_batches(batch_size=size, batch_format="numpy", prefetch_batches=2):
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
