"""The catalog: which datasets exist, their fields, and their runs.

Tables (all names prefixed ``bakeoff_``):

- ``bakeoff_meta``: key/value pairs, among them the catalog's schema version.
- ``bakeoff_datasets``: one row per dataset, with the name of its samples table
  and, for non-persistent datasets, the process that owns it.
- ``bakeoff_fields``: one row per field path (embedded subfields included),
  with its type names, storage kind, description, info, and ``writes``: how many
  write transactions changed the field's values (an evaluation records the counts
  of its fields, so a later change shows it stale).
- ``bakeoff_runs``: evaluations, model runs, embedding runs: config and results
  as JSON, keyed by (dataset, run type, key).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import psutil
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bakeoff.errors import StorageError

SCHEMA_VERSION = 2
logger = logging.getLogger(__name__)

metadata = sa.MetaData()

meta_table = sa.Table(
    "bakeoff_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

datasets_table = sa.Table(
    "bakeoff_datasets",
    metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("name", sa.String(255), nullable=False, unique=True),
    sa.Column("persistent", sa.Boolean, nullable=False, default=False),
    sa.Column("samples_table", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("last_loaded_at", sa.DateTime, nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False, default=0),
    sa.Column("info", sa.JSON, nullable=True),
    # Owner of a non-persistent dataset: deleted when that process is gone.
    sa.Column("owner_host", sa.String(255), nullable=True),
    sa.Column("owner_pid", sa.Integer, nullable=True),
    sa.Column("owner_started", sa.Float, nullable=True),
)

fields_table = sa.Table(
    "bakeoff_fields",
    metadata,
    sa.Column("dataset_id", sa.String(32), sa.ForeignKey("bakeoff_datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("path", sa.String(255), primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("ftype", sa.String(64), nullable=False),
    sa.Column("embedded_doc_type", sa.String(64), nullable=True),
    sa.Column("subfield", sa.String(64), nullable=True),
    sa.Column("kind", sa.String(16), nullable=True),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("info", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("writes", sa.Integer, nullable=False, server_default="0"),
)

runs_table = sa.Table(
    "bakeoff_runs",
    metadata,
    sa.Column("dataset_id", sa.String(32), sa.ForeignKey("bakeoff_datasets.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("run_type", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("config", sa.JSON, nullable=True),
    sa.Column("results", sa.JSON, nullable=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)


def utcnow() -> datetime:
    """Naive UTC now (the database stores naive UTC times)."""
    return datetime.now(UTC).replace(tzinfo=None)


def create_catalog(engine: Engine) -> None:
    """Create the catalog tables, or upgrade them step by step; refuse a database from a newer bakeoff."""
    from bakeoff.storage.engine import write

    with write(engine) as conn:
        version = catalog_version(conn)
        if version is None:
            metadata.create_all(conn)
            conn.execute(meta_table.insert().values(key="schema_version", value=str(SCHEMA_VERSION)))
        else:
            upgrade_catalog(conn, version, engine.url)
    delete_orphaned_datasets(engine)


def catalog_version(conn: Connection) -> int | None:
    """The catalog schema version of the database, or None if it has no catalog yet."""
    if not sa.inspect(conn).has_table(meta_table.name):
        return None
    row = conn.execute(sa.select(meta_table.c.value).where(meta_table.c.key == "schema_version")).first()
    return None if row is None else int(row.value)


def upgrade_catalog(conn: Connection, version: int, url: Any = None) -> int:
    """Run the upgrade steps from ``version`` to :data:`SCHEMA_VERSION` in this transaction.

    Each step runs once, in order, and records its version: a crash mid-upgrade rolls back the
    whole transaction (SQLite and PostgreSQL both have transactional DDL), so a database is
    always at one version. A newer database is refused: this bakeoff would misread it.
    """
    if version > SCHEMA_VERSION:
        where = url.render_as_string(hide_password=True) if isinstance(url, sa.URL) else url
        raise StorageError(
            f"the database at {where!r} has catalog schema version {version}, newer than this "
            f"bakeoff understands ({SCHEMA_VERSION}); upgrade bakeoff (pip install -U bakeoff) "
            "or point BAKEOFF_DATABASE_URI at another database"
        )
    for step in range(version + 1, SCHEMA_VERSION + 1):
        logger.info("upgrading the bakeoff catalog to schema version %d: %s", step, UPGRADES[step].__doc__)
        UPGRADES[step](conn)
        conn.execute(meta_table.update().where(meta_table.c.key == "schema_version").values(value=str(step)))
    # tables of the current version that an older bakeoff of the same version lacked (none are dropped)
    metadata.create_all(conn, checkfirst=True)
    return SCHEMA_VERSION


#: ``{version: step}``: each step upgrades a database at ``version - 1`` to ``version``. Version 1
#: is the first released catalog (created whole by ``metadata.create_all``). A change to the
#: tables above adds the next step here and raises ``SCHEMA_VERSION`` to match.
UPGRADES: dict[int, Callable[[Connection], None]] = {}


def _add_field_writes(conn: Connection) -> None:
    """bakeoff_fields.writes: a count of the write transactions that changed each field's values."""
    conn.exec_driver_sql("ALTER TABLE bakeoff_fields ADD COLUMN writes INTEGER NOT NULL DEFAULT 0")


UPGRADES[2] = _add_field_writes


# -- process ownership of non-persistent datasets -------------------------------------------


def process_identity(pid: int | None = None) -> tuple[str, int, float]:
    """(host, pid, start time) of a process: pid alone may be reused."""
    proc = psutil.Process(pid or os.getpid())
    return socket.gethostname(), proc.pid, round(proc.create_time(), 2)


def _owner_alive(host: str | None, pid: int | None, started: float | None) -> bool:
    if host != socket.gethostname() or pid is None:
        return True  # another machine's process: not ours to judge
    try:
        return abs(psutil.Process(pid).create_time() - (started or 0.0)) < 0.05
    except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
        return False


def delete_orphaned_datasets(engine: Engine) -> list[str]:
    """Delete non-persistent datasets whose owning process has died; return their names."""
    from bakeoff.storage.engine import read, write

    with read(engine) as conn:
        rows = conn.execute(sa.select(datasets_table).where(datasets_table.c.persistent == sa.false())).all()
    dead = [r for r in rows if not _owner_alive(r.owner_host, r.owner_pid, r.owner_started)]
    for r in dead:
        with write(engine) as conn:
            drop_dataset(conn, r.id, r.samples_table)
    return [r.name for r in dead]


def delete_datasets_owned_by_this_process(engine: Engine) -> None:
    from bakeoff.storage.engine import read, write

    host, pid, started = process_identity()
    with read(engine) as conn:
        rows = conn.execute(
            sa.select(datasets_table.c.id, datasets_table.c.samples_table, datasets_table.c.owner_started).where(
                (datasets_table.c.persistent == sa.false())
                & (datasets_table.c.owner_host == host)
                & (datasets_table.c.owner_pid == pid)
            )
        ).all()
    for r in rows:
        if r.owner_started is not None and abs(r.owner_started - started) < 0.05:
            with write(engine) as conn:
                drop_dataset(conn, r.id, r.samples_table)


# -- datasets -------------------------------------------------------------------------------


def insert_dataset(conn: Connection, **values: Any) -> None:
    conn.execute(datasets_table.insert().values(**values))


def get_dataset(conn: Connection, *, name: str | None = None, id: str | None = None) -> sa.Row[Any] | None:
    column, value = (datasets_table.c.name, name) if name is not None else (datasets_table.c.id, id)
    return conn.execute(sa.select(datasets_table).where(column == value)).first()


def dataset_names(conn: Connection) -> list[str]:
    return list(conn.execute(sa.select(datasets_table.c.name).order_by(datasets_table.c.name)).scalars())


def update_dataset(conn: Connection, dataset_id: str, **values: Any) -> None:
    conn.execute(datasets_table.update().where(datasets_table.c.id == dataset_id).values(**values))


def bump_schema_version(conn: Connection, dataset_id: str) -> None:
    conn.execute(
        datasets_table.update()
        .where(datasets_table.c.id == dataset_id)
        .values(schema_version=datasets_table.c.schema_version + 1)
    )


def drop_dataset(conn: Connection, dataset_id: str, samples_table: str) -> None:
    conn.execute(fields_table.delete().where(fields_table.c.dataset_id == dataset_id))
    conn.execute(runs_table.delete().where(runs_table.c.dataset_id == dataset_id))
    conn.execute(datasets_table.delete().where(datasets_table.c.id == dataset_id))
    sa.Table(samples_table, sa.MetaData()).drop(conn, checkfirst=True)


# -- fields ---------------------------------------------------------------------------------


def field_rows(conn: Connection, dataset_id: str) -> Sequence[sa.Row[Any]]:
    return conn.execute(
        sa.select(fields_table).where(fields_table.c.dataset_id == dataset_id).order_by(fields_table.c.position)
    ).all()


