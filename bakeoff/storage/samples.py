"""One samples table per dataset, with a real column per stored field path.

Core describes a dataset's columns as ``{column name: kind}``; this module
turns kinds into SQL types, builds the table, adds/drops/renames columns, and
reads and writes rows. Column names are field paths (``clip.label``) and are
always quoted by SQLAlchemy. ``_rowid`` (an integer primary key) keeps
insertion order; ``id`` is the public sample id.

Kinds: ``id``, ``string``, ``int``, ``float``, ``bool``, ``marker`` (a bool
that says an embedded document is present), ``json``, ``datetime``, ``date`` and
``f32array`` (a float32 vector stored as little-endian bytes).

Datetimes are stored as FiftyOne (MongoDB) stores them: naive UTC instants with
millisecond precision. An aware datetime is converted to UTC, a naive one is
taken to be UTC already, and microseconds are cut to milliseconds (as BSON does:
``.123456`` is stored as ``.123``). They read back naive in UTC, or aware in the zone
of ``bakeoff.config.timezone``. A ``date`` is stored as that day's midnight UTC (so a
date field compares with datetimes, as in FiftyOne) and reads back as a ``date``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, overload

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bakeoff._config import config
from bakeoff.errors import StorageError
from bakeoff.storage.catalog import count_field_writes


class Float32Array(sa.types.TypeDecorator[np.ndarray]):
    """A float32 vector as a BLOB; read back as a numpy array."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> bytes | None:
        if value is None:
            return None
        return np.ascontiguousarray(value, dtype="<f4").tobytes()

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> np.ndarray | None:
        if value is None:
            return None
        return np.frombuffer(value, dtype="<f4").astype(np.float32)


class NanAsNullFloat(sa.types.TypeDecorator[float]):
    """A float that stores NaN as NULL (missing), as SQLite does; used on PostgreSQL."""

    impl = sa.Float
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: sa.Dialect) -> float | None:
        return None if value is not None and value != value else value


def stored_datetime(value: date | datetime) -> datetime:
    """The naive UTC datetime, to the millisecond, that stands for ``value`` in the database.

    Example::

        >>> stored_datetime(datetime(2020, 1, 1, 12, 0, 0, 123456, tzinfo=ZoneInfo("US/Eastern")))
        datetime.datetime(2020, 1, 1, 17, 0, 0, 123000)
    """
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if value.tzinfo is not None and value.utcoffset() is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    else:
        value = value.replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@overload
def read_datetime(value: datetime) -> datetime: ...
@overload
def read_datetime(value: datetime | None) -> datetime | None: ...
def read_datetime(value: datetime | None) -> datetime | None:
    """A stored (naive UTC) datetime as bakeoff returns it: naive UTC, or aware in ``config.timezone``."""
    if value is None or config.timezone is None:
        return value
    return value.replace(tzinfo=UTC).astimezone(config.tzinfo())


