"""Database engines: one per URI, SQLite tuned for one writer and many readers.

The embedded default is a SQLite file in WAL mode, so a notebook can write
while the App (another process) reads committed data. Write transactions start
with ``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead
of failing when one upgrades a read lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

_engines: dict[str, Engine] = {}
_lock = threading.Lock()

BUSY_TIMEOUT_MS = 60_000


def get_engine(uri: str) -> Engine:
    """The engine for ``uri``, created (and its catalog set up) on first use."""
    with _lock:
        engine = _engines.get(uri)
        if engine is None:
            engine = _create_engine(uri)
            _engines[uri] = engine
            from bakeoff.storage import (
                catalog,  # catalog imports this module
                embeddings,  # noqa: F401 - registers its table in the catalog metadata
            )

            catalog.create_catalog(engine)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _create_engine(uri: str) -> Engine:
    url = sa.make_url(uri)
    if url.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's implicit
        # transactions would start too late and always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # NORMAL is safe against application crashes in WAL mode: a killed
        # process loses only the transaction in flight.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: Connection):
        if conn.get_execution_options().get("bakeoff_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any error."""
    with engine.connect() as conn:
        conn.execution_options(bakeoff_write=True)
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction (one consistent snapshot)."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn
