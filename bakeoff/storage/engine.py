"""Database engines: one per URI; SQLite tuned for one writer and many readers, or PostgreSQL.

The embedded default is a SQLite file in WAL mode, so a notebook can write
while the App (another process) reads committed data. Write transactions start
with ``BEGIN IMMEDIATE`` so that two writers queue on the busy timeout instead
of failing when one upgrades a read lock.

PostgreSQL (``postgresql://`` or ``postgresql+psycopg://``, psycopg 3) gives the
same guarantees: a write transaction first takes one transaction-scoped advisory
lock, so writers queue exactly as behind ``BEGIN IMMEDIATE`` (nothing of
another process's batch is lost or interleaved), while readers never wait; a
read transaction is ``REPEATABLE READ READ ONLY``: one snapshot of committed
data, like a SQLite read transaction.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bakeoff.errors import BakeoffError, FieldTypeError, InvalidViewError, StorageError

_engines: dict[str, Engine] = {}
_lock = threading.Lock()

BUSY_TIMEOUT_MS = 60_000
#: the advisory lock every PostgreSQL writer holds for its transaction ("bakeoff" in ASCII)
WRITE_LOCK_KEY = 0x62616B656F6666
POSTGRES_HINT = "pip install 'bakeoff[postgres]'"


def get_engine(uri: str) -> Engine:
    """The engine for ``uri``, created (and its catalog set up or upgraded) on first use."""
    with _lock:
        engine = _engines.get(uri)
        if engine is None:
            engine = _create_engine(uri)
            from bakeoff.storage import (
                catalog,  # catalog imports this module
                embeddings,  # noqa: F401 - registers its table in the catalog metadata
            )

            try:
                catalog.create_catalog(engine)
            except BaseException:
                engine.dispose()
                raise
            _engines[uri] = engine
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def database_url(uri: str) -> sa.URL:
    """The SQLAlchemy URL for ``uri``: ``postgresql://`` (and ``postgres://``) mean psycopg 3."""
    try:
        url = sa.make_url(uri)
    except sa.exc.ArgumentError as error:
        raise StorageError(
            f"invalid database URI {uri!r}: use sqlite:///path/to/file.db or postgresql://user@host:5432/dbname"
        ) from error
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    return url


def _create_engine(uri: str) -> Engine:
    url = database_url(uri)
    backend = url.get_backend_name()
    if backend == "postgresql":
        return _create_postgres_engine(url)
    if backend != "sqlite":
        raise StorageError(f"unsupported database {backend!r} in {uri!r}: bakeoff runs on SQLite and PostgreSQL")
    if url.database and url.database != ":memory:":
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # JSON as on PostgreSQL: SQLite's JSON functions refuse NaN and Infinity too (json_each on a list holding one fails)
    engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000},
                              json_serializer=dumps_json, json_deserializer=loads_json)
    _tune_sqlite(engine)
    return engine


