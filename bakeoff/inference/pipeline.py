"""``apply_model``: read -> decode -> encode -> score -> write, streaming, resumable, cached.

The batch loop is the engine's (:mod:`bakeoff.inference.engine`), the same for both
backends and for :func:`compute_embeddings`; this module says what a model run adds:

- :func:`begin`: check the models, register the fields and the runs, and :func:`plan` which
  samples each model must process (all, or those still missing after an interrupted run
  with the same settings);
- :func:`write_batch` (the engine's sink): the batch's embeddings (:func:`~bakeoff.inference.engine.embed`),
  :func:`score` into labels, confidences and logits, and one transaction per batch for every
  model's results, the embedding cache and the runs' records;
- :func:`finish` / :func:`interrupt`: the runs' records at the end, or when the call stops early.

Image embeddings are cached per (model fingerprint, file, file size, mtime), so
applying the same model with new classes or prompts re-scores without decoding.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import TYPE_CHECKING, Any

import numpy as np

from bakeoff.core.interface import (
    ROWID,
    RowWriter,
    RunRecord,
    RunStore,
    database,
    refresh_statistics,
    root_dataset,
    value_lists,
)
from bakeoff.errors import BakeoffError, FieldError, InvalidOptionError, NotAModelError
from bakeoff.inference.engine import (
    EmbeddingTask,
    Item,
    LocalSource,
    Progress,
    Source,
    drive,
    embed,
    rows_of,
)
from bakeoff.inference.options import RunOptions
from bakeoff.inference.run_history import close_history, copy_history, open_history, record_batch

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset

logger = logging.getLogger(__name__)

RUN_TYPE = "model"


@dataclass
class Task:
    """One model writing one field."""

    field: str
    model: Any
    store_logits: bool
    confidence_thresh: float | None
    rowids: set[int] = dataclass_field(default_factory=set)
    text_emb: np.ndarray | None = None
    num_failed: int = 0  # in this call
    from_cache: int = 0
    encoded: int = 0
    encode_s: float = 0.0
    #: set by :func:`plan`: whether this call resumes an interrupted run, that run's record, and how many
    #: samples of the collection had a value when this call started
    resume: bool = False
    previous: RunRecord | None = None
    done_before: int = 0
    #: the run's config as saved while it runs, and its results: every call on the field (see :func:`open_history`)
    config: dict[str, Any] | None = None
    history: dict[str, Any] = dataclass_field(default_factory=dict)
    #: failures past run_history.MAX_RECORDED_FAILURES, counted but not named: of earlier calls, and of this one
    earlier_unnamed: int = 0
    unnamed: int = 0

    def run_config(self, batch_size: int) -> dict[str, Any]:
        model = self.model
        config = {"model": repr(model), "fingerprint": model.fingerprint, "scorer": model.scorer.to_config(),
                  "classes": model.classes,
                  "prompts": model.prompts(), "store_logits": self.store_logits,
                  "confidence_thresh": self.confidence_thresh, "batch_size": batch_size}
        collisions = model.prompt_collisions() if hasattr(model, "prompt_collisions") else []
        if collisions:  # classes every image scores alike (the model warned when it encoded the prompts)
            config["prompt_collisions"] = collisions
        return config


@dataclass
class Summary:
    """What a call to apply_model(s) did."""

    num_samples: int = 0
    decoded: int = 0
    failed: int = 0
    duration_s: float = 0.0
    per_field: dict[str, dict[str, int]] = dataclass_field(default_factory=dict)


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
    The arguments are checked and defaulted by :meth:`RunOptions.build`.
    """
    options = RunOptions.build(batch_size=batch_size, num_workers=num_workers, store_logits=store_logits,
                               confidence_thresh=confidence_thresh, skip_failures=skip_failures, progress=progress,
                               use_cache=use_cache, max_pixels=max_pixels, draft_size=draft_size, backend=backend,
                               **backend_options)
    return run_models(collection, models, options)


