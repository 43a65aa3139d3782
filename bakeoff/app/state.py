"""What one App server holds: open datasets, the session's view, and the job queue."""

from __future__ import annotations

import threading
import time
from functools import partial
from typing import Any

from bakeoff.app.jobs import JobManager
from bakeoff.app.operators import RUNNERS
from bakeoff.app.views import Filters, ViewSpec, build_view
from bakeoff.core.collection import SampleCollection
from bakeoff.core.dataset import Dataset
from bakeoff.core.registry import load_dataset
from bakeoff.errors import DatasetNotFoundError


class AppState:
    """Datasets are opened once and re-read their schema when another process changes it."""

    def __init__(self) -> None:
        self._datasets: dict[str, Dataset] = {}
        self._lock = threading.Lock()
        self.session: dict[str, Any] = {"version": 0, "dataset": None, "stages": [], "filters": Filters().model_dump()}
        self.jobs = JobManager({name: partial(runner, self) for name, runner in RUNNERS.items()})

    def dataset(self, name: str) -> Dataset:
        with self._lock:
            dataset = self._datasets.get(name)
        if dataset is not None:
            try:
                dataset.reload()  # another process may have renamed or deleted it since the last request
                if dataset.name == name:
                    return dataset
            except DatasetNotFoundError:
                pass
        dataset = load_dataset(name)
        with self._lock:
            self._datasets[name] = dataset
        return dataset

    def adopt(self, dataset: Dataset) -> None:
        """Serve this object for its name (a non-persistent dataset of the calling process, for one)."""
        with self._lock:
            self._datasets[dataset.name] = dataset

    def view(self, spec: ViewSpec) -> SampleCollection:
        return build_view(self.dataset(spec.dataset), spec.stages, spec.filters)

    def set_session(self, dataset: str | None, stages: list[dict], filters: dict | None, source: str) -> dict:
        with self._lock:
            self.session = {"version": self.session["version"] + 1, "dataset": dataset, "stages": stages,
                            "filters": filters or Filters().model_dump(), "source": source}
            return dict(self.session)

    def zoo_models(self, max_age_s: float = 60.0) -> list[dict[str, Any]]:
        """The operator's model list (checking weights imports torch: kept for a minute)."""
        from bakeoff.app.operators import list_models

        cached = getattr(self, "_zoo_models", None)
        if cached is None or time.monotonic() - cached[0] > max_age_s:
            cached = self._zoo_models = (time.monotonic(), list_models())
        return cached[1]

    def close(self) -> None:
        self.jobs.close()