class UtcDateTime(sa.types.TypeDecorator[Any]):
    """A datetime stored as a naive UTC instant (see the module docstring); also binds dates."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: date | datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else stored_datetime(value)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> date | datetime | None:
        return read_datetime(value)


class MidnightDate(UtcDateTime):
    """A date stored as its midnight UTC, read back as a ``date`` (whatever ``config.timezone`` says)."""

    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> date | None:
        return None if value is None else value.date()


ROWID = "_rowid"

KIND_TYPES: dict[str, Any] = {
    "id": sa.String(32),
    "string": sa.Text(),
    "int": sa.BigInteger(),
    "float": sa.Float().with_variant(NanAsNullFloat(), "postgresql"),
    "bool": sa.Boolean(),
    "marker": sa.Boolean(),
    "json": sa.JSON(none_as_null=True),  # None is a missing value (SQL NULL), not the JSON text null
    "datetime": UtcDateTime(),
    "date": MidnightDate(),
    "f32array": Float32Array(),
}


def sql_type(kind: str) -> Any:
    try:
        return KIND_TYPES[kind]
    except KeyError:
        raise StorageError(f"unknown storage kind {kind!r}; known kinds: {sorted(KIND_TYPES)}") from None


def build_table(name: str, columns: Mapping[str, str]) -> sa.Table:
    """An SQLAlchemy table object for a samples table with these ``{column: kind}``."""
    cols = [
        sa.Column(
            ROWID,
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        )
    ]
    for column, kind in columns.items():
        cols.append(sa.Column(column, sql_type(kind), nullable=True, unique=(column == "id")))
    return sa.Table(name, sa.MetaData(), *cols)


def create_table(conn: Connection, table: sa.Table) -> None:
    table.create(conn)
    if "filepath" in table.c:
        sa.Index(f"ix_{table.name}_filepath", table.c.filepath).create(conn)


def _quote(conn: Connection, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def add_columns(conn: Connection, table: sa.Table, columns: Mapping[str, str]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for each new ``{column: kind}``."""
    for column, kind in columns.items():
        ddl = sa.schema.CreateColumn(sa.Column(column, sql_type(kind), nullable=True)).compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {_quote(conn, table.name)} ADD COLUMN {ddl}")


def drop_columns(conn: Connection, table: sa.Table, columns: Iterable[str]) -> None:
    columns = list(columns)
    for index in sa.inspect(conn).get_indexes(table.name):
        if index["name"] is not None and set(index["column_names"]) & set(columns):
            conn.exec_driver_sql(f"DROP INDEX {_quote(conn, index['name'])}")
    for column in columns:
        conn.exec_driver_sql(f"ALTER TABLE {_quote(conn, table.name)} DROP COLUMN {_quote(conn, column)}")


def rename_columns(conn: Connection, table: sa.Table, mapping: Mapping[str, str]) -> None:
    for old, new in mapping.items():
        conn.exec_driver_sql(
            f"ALTER TABLE {_quote(conn, table.name)} RENAME COLUMN {_quote(conn, old)} TO {_quote(conn, new)}"
        )


def copy_rows(conn: Connection, source: sa.Table, target: sa.Table) -> None:
    """Copy every row (and ``_rowid``) of ``source`` into the empty ``target``."""
    names = [c.name for c in source.columns]
    conn.execute(target.insert().from_select(names, sa.select(*[source.c[n] for n in names])))
    if conn.dialect.name == "postgresql":
        # explicit _rowids leave the target's sequence at 1: move it past the copied rows
        conn.execute(sa.select(sa.func.setval(
            sa.func.pg_get_serial_sequence(_quote(conn, target.name), ROWID),
            sa.select(sa.func.coalesce(sa.func.max(target.c[ROWID]), 0) + 1).scalar_subquery(),
            False,
        )))