def run_models(collection: SampleCollection, models: Mapping[str, Any], options: RunOptions) -> Summary:
    """:func:`run` with its options built: the fields and runs registered, the engine driven, the runs closed."""
    if options.backend == "ray":  # a missing Ray fails before any field or run is registered
        from bakeoff.inference.ray_backend import connect

        connect(options.ray.address if options.ray else None)
    started = time.perf_counter()
    tasks, rows = begin(collection, models, options)
    with ExitStack() as cleanup:
        bar = Progress(options.progress, len(rows), ", ".join(models) + (" (ray)" if options.backend == "ray" else ""))
        cleanup.callback(bar.close)
        source = open_source(collection, tasks, rows, options)
        cleanup.callback(source.close)  # first: the decoders stop, torch gets its threads back
        try:
            drive(source, lambda batch: write_batch(collection, tasks, batch, options.use_cache), bar,
                  options.skip_failures)
        except BaseException:
            interrupt(collection, tasks, source.decoded, started, source.extra)  # the next call resumes
            raise
    return finish(collection, tasks, rows, options.batch_size, source.decoded, started, source.extra)


def open_source(collection: SampleCollection, tasks: list[Any], rows: list[tuple[int, str, str]],
                options: RunOptions) -> Source:
    """The batches of the options' backend."""
    if options.backend == "ray":
        from bakeoff.inference.ray_backend import RaySource

        return RaySource(collection, tasks, rows, options)
    return LocalSource(collection, tasks, rows, options)


def begin(collection: SampleCollection, models: Mapping[str, Any],
          options: RunOptions) -> tuple[list[Task], list[tuple[int, str, str]]]:
    """Check the models, register the fields and the runs (status "running"); the rows to process."""
    if not models:
        raise InvalidOptionError("apply_models() got no models; pass {'field_name': model, ...}")
    runs = RunStore(collection, RUN_TYPE)
    tasks = _prepare_tasks(collection, models, options)
    rows = plan(collection, tasks, options.batch_size)
    for task in tasks:
        task.config = {**task.run_config(options.batch_size), "status": "running"}
        open_history(task, len(task.rowids))
        runs.save(task.field, task.config, task.history)
    return tasks, rows


def check_model(name: str, model: Any) -> None:
    """A zero-shot model (what the engine calls on it), else :class:`NotAModelError`."""
    if not hasattr(model, "encode_images") or not hasattr(model, "fingerprint"):
        raise NotAModelError(f"{name!r}: {model!r} is not a zero-shot model; load one with "
                             "bakeoff.zoo.load_zoo_model(...)")


def _prepare_tasks(collection: SampleCollection, models: Mapping[str, Any], options: RunOptions) -> list[Task]:
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classification
    from bakeoff.storage.identifiers import check_field_name, check_no_case_clash

    root = root_dataset(collection)
    tasks = []
    for label_field in models:
        check_field_name(label_field)
    check_no_case_clash(models, root.get_field_schema())  # before any model work or any field is made
    for label_field, model in models.items():
        check_model(label_field, model)
        if root.has_field(label_field):
            existing = root.get_field(label_field)
            if not (isinstance(existing, EmbeddedDocumentField) and issubclass(existing.document_type, Classification)):
                raise FieldError(f"field {label_field!r} exists as {existing!r}; pick another label_field")
        task = Task(label_field, model, options.store_logits, options.confidence_thresh)
        task.text_emb = model.text_embeddings()  # fails early without classes; cached per prompt
        tasks.append(task)
    for task in tasks:
        if not root.has_field(task.field):
            root.add_sample_field(task.field, EmbeddedDocumentField, embedded_doc_type=Classification)
    return tasks


def plan(collection: SampleCollection, tasks: list[Task], batch_size: int) -> list[tuple[int, str, str]]:
    """Rows to process; each task's ``rowids`` are all rows, or on resume the ones still missing."""
    from bakeoff.core.expressions import ViewField as F

    runs = RunStore(collection, RUN_TYPE)
    rows = rows_of(collection)
    for task in tasks:
        previous = runs.load(task.field)
        config = task.run_config(batch_size)
        resume = (previous is not None and (previous["config"] or {}).get("status") == "running"
                  and {k: v for k, v in previous["config"].items() if k not in ("status", "batch_size")}
                  == {k: v for k, v in config.items() if k != "batch_size"})
        task.resume, task.previous = resume, previous
        if resume:
            missing = collection.match(~F(task.field).exists())
            task.rowids = set(value_lists(missing, [ROWID])[0]) if len(missing) else set()
            task.done_before = len(rows) - len(task.rowids)
            logger.info("resuming %r: %d samples left", task.field, len(task.rowids))
        else:
            task.rowids = {r[0] for r in rows}
            task.done_before = 0
    needed = set().union(*(t.rowids for t in tasks)) if tasks else set()
    return [r for r in rows if r[0] in needed]


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
    """One transaction: every task's labels for the batch, new embeddings for the cache, the runs' records."""
    from bakeoff.storage import catalog
    from bakeoff.storage.embeddings import put_embeddings
    from bakeoff.storage.engine import write

    writer = RowWriter(collection)  # the table as of now: the fields were added by begin()
    runs = RunStore(collection, RUN_TYPE)
    now = catalog.utcnow()
    cache_rows = embed(tasks, batch, use_cache)
    updates: list[list[dict[str, Any]]] = []
    histories: list[tuple[Task, list[str], list[tuple[str, str]]]] = []
    for task in tasks:
        f = task.field
        members = [it for it in batch if it.rowid in task.rowids]
        good = [it for it in members if it.error is None]
        rows = []
        if good:
            labels, confidences, logits = score(task, np.stack([it.cached[f] for it in good]))
            for i, it in enumerate(good):
                rows.append({ROWID: it.rowid, "last_modified_at": now, f: True, f"{f}.label": labels[i],
                             f"{f}.confidence": float(confidences[i]),
                             f"{f}.logits": logits[i].astype(np.float32) if task.store_logits else None})
        failed = [(it.sample_id, it.error) for it in members if it.error is not None]
        task.num_failed += len(failed)
        rows.extend({ROWID: it.rowid, "last_modified_at": now, f: None, f"{f}.label": None,
                     f"{f}.confidence": None, f"{f}.logits": None} for it in members if it.error is not None)
        updates.append(rows)
        histories.append((task, [it.sample_id for it in good], failed))
    kept = [(task, copy_history(task.history), task.unnamed) for task, _, _ in histories if task.config is not None]
    for task, succeeded, failed in histories:
        if task.config is not None:
            record_batch(task, succeeded, failed)
    try:
        with write(database(collection)) as conn:  # one transaction: the writer and the runs join it
            for rows in updates:
                if rows:
                    writer.update(rows)
            for fingerprint, entries in cache_rows.items():
                put_embeddings(conn, fingerprint, entries)
            for task, _, _ in histories:  # the run's record moves with its values: exact even after kill -9
                if task.config is not None:
                    runs.save(task.field, task.config, task.history)
    except BaseException:
        for task, history, unnamed in kept:  # nothing of this batch was written
            task.history, task.unnamed = history, unnamed
        raise


def interrupt(collection: SampleCollection, tasks: list[Task], decoded: int, started: float,
              extra: dict[str, Any] | None = None) -> None:
    """Record that this call stopped early (an exception, Ctrl-C); the status stays "running" so the next call resumes."""
    runs = RunStore(collection, RUN_TYPE)
    for task in tasks:
        if task.config is None or not task.history:
            continue
        results = close_history(task, True, decoded, time.perf_counter() - started, extra)
        try:
            runs.save(task.field, task.config, results)
        except Exception:  # noqa: BLE001 - never hide the error that stopped the run; the next call fills this in
            logger.debug("could not record the interruption of %r", task.field, exc_info=True)


