"""The run record of an ``apply_model`` field: every call that wrote it, across resumes.

``results`` describe the whole field, not the last call: values, failures not
retried with success since, and one entry per call (see :func:`open_history`).
They are updated with each committed batch (:func:`record_batch`), so even a
killed call leaves exact numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.inference.pipeline import Task

#: failures named in the run's results (beyond that they are counted only)
MAX_RECORDED_FAILURES = 1000


def _timestamp(value: Any = None) -> str | None:
    from bakeoff.storage import catalog

    value = catalog.utcnow() if value is None else value
    return value.isoformat() if hasattr(value, "isoformat") else value


def open_history(task: Task, planned: int) -> None:
    """Start this call's entry in the run's results; a resumed run keeps what its earlier calls did.

    ``results`` describe the whole field: ``num_values`` (samples with a value), ``num_failed`` and
    ``failures`` (every failure not retried with success since, at most MAX_RECORDED_FAILURES named),
    ``num_samples`` (the two together) and ``calls``: each call's ``started_at``, ``ended_at``,
    ``planned`` and processed ``num_samples``, ``num_failed`` and ``interrupted``.
    """
    previous = task.previous
    earlier = (previous["results"] or {}) if task.resume and previous is not None else {}
    calls = [dict(call) for call in earlier.get("calls") or []]
    for call in calls:
        if call.get("ended_at") is None:  # its process was killed: its last committed batch is all we know
            call["ended_at"] = _timestamp(None if previous is None else previous["updated_at"])
            call["interrupted"] = True
    failures = dict(earlier.get("failures") or {})
    task.earlier_unnamed = max(0, int(earlier.get("num_failed") or 0) - len(failures))
    task.unnamed = 0
    calls.append({"started_at": _timestamp(), "ended_at": None, "planned": planned, "num_samples": 0, "num_failed": 0,
                  "interrupted": False})
    task.history = {"num_samples": 0, "num_values": task.done_before, "num_failed": 0, "failures": failures,
                    "calls": calls}
    _count(task)


def copy_history(history: dict[str, Any]) -> dict[str, Any]:
    """What :func:`record_batch` changes, copied (the earlier calls' entries stay as they are)."""
    return {**history, "failures": dict(history["failures"]), "calls": [*history["calls"][:-1], dict(history["calls"][-1])]}


def _count(task: Task) -> None:
    history = task.history
    history["num_failed"] = len(history["failures"]) + task.earlier_unnamed + task.unnamed
    history["num_samples"] = history["num_values"] + history["num_failed"]


def record_batch(task: Task, succeeded: list[str], failed: list[tuple[str, str]]) -> None:
    """Count a batch in the run's results: a success removes an earlier failure of that sample."""
    history, call = task.history, task.history["calls"][-1]
    failures = history["failures"]
    for sample_id in succeeded:
        failures.pop(sample_id, None)
    for sample_id, reason in failed:
        if sample_id in failures or len(failures) < MAX_RECORDED_FAILURES:
            failures[sample_id] = reason
        else:
            task.unnamed += 1
    history["num_values"] += len(succeeded)
    call["num_samples"] += len(succeeded) + len(failed)
    call["num_failed"] += len(failed)
    _count(task)


def close_history(task: Task, interrupted: bool, decoded: int, duration_s: float,
                  extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """End this call's entry; the run's results, with totals over the calls and the last call's backend."""
    call = task.history["calls"][-1]
    call.update({"ended_at": _timestamp(), "interrupted": interrupted, "encoded": task.encoded,
                 "from_cache": task.from_cache, "decoded": decoded, "duration_s": duration_s, "backend": "local",
                 **(extra or {})})
    if not interrupted:
        task.earlier_unnamed = 0  # a finished call retried every earlier failure it could see (all were missing)
    _count(task)
    calls = task.history["calls"]
    totals = {key: sum(c.get(key) or 0 for c in calls) for key in ("encoded", "from_cache", "decoded", "duration_s")}
    last = {k: v for k, v in call.items() if k not in ("started_at", "ended_at", "planned", "num_samples",
                                                        "num_failed", "interrupted", *totals)}
    return {**task.history, **totals, **last}
