"""A dataset's in-memory samples: one :class:`Sample` object per sample id in a process (FiftyOne's
document model), weakly held, so ``dataset[id] is sample`` and writes, reloads, field renames and
deletions reach the objects a user holds.

The part keeps ``self._samples`` (a ``WeakValueDictionary`` of id -> Sample) under
``self._samples_lock``; :class:`~bakeoff.core.dataset.Dataset` creates both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bakeoff.core.collection import ITER_CHUNK
from bakeoff.core.dataset_base import DatasetBase
from bakeoff.core.sample import Sample
from bakeoff.core.schema import Schema, unflatten
from bakeoff.errors import SampleNotFoundError

if TYPE_CHECKING:
    from sqlalchemy import RowMapping

    from bakeoff.core.collection import SampleCollection


class LiveSamples(DatasetBase):
    """The dataset's live sample objects: looked up, refreshed after writes, detached after deletes."""

    def _live_samples(self, ids: Iterable[str] | None = None) -> list[Sample]:
        """The sample objects someone holds (all, or those with these ids)."""
        with self._samples_lock:
            if ids is None:
                return list(self._samples.values())  # iterates under the dict's guard: a sample freed meanwhile waits
            found = [self._samples.get(i) for i in ids]
        return [s for s in found if s is not None]

    def _live_in(self, collection: SampleCollection) -> list[Sample]:
        """The live samples that are in ``collection`` now (read before a write that may move them out)."""
        with self._samples_lock:
            by_id = dict(self._samples.items())
        if not by_id or collection is self:
            return list(by_id.values())
        found: list[Sample] = []
        ids = list(by_id)
        for start in range(0, len(ids), ITER_CHUNK):
            found += [by_id[i] for i in collection.select(ids[start : start + ITER_CHUNK]).values("id")]
        return found

    def _refresh_samples(self, samples: Sequence[Sample], missing_ok: bool = True) -> None:
        """Re-read these sample objects' fields (live ones, or view samples' shown fields) in place."""
        targets = [(sample.id, sample) for sample in samples if sample._dataset is self]
        ids = list(dict.fromkeys(sample_id for sample_id, _ in targets if sample_id is not None))
        fresh: dict[str | None, dict[str, Any]] = {}
        for start in range(0, len(ids), ITER_CHUNK):
            for sample in self.select(ids[start : start + ITER_CHUNK])._iter_samples(live=False):
                fresh[sample.id] = sample._data
        for sample_id, sample in targets:
            if sample_id is None:
                continue  # not stored (anymore): nothing to read
            values = fresh.get(sample_id)
            if values is None:
                if not missing_ok:
                    raise SampleNotFoundError(f"sample {sample_id!r} is no longer in dataset {self._name!r}")
                continue
            if sample._view_fields is not None:
                values = {n: v for n, v in values.items() if n in sample._view_fields}
            sample._load(dict(values))

    def _detach_samples(self, ids: Iterable[str] | None) -> None:
        """Samples deleted from the database: their objects keep their values, without id or dataset."""
        with self._samples_lock:
            targets = list(self._samples.keys()) if ids is None else [i for i in ids if i in self._samples]
            detached = [self._samples.pop(i, None) for i in targets]
        for sample in detached:
            if sample is not None:
                sample._detach()

    def _add_field_to_samples(self, names: Iterable[str]) -> None:
        """New fields read as None on the live samples (as on the samples read later)."""
        names = list(names)
        for sample in self._live_samples():
            missing = [n for n in names if n not in sample._data]
            if missing:
                object.__setattr__(sample, "_data", {**sample._data, **dict.fromkeys(missing)})

    def _sample_from_row(self, schema: Schema, row: Mapping[str, Any] | RowMapping, visible: list[str] | None = None,
                         live: bool = False) -> Sample:
        """The sample of ``row``: with ``live``, the dataset's one object for that id (made if nobody holds
        it; returned as it is if someone does, unsaved edits included, as FiftyOne); else a view's sample."""
        if live:
            sample = self._samples.get(row["id"])  # a read needs no lock; making one does (below)
            if sample is not None:
                return sample
        fields = schema.fields if visible is None else {n: schema.fields[n] for n in visible}
        values = {name: unflatten(name, field, row) for name, field in fields.items()}
        if values.get("tags") is None:
            values["tags"] = []
        dataset = self._root()
        if not live:
            return Sample._from_db(dataset, values, tuple(fields))
        sample = Sample._from_db(dataset, values)
        with self._samples_lock:  # another thread may have made it meanwhile: keep the first
            return self._samples.setdefault(row["id"], sample)
