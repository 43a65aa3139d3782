"""What every brain method's results share, writing per-sample values, and the in-process cache of loaded results.

A similarity index over a million vectors takes seconds to load (its vectors come back from the
embedding cache, an approximate index is rebuilt), and ``sort_by_similarity`` loads it on every
call: loaded results are kept, a few at a time, keyed by dataset, brain key and the run's last
write, so a run written again (by this or another process) is loaded afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from bakeoff.brain import runs
from bakeoff.errors import FieldError, InvalidOptionError, brief

if TYPE_CHECKING:
    from bakeoff.core.collection import SampleCollection
    from bakeoff.core.dataset import Dataset

#: loaded results kept per process (a million 512-d vectors are 2 GB)
MAX_CACHED = 3

_cache: OrderedDict[tuple[str, str, str], Any] = OrderedDict()
_cache_lock = threading.Lock()


class BrainResults:
    """Base of brain results: the run's ``key`` (None when not saved), ``config`` and the collection it ran on.

    ``view`` is the collection the results answer for; :meth:`use_view` narrows it to another
    view of the same samples (as FiftyOne), :meth:`clear_view` puts the original back.
    """

    def __init__(self, samples: SampleCollection, config: dict[str, Any], key: str | None = None) -> None:
        self._samples = samples
        self._view = samples
        self.config = config
        self.key = key

    @property
    def samples(self) -> SampleCollection:
        """The collection the method ran on."""
        return self._samples

    @property
    def view(self) -> SampleCollection:
        """The collection these results currently answer for."""
        return self._view

    @property
    def has_view(self) -> bool:
        return self._view is not self._samples

    def use_view(self, samples: SampleCollection) -> BrainResults:
        """Answer for ``samples`` (a view of the same dataset) from now on; returns self."""
        if runs.root_of(samples) is not runs.root_of(self._samples):
            raise InvalidOptionError(f"use_view() needs a view of dataset {runs.root_of(self._samples).name!r}, "
                                     f"got one of {runs.root_of(samples).name!r}")
        self._view = samples
        return self

    def clear_view(self) -> None:
        self._view = self._samples

    @property
    def type(self) -> str:
        return str(self.config.get("type"))

    def __repr__(self) -> str:
        key = f" {self.key!r}" if self.key else ""
        return f"<{type(self).__name__}{key} on {len(self._samples)} samples, method {self.config.get('method')!r}>"


def cached(dataset: Dataset, key: str, stamp: Any, load: Callable[[], Any]) -> Any:
    """The results of run ``key`` as last written at ``stamp``: from the cache, else ``load()`` and keep them."""
    entry = (runs.dataset_token(dataset), key, str(stamp))
    with _cache_lock:
        if entry in _cache:
            _cache.move_to_end(entry)
            return _cache[entry]
    results = load()
    with _cache_lock:
        for old in [e for e in _cache if e[:2] == entry[:2]]:
            del _cache[old]
        _cache[entry] = results
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return results


def forget(dataset: Dataset, key: str | None = None) -> None:
    """Drop the cached results of run ``key`` (every run of the dataset when None)."""
    token = runs.dataset_token(dataset)
    with _cache_lock:
        for entry in [e for e in _cache if e[0] == token and (key is None or e[1] == key)]:
            del _cache[entry]


def write_float_field(collection: SampleCollection, field: str, ids: Sequence[str],
                      values: Sequence[float | None]) -> None:
    """Store one float per sample of ``collection`` in ``field`` (created as a FloatField when missing)."""
    from bakeoff.core.fields import FloatField
    from bakeoff.storage.identifiers import check_field_name

    check_field_name(field)
    root = runs.root_of(collection)
    if not root.has_field(field):
        root.add_sample_field(field, FloatField)
    elif not isinstance(root.get_field(field), FloatField):
        raise FieldError(f"field {field!r} exists as {type(root.get_field(field)).__name__}; brain scores need a "
                         "FloatField: pick another field name")
    collection.set_values(field, {i: (None if v is None else float(v)) for i, v in zip(ids, values, strict=True)})


def check_k(k: Any) -> int | None:
    """``k``: None, or a positive int."""
    if k is None:
        return None
    if isinstance(k, bool) or not hasattr(k, "__index__") or int(k) <= 0:
        raise InvalidOptionError(f"k must be a positive number of samples or None (all of them), got {brief(k)}")
    return int(k)