def insert_rows(conn: Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert rows (dicts of column -> value; missing columns stay NULL)."""
    if not rows:
        return
    # executemany needs every row to name the same columns; columns that are
    # None in every row are left out (they default to NULL)
    names = {n for row in rows for n, v in row.items() if v is not None}
    conn.execute(table.insert(), [{n: row.get(n) for n in names} for row in rows])
    count_field_writes(conn, table.name)  # new samples change what every field holds


def update_rows(conn: Connection, table: sa.Table, key: str, rows: Sequence[Mapping[str, Any]]) -> int:
    """Update rows matched by ``key`` (``id`` or ``_rowid``); each row maps columns to new values.

    Returns how many rows matched.
    """
    if not rows:
        return 0
    names = [n for n in rows[0] if n != key]
    statement = (
        table.update()
        .where(table.c[key] == sa.bindparam("_key"))
        .values({n: sa.bindparam(f"_v{i}") for i, n in enumerate(names)})
    )
    params = [{"_key": row[key], **{f"_v{i}": row[n] for i, n in enumerate(names)}} for row in rows]
    result = conn.execute(statement.execution_options(synchronize_session=False), params)
    count_field_writes(conn, table.name, names)
    return result.rowcount


def update_from_query(
    conn: Connection, table: sa.Table, values: Mapping[str, Any], rowids: sa.Select[Any] | None = None
) -> int:
    """``UPDATE table SET column = <SQL expression>, ...`` for every row, or the rows whose
    ``_rowid`` is in ``rowids`` (a subquery); the database computes the values."""
    statement = table.update().values(dict(values))
    if rowids is not None:
        statement = statement.where(table.c[ROWID].in_(rowids))
    count_field_writes(conn, table.name, list(values))
    return conn.execute(statement).rowcount


def delete_rows(conn: Connection, table: sa.Table, ids: Sequence[str]) -> None:
    for start in range(0, len(ids), 500):
        conn.execute(table.delete().where(table.c.id.in_(ids[start : start + 500])))
    count_field_writes(conn, table.name)


def iter_rows(
    engine: sa.Engine,
    table: sa.Table,
    columns: Sequence[str] | None = None,
    where: sa.ColumnElement[bool] | None = None,
    chunk_size: int = 1000,
) -> Iterator[sa.Row[Any]]:
    """Rows in insertion order, read in chunks so no read transaction stays open long.

    Keyset pagination on ``_rowid``: writers (apply_model, the App) are never
    blocked by a slow consumer of this iterator.
    """
    selected = [table.c[c] for c in columns] if columns is not None else list(table.columns)
    if table.c[ROWID] not in selected:
        selected = [table.c[ROWID], *selected]
    last = None
    while True:
        query = sa.select(*selected).order_by(table.c[ROWID]).limit(chunk_size)
        if where is not None:
            query = query.where(where)
        if last is not None:
            query = query.where(table.c[ROWID] > last)
        with engine.connect() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return
        yield from rows
        last = rows[-1]._mapping[ROWID]
        if len(rows) < chunk_size:
            return


def index_name(table: sa.Table, column: str, dialect: str = "sqlite") -> str:
    """A stable, valid index name for a column (dots become double underscores).

    PostgreSQL names hold at most 63 bytes: a longer name keeps its first 54 characters and
    gets a hash of the whole, so two long names never collide.
    """
    name = f"ix_{table.name}_{column.replace('.', '__')}"
    if dialect == "postgresql" and len(name.encode()) > 63:
        name = f"{name[:54]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return name


def create_index(conn: Connection, table: sa.Table, column: str, unique: bool = False) -> str:
    name = index_name(table, column, conn.dialect.name)
    sa.Index(name, table.c[column], unique=unique).create(conn, checkfirst=True)
    return name


def list_indexes(conn: Connection, table: sa.Table) -> dict[str, list[str]]:
    """``{index name: [columns]}`` of a samples table (the id uniqueness index included)."""
    return {
        ix["name"]: [c for c in ix["column_names"] if c is not None]  # None: an expression, which bakeoff never indexes
        for ix in sa.inspect(conn).get_indexes(table.name)
        if ix["name"] is not None
    }


def drop_index(conn: Connection, table: sa.Table, column: str) -> bool:
    """Drop the single-column index on ``column`` (found by column: renames keep old index names)."""
    names = [name for name, cols in list_indexes(conn, table).items() if cols == [column]]
    for name in names:
        conn.exec_driver_sql(f"DROP INDEX {_quote(conn, name)}")
    return bool(names)


def analyze(conn: Connection, table: sa.Table) -> None:
    """Refresh the query planner's statistics after bulk writes (SQLite; PostgreSQL autovacuums).

    Without them SQLite answers an OR over indexed boolean fields with one
    index lookup per term, three times slower than a scan. A full ANALYZE of
    100,000 rows takes about 45 ms (sampled statistics were too coarse to help).
    """
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"ANALYZE {_quote(conn, table.name)}")
