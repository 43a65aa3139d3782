"""The image-embedding cache: one float32 vector per (model fingerprint, image file).

A vector is valid for the file as it was when encoded: its size and
modification time are stored with it, and a changed file is re-encoded. Rows
are keyed by file, not by sample, so clones and other datasets over the same
images reuse them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bakeoff.storage.catalog import metadata, utcnow
from bakeoff.storage.samples import Float32Array

embeddings_table = sa.Table(
    "bakeoff_embeddings",
    metadata,
    sa.Column("fingerprint", sa.String(255), primary_key=True),
    sa.Column("filepath", sa.String(4096), primary_key=True),
    sa.Column("file_size", sa.BigInteger, nullable=False),
    sa.Column("file_mtime_ns", sa.BigInteger, nullable=False),
    sa.Column("vector", Float32Array(), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)


def get_embeddings(conn: Connection, fingerprint: str, filepaths: Sequence[str]) -> dict[str, tuple[int, int, np.ndarray]]:
    """``{filepath: (size, mtime_ns, vector)}`` for the cached ones among ``filepaths``."""
    out: dict[str, tuple[int, int, np.ndarray]] = {}
    t = embeddings_table
    for start in range(0, len(filepaths), 500):
        chunk = list(filepaths[start : start + 500])
        query = sa.select(t.c.filepath, t.c.file_size, t.c.file_mtime_ns, t.c.vector).where(
            (t.c.fingerprint == fingerprint) & t.c.filepath.in_(chunk))
        for path, size, mtime, vector in conn.execute(query):
            out[path] = (size, mtime, vector)
    return out


def put_embeddings(conn: Connection, fingerprint: str, rows: Iterable[tuple[str, int, int, Any]]) -> None:
    """Insert or replace ``(filepath, size, mtime_ns, vector)`` rows."""
    values = [{"fingerprint": fingerprint, "filepath": p, "file_size": s, "file_mtime_ns": m, "vector": v,
               "created_at": utcnow()} for p, s, m, v in rows]
    if not values:
        return
    t = embeddings_table
    replaced = ("file_size", "file_mtime_ns", "vector", "created_at")
    keys = ["fingerprint", "filepath"]
    if conn.dialect.name == "sqlite":
        on_sqlite = sqlite.insert(t)
        conn.execute(on_sqlite.on_conflict_do_update(
            index_elements=keys, set_={c: on_sqlite.excluded[c] for c in replaced}), values)
    elif conn.dialect.name == "postgresql":
        on_postgres = postgresql.insert(t)
        conn.execute(on_postgres.on_conflict_do_update(
            index_elements=keys, set_={c: on_postgres.excluded[c] for c in replaced}), values)
    else:  # pragma: no cover - other backends: delete then insert
        for row in values:
            conn.execute(t.delete().where((t.c.fingerprint == fingerprint) & (t.c.filepath == row["filepath"])))
        conn.execute(t.insert(), values)


def count_embeddings(conn: Connection, fingerprint: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(embeddings_table)
    if fingerprint is not None:
        query = query.where(embeddings_table.c.fingerprint == fingerprint)
    return int(conn.execute(query).scalar() or 0)


def delete_embeddings(conn: Connection, fingerprint: str | None = None) -> int:
    statement = embeddings_table.delete()
    if fingerprint is not None:
        statement = statement.where(embeddings_table.c.fingerprint == fingerprint)
    return conn.execute(statement).rowcount