def insert_fields(conn: Connection, dataset_id: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    top = conn.execute(
        sa.select(sa.func.max(fields_table.c.position)).where(fields_table.c.dataset_id == dataset_id)
    ).scalar()
    start = (top or 0) + 1
    now = utcnow()
    conn.execute(
        fields_table.insert(),
        [{"dataset_id": dataset_id, "position": start + i, "created_at": now, **row} for i, row in enumerate(rows)],
    )
    bump_schema_version(conn, dataset_id)


def update_field(conn: Connection, dataset_id: str, field_path: str, **values: Any) -> None:
    conn.execute(
        fields_table.update()
        .where((fields_table.c.dataset_id == dataset_id) & (fields_table.c.path == field_path))
        .values(**values)
    )


def delete_fields(conn: Connection, dataset_id: str, paths: list[str]) -> None:
    conn.execute(fields_table.delete().where((fields_table.c.dataset_id == dataset_id) & fields_table.c.path.in_(paths)))
    bump_schema_version(conn, dataset_id)


def rename_fields(conn: Connection, dataset_id: str, mapping: dict[str, str]) -> None:
    for old, new in mapping.items():
        update_field(conn, dataset_id, old, path=new)
    bump_schema_version(conn, dataset_id)


def count_field_writes(conn: Connection, samples_table: str, columns: Any = None) -> None:
    """Count one write of the fields whose columns are ``columns`` (None: every field) in this transaction."""
    statement = fields_table.update().where(fields_table.c.dataset_id == sa.select(datasets_table.c.id).where(
        datasets_table.c.samples_table == samples_table).scalar_subquery())
    if columns is not None:
        paths = {str(c).split(".", 1)[0] for c in columns} - {"_rowid", "id"}
        if not paths:
            return
        statement = statement.where(fields_table.c.path.in_(sorted(paths)))
    conn.execute(statement.values(writes=fields_table.c.writes + 1))


def field_writes(conn: Connection, dataset_id: str, paths: list[str]) -> dict[str, int]:
    """``{path: writes}`` of these fields (a field that does not exist is left out)."""
    rows = conn.execute(sa.select(fields_table.c.path, fields_table.c.writes).where(
        (fields_table.c.dataset_id == dataset_id) & fields_table.c.path.in_(paths)))
    return {path: int(writes) for path, writes in rows}


def copy_catalog_rows(conn: Connection, source_id: str, target_id: str) -> None:
    """Copy field and run rows of one dataset to another (for clone)."""
    for table in (fields_table, runs_table):
        rows = conn.execute(sa.select(table).where(table.c.dataset_id == source_id)).mappings().all()
        if rows:
            conn.execute(table.insert(), [{**row, "dataset_id": target_id} for row in rows])


# -- runs -----------------------------------------------------------------------------------


def put_run(conn: Connection, dataset_id: str, run_type: str, key: str, config: Any, results: Any = None) -> None:
    now = utcnow()
    where = (runs_table.c.dataset_id == dataset_id) & (runs_table.c.run_type == run_type) & (runs_table.c.key == key)
    exists = conn.execute(sa.select(runs_table.c.key).where(where)).first()
    if exists:
        conn.execute(runs_table.update().where(where).values(config=config, results=results, updated_at=now))
    else:
        conn.execute(
            runs_table.insert().values(
                dataset_id=dataset_id, run_type=run_type, key=key, config=config, results=results,
                created_at=now, updated_at=now,
            )
        )


def get_run(conn: Connection, dataset_id: str, run_type: str, key: str) -> sa.Row[Any] | None:
    return conn.execute(
        sa.select(runs_table).where(
            (runs_table.c.dataset_id == dataset_id) & (runs_table.c.run_type == run_type) & (runs_table.c.key == key)
        )
    ).first()


def list_runs(conn: Connection, dataset_id: str, run_type: str | None = None) -> Sequence[sa.Row[Any]]:
    query = sa.select(runs_table).where(runs_table.c.dataset_id == dataset_id)
    if run_type is not None:
        query = query.where(runs_table.c.run_type == run_type)
    return conn.execute(query.order_by(runs_table.c.created_at)).all()


def delete_run(conn: Connection, dataset_id: str, run_type: str, key: str) -> None:
    conn.execute(
        runs_table.delete().where(
            (runs_table.c.dataset_id == dataset_id) & (runs_table.c.run_type == run_type) & (runs_table.c.key == key)
        )
    )


def rename_run(conn: Connection, dataset_id: str, run_type: str, old: str, new: str) -> None:
    conn.execute(
        runs_table.update()
        .where((runs_table.c.dataset_id == dataset_id) & (runs_table.c.run_type == run_type) & (runs_table.c.key == old))
        .values(key=new, updated_at=utcnow())
    )
