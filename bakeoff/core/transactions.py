"""Several reads that agree, several writes that commit together: ``fo.snapshot()``, ``fo.transaction()``.

Each single call is consistent on its own (see :func:`bakeoff.storage.engine.read`);
these make a block of calls one snapshot or one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bakeoff._config import config
from bakeoff.storage.engine import get_engine, read, write


@contextmanager
def snapshot() -> Iterator[None]:
    """Within the block, every read of this thread sees one snapshot of the database.

    Single calls are consistent on their own (``count_values`` never mixes two
    states); a snapshot makes several calls agree with each other while other
    processes write. Writes inside the block are not visible to its reads.

    Example::

        with fo.snapshot():
            n = dataset.count()
            counts = dataset.count_values("clip_eval")   # sums to n, whatever another process writes
    """
    with read(get_engine(config.database_uri)):
        yield


@contextmanager
def transaction() -> Iterator[None]:
    """Within the block, this thread's writes commit together at its end, or not at all if it raises.

    Reads inside see the block's own changes; other processes see none of them
    until the end. Writers queue behind the block, so keep it short.

    Example::

        with fo.transaction():
            dataset.delete_sample_field("old_eval")
            dataset.set_values("reviewed", [True] * len(dataset))
    """
    with write(get_engine(config.database_uri)):
        yield
