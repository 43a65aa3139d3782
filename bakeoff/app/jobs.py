"""Background jobs for the App's operators: zero-shot classify and evaluate.

Jobs run one at a time on a worker thread, so page requests (served on other
threads) never wait for them. A running classification reports progress after
every committed batch and stops at the next batch when cancelled; what it
committed stays, and running it again resumes.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bakeoff.app.views import ViewSpec
from bakeoff.errors import BakeoffError
from bakeoff.storage.identifiers import FIELD_NAME_PATTERN

logger = logging.getLogger(__name__)

_FIELD_NAME = FIELD_NAME_PATTERN  # the rule the library checks names with (bakeoff.storage.identifiers)


class JobCancelled(Exception):
    """Raised inside a job's progress callback to stop it between batches."""


class ClassesSpec(BaseModel):
    """Where the class names come from: exactly one of ``from_field`` or ``names``."""

    model_config = ConfigDict(extra="forbid")

    from_field: str | None = Field(None, description="distinct values of this label field, e.g. ground_truth")
    names: list[str] | None = Field(None, max_length=100_000, description="a typed or uploaded list")

    @model_validator(mode="after")
    def _exactly_one(self) -> ClassesSpec:
        if (self.from_field is None) == (self.names is None):
            raise ValueError("give exactly one of classes.from_field or classes.names")
        return self


class ClassifyParams(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model: str = Field(min_length=1, description="zoo model name, e.g. demo-clip")
    model_args: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    classes: ClassesSpec
    prompt: str | None = Field(None, description="text prompt put before each class, e.g. 'A photo of'")
    templates: str | None = Field(None, description="a template set name instead of the prompt")
    label_field: str = Field(pattern=_FIELD_NAME, max_length=100)
    target: Literal["dataset", "view"] = "dataset"
    store_logits: bool = True
    batch_size: int | None = Field(None, ge=1, le=4096)


class EvaluateParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pred_field: str = Field(min_length=1)
    gt_field: str = "ground_truth"
    eval_key: str | None = Field(None, pattern=_FIELD_NAME, max_length=100)
    target: Literal["dataset", "view"] = "dataset"


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    operator: Literal["zero-shot-classify", "evaluate"]
    view: ViewSpec
    params: dict[str, Any]


@dataclass
class Job:
    id: str
    operator: str
    dataset: str
    params: dict[str, Any]
    status: str = "queued"  # queued -> running -> completed | failed | cancelled
    done: int = 0
    total: int | None = None
    message: str = ""
    error: str | None = None
    result: dict[str, Any] | None = None
    created_at: float = field(default_factory=time.time)
    started_at: float | None = None
    ended_at: float | None = None
    cancel_requested: bool = False

    def to_dict(self) -> dict[str, Any]:
        elapsed = ((self.ended_at or time.time()) - self.started_at) if self.started_at else 0.0
        rate = self.done / elapsed if elapsed > 0 and self.done else None
        eta = (self.total - self.done) / rate if rate and self.total is not None else None
        return {"id": self.id, "operator": self.operator, "dataset": self.dataset, "params": self.params,
                "status": self.status, "done": self.done, "total": self.total, "message": self.message,
                "error": self.error, "result": self.result, "elapsed_s": round(elapsed, 2),
                "rate": round(rate, 2) if rate else None, "eta_s": round(eta, 1) if eta is not None else None}


class JobManager:
    """A queue of jobs and one worker thread that runs them."""

    def __init__(self, runners: dict[str, Callable[[Job, Callable[[int, int], None]], dict[str, Any]]]) -> None:
        self._runners = runners
        self._jobs: dict[str, Job] = {}
        self._queue: deque[Job] = deque()
        self._lock = threading.Condition()
        self._ids = itertools.count(1)
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="bakeoff-app-jobs", daemon=True)
        self._thread.start()

    def submit(self, operator: str, dataset: str, params: dict[str, Any]) -> Job:
        with self._lock:
            job = Job(id=str(next(self._ids)), operator=operator, dataset=dataset, params=params)
            self._jobs[job.id] = job
            self._queue.append(job)
            self._lock.notify_all()
            return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        return sorted(self._jobs.values(), key=lambda j: j.created_at, reverse=True)

    def cancel(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return None
            if job.status == "queued":
                self._queue.remove(job)
                job.status, job.ended_at, job.message = "cancelled", time.time(), "cancelled before it started"
            elif job.status == "running":
                job.cancel_requested = True
                job.message = "cancelling after the current batch"
            return job

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has ended (for tests and scripts)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._jobs[job_id].status in ("queued", "running"):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._lock.wait(left if left is not None else 1.0)
            return self._jobs[job_id]

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                if job.status == "running":
                    job.cancel_requested = True
            self._lock.notify_all()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closed:
                    self._lock.wait()
                if self._closed:
                    return
                job = self._queue.popleft()
                job.status, job.started_at = "running", time.time()
            self._run(job)
            with self._lock:
                job.ended_at = time.time()
                self._lock.notify_all()

    def _run(self, job: Job) -> None:
        def progress(done: int, total: int) -> None:
            job.done, job.total = done, total
            if job.cancel_requested:
                raise JobCancelled

        try:
            job.result = self._runners[job.operator](job, progress)
            job.status, job.message = "completed", job.message or "done"
        except JobCancelled:
            job.status = "cancelled"
            job.message = f"cancelled after {job.done} of {job.total} samples; the committed batches are kept " \
                          "and running it again resumes"
        except Exception as error:  # noqa: BLE001 - a failed job is reported on the page, not raised
            job.status, job.error = "failed", f"{type(error).__name__}: {error}"
            # a bakeoff error is the request's mistake, said on the page; anything else may be a bug: log it
            log = logger.debug if isinstance(error, BakeoffError) else logger.error
            log("job %s failed:\n%s", job.id, traceback.format_exc())