def finish(collection: SampleCollection, tasks: list[Task], rows: list, batch_size: int, decoded: int,
           started: float, extra: dict[str, Any] | None = None) -> Summary:
    """Mark the runs complete with their counts and failures; the summary."""
    runs = RunStore(collection, RUN_TYPE)
    summary = Summary(num_samples=len(rows), decoded=decoded, duration_s=time.perf_counter() - started)
    for task in tasks:
        summary.failed += task.num_failed
        summary.per_field[task.field] = {"processed": len(task.rowids), "encoded": task.encoded,
                                         "from_cache": task.from_cache, "failed": task.num_failed}
        results = close_history(task, False, decoded, summary.duration_s, extra)
        runs.save(task.field, {**task.run_config(batch_size), "status": "complete"}, results)
    refresh_statistics(collection, len(rows))
    if summary.failed:
        logger.warning("%d of %d images could not be read; their fields are empty and the errors are in "
                       "dataset.get_model_run_info(field)['results']['failures']", summary.failed, len(rows))
    return summary


def compute_embeddings(collection: SampleCollection, model: Any, batch_size: int | None = None,
                       num_workers: int | None = None, skip_failures: bool = True,
                       progress: bool | Callable[[int, int], Any] | None = None, embeddings_field: str | None = None,
                       backend: str | None = None, **backend_options: Any) -> np.ndarray:
    """Image embeddings ``[n, d]`` in collection order (NaN rows for unreadable images), via the cache.

    The same engine as :func:`run`: what the cache lacks is decoded and encoded on the
    options' backend (``backend="ray"``: on Ray) and added to the cache.
    """
    check_model("model", model)
    options = RunOptions.build(batch_size=batch_size, num_workers=num_workers, skip_failures=skip_failures,
                               progress=progress, backend=backend, **backend_options)
    rows = rows_of(collection)
    task = EmbeddingTask("_embeddings", model, rowids={r[0] for r in rows})
    vectors: dict[int, np.ndarray] = {}

    def store(batch: list[Item]) -> None:
        from bakeoff.storage.embeddings import put_embeddings
        from bakeoff.storage.engine import write

        cache_rows = embed([task], batch, use_cache=True)
        if cache_rows:
            with write(database(collection)) as conn:
                for fingerprint, entries in cache_rows.items():
                    put_embeddings(conn, fingerprint, entries)
        vectors.update((it.rowid, it.cached[task.field]) for it in batch if task.field in it.cached)

    with ExitStack() as cleanup:
        bar = Progress(options.progress, len(rows), "embeddings" + (" (ray)" if options.backend == "ray" else ""))
        cleanup.callback(bar.close)
        source = open_source(collection, [task], rows, options)
        cleanup.callback(source.close)
        drive(source, store, bar, options.skip_failures)
    out = [vectors.get(r[0]) for r in rows]
    dim = next((v.shape[0] for v in out if v is not None), 0)
    matrix = np.stack([v if v is not None else np.full(dim, np.nan, np.float32) for v in out]) if out \
        else np.zeros((0, dim), np.float32)
    if embeddings_field:
        collection.set_values(embeddings_field, [None if np.isnan(v).any() else v for v in matrix])
    return matrix


def list_model_runs(dataset: Dataset) -> list[str]:
    return RunStore(dataset, RUN_TYPE).keys()


def get_model_run_info(dataset: Dataset, label_field: str) -> dict[str, Any]:
    run = RunStore(dataset, RUN_TYPE).load(label_field)
    if run is None:
        raise BakeoffError(f"no model run wrote {label_field!r} on dataset {dataset.name!r}; "
                           f"model runs: {list_model_runs(dataset)}")
    return {"key": label_field, "config": run["config"], "results": run["results"], "timestamp": run["updated_at"]}