def _tune_sqlite(engine: Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
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
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("bakeoff_write"):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


# -- PostgreSQL -------------------------------------------------------------------------------


def _create_postgres_engine(url: sa.URL) -> Engine:
    if url.drivername != "postgresql+psycopg":
        raise StorageError(f"unsupported PostgreSQL driver {url.drivername!r}: use postgresql:// (psycopg 3)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise StorageError(f"PostgreSQL needs psycopg 3, which is not installed: {POSTGRES_HINT}") from None
    # a writer waiting longer than SQLite's busy timeout gets an error instead of hanging;
    # options the URI sets itself (?options=-csearch_path=...) are kept
    given = url.query.get("options")  # a tuple when the URI repeats the parameter
    given = " ".join(given) if isinstance(given, tuple) else given
    options = " ".join(filter(None, [given, f"-c lock_timeout={BUSY_TIMEOUT_MS}"]))
    return sa.create_engine(
        url.difference_update_query(["options"]),
        pool_pre_ping=True,  # a restarted server costs one failed ping, not a failed query
        json_serializer=dumps_json,
        json_deserializer=loads_json,
        connect_args={"options": options},
    )


# PostgreSQL's json type refuses NaN and Infinity, which metrics legitimately hold (a class with
# no samples has no recall). They are stored as {"$float": "nan"} and read back as floats.
_FLOAT_TAG = "$float"


def _tag_floats(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {_FLOAT_TAG: repr(value)}
    if isinstance(value, dict):
        return {k: _tag_floats(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_tag_floats(v) for v in value]
    return value


# Dates and datetimes in lists and dicts (FiftyOne stores them as BSON dates) are stored as
# {"$date": "2020-01-01T12:00:00.123"}: the naive UTC instant to the millisecond, as a DateTimeField
# column holds it; ISO text of one width, so it sorts as the instants do. They read back as datetimes
# (naive UTC, or aware in config.timezone), as in FiftyOne.
_DATE_TAG = "$date"


def json_date(value: Any) -> dict[str, str]:
    """The JSON form of a date or datetime inside a list or dict: ``{"$date": "2020-01-01T12:00:00.123"}``."""
    from bakeoff.storage.samples import stored_datetime

    if isinstance(value, date):  # datetime too
        return {_DATE_TAG: stored_datetime(value).isoformat(timespec="milliseconds")}
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps_json(value: Any) -> str:
    try:
        return json.dumps(value, allow_nan=False, default=json_date)
    except ValueError:  # only non-finite floats fail: tag them
        return json.dumps(_tag_floats(value), allow_nan=False, default=json_date)


def _untag(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if _FLOAT_TAG in obj:
            return float(obj[_FLOAT_TAG])
        if _DATE_TAG in obj and isinstance(obj[_DATE_TAG], str):
            from bakeoff.storage.samples import read_datetime

            return read_datetime(datetime.fromisoformat(obj[_DATE_TAG]))
    return obj


def loads_json(data: str | bytes | memoryview) -> Any:
    if isinstance(data, memoryview):
        data = bytes(data)  # psycopg hands over the raw bytes
    if isinstance(data, str):
        tagged = _FLOAT_TAG in data or _DATE_TAG in data
    else:
        tagged = _FLOAT_TAG.encode() in data or _DATE_TAG.encode() in data
    if not tagged:
        return json.loads(data)
    return json.loads(data, object_hook=_untag)


# -- transactions -----------------------------------------------------------------------------


#: per thread: the transaction open on each engine (reads and writes inside it use it: they nest)
_held = threading.local()


def _held_transactions() -> dict[int, Connection]:
    held: dict[int, Connection] = _held.__dict__.setdefault("by_engine", {})
    return held


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """A write transaction: committed on success, rolled back on any error.

    Writes nest: inside an open ``write`` of the same engine on the same thread,
    ``write`` (and ``read``) use that transaction, so several steps a user sees
    as one call (an evaluation: drop the old field, add it, write its values,
    record the run) commit together or not at all, and read their own changes.
    """
    held = _held_transactions()
    outer = held.get(id(engine))
    if outer is not None and outer.get_execution_options().get("bakeoff_write"):
        yield outer
        return
    try:
        with engine.connect() as conn:
            conn.execution_options(bakeoff_write=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    # one writer at a time, as SQLite's BEGIN IMMEDIATE; released at commit or rollback
                    conn.execute(sa.select(sa.func.pg_advisory_xact_lock(WRITE_LOCK_KEY)))
                held[id(engine)] = conn
                try:
                    yield conn
                finally:
                    if outer is None:
                        held.pop(id(engine), None)
                    else:
                        held[id(engine)] = outer  # a read snapshot this write was opened in
    except sa.exc.OperationalError as error:
        code = getattr(error.orig, "sqlstate", None)
        if code == "55P03" or "database is locked" in str(error.orig):
            raise StorageError(
                f"gave up waiting {BUSY_TIMEOUT_MS // 1000} s for the database: another process holds it (a long "
                "write, or on PostgreSQL a read in progress while this changes the fields, e.g. a fo.snapshot() "
                "block); nothing was written, try again"
            ) from error
        raise


@contextmanager
def try_write(engine: Engine) -> Iterator[Connection | None]:
    """A write transaction if one can start at once, else None: for bookkeeping that must never wait
    (``last_loaded_at``), so loading a dataset never queues behind a writer.

    Inside an open read snapshot of this thread it yields None too: on PostgreSQL that snapshot may
    hold a table a writer waits for, and waiting for that writer here would deadlock.
    """
    held = _held_transactions()
    outer = held.get(id(engine))
    if outer is not None:
        yield outer if outer.get_execution_options().get("bakeoff_write") else None
        return
    with engine.connect() as conn:
        conn.execution_options(bakeoff_write=True)
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # on the driver's connection: through SQLAlchemy it would begin the transaction first
            _sqlite_busy_timeout(conn, 0)
        try:
            try:
                transaction = conn.begin()
            except sa.exc.OperationalError:  # SQLite: BEGIN IMMEDIATE found another writer
                yield None
                return
            with transaction:
                if not sqlite and not conn.execute(sa.select(sa.func.pg_try_advisory_xact_lock(WRITE_LOCK_KEY))).scalar():
                    transaction.rollback()
                    yield None
                    return
                held[id(engine)] = conn
                try:
                    yield conn
                finally:
                    held.pop(id(engine), None)
        finally:
            if sqlite:
                _sqlite_busy_timeout(conn, BUSY_TIMEOUT_MS)


def _sqlite_busy_timeout(conn: Connection, milliseconds: int) -> None:
    driver = conn.connection.driver_connection  # None only once the connection is closed
    if driver is None:
        raise StorageError("the database connection was closed while a write was starting")
    driver.execute(f"PRAGMA busy_timeout={milliseconds}")


def in_write(conn: Connection) -> bool:
    """Whether ``conn`` is a write transaction (whose uncommitted schema must not be cached)."""
    return bool(conn.get_execution_options().get("bakeoff_write"))


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A read-only transaction: one consistent snapshot of schema and rows.

    Reads nest: inside an open ``read`` (or ``write``) of the same engine on the
    same thread, ``read`` yields that transaction's connection, so a whole call
    (the schema, then the query) or a whole App request sees one snapshot.
    """
    held = _held_transactions()
    outer = held.get(id(engine))
    if outer is not None:  # a read inside a read, or inside a write (which then reads its own changes)
        yield outer
        return
    with engine.connect() as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            held[id(engine)] = conn
            try:
                yield conn
            except sa.exc.DBAPIError as error:
                typed = _typed(error)
                if typed is error:
                    raise
                raise typed from error
            finally:
                held.pop(id(engine), None)


def lock_for_reading(conn: Connection, table_name: str) -> bool:
    """On PostgreSQL, hold ``table_name`` against schema changes until this read ends; False if it is gone.

    PostgreSQL resolves a table's columns when a statement runs, not from the
    transaction's snapshot, so a column dropped by another process after the
    catalog was read would fail the query. ``LOCK TABLE`` takes no snapshot:
    issued first, it waits for a schema change in flight, then the snapshot
    (taken by the next statement) sees its result, and later changes wait for
    this read. SQLite's snapshot covers its schema already.
    """
    if conn.dialect.name != "postgresql":
        return True
    savepoint = conn.begin_nested()  # a dropped table must not abort the whole read
    try:
        conn.exec_driver_sql(f'LOCK TABLE "{table_name}" IN ACCESS SHARE MODE')
    except sa.exc.ProgrammingError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


#: what a refused read query means: (error class, PostgreSQL SQLSTATE prefixes, words of SQLite's or psycopg's
#: message, which carry no SQLSTATE, advice). Views are checked when built; these are what only running them shows.
_REFUSALS: list[tuple[type[BakeoffError], tuple[str, ...], tuple[str, ...], str]] = [
    # 22003 numeric value out of range: PostgreSQL refuses integer overflow (SQLite turns * + - into floats)
    (InvalidViewError, ("22003",), ("integer overflow",),
     "A computed number left the 64-bit integer range: multiply by 1.0 first to compute in floating point"),
    (InvalidViewError, ("2201B",), (),
     "PostgreSQL refused the regular expression: keep to the syntax Python's re and PostgreSQL share"),
    # 54001 statement too complex (PostgreSQL's stack); SQLite's parser stack holds about 15 nested CASEs
    (InvalidViewError, ("54001",), ("parser stack overflow", "Expression tree is too large"),
     "The view nests too deeply for the database: flatten nested if_else() and function calls"),
    # 54 program limit exceeded (too many columns, parameters...)
    (InvalidViewError, ("54",), ("too many SQL variables", "number of parameters must be between"),
     "The view is too large for the database: split long expressions into several match() stages"),
    # 22 data exception, 42804 datatype mismatch, 42883 undefined function/operator (e.g. text = integer),
    # 42846 cannot coerce (boolean to numeric), 42725 ambiguous function/operator and 42P18 indeterminate
    # datatype (an operator on a bare NULL); SQLite: json_each() of a non-list, REGEXP on a non-string
    (FieldTypeError, ("22", "42804", "42883", "42846", "42725", "42P18"),
     ("malformed JSON", "user-defined function raised exception"),
     "An expression compares or combines values of different types (e.g. a text field with a number); "
     "compare like with like"),
]


def _typed(error: sa.exc.DBAPIError) -> Exception:
    """A query the database refused for the view's types or size becomes a bakeoff error that says so; others stay."""
    state = getattr(error.orig, "sqlstate", None) or ""
    reason = str(error.orig).splitlines()[0] if str(error.orig) else type(error.orig).__name__
    for cls, states, words, advice in _REFUSALS:
        if (state and state.startswith(states)) or any(w in reason for w in words):
            return cls(f"the database refused the query: {reason}. {advice}")
    return error
