"""A throwaway PostgreSQL server for the tests, and one fresh schema per test.

The server is ``scripts/start_test_postgres.sh`` (initdb in a temp folder, loopback, a free port),
started once per session on first use, or an existing database named by ``BAKEOFF_TEST_POSTGRES_URI``
(each test creates and drops its own schema in that database). Without PostgreSQL or
psycopg the PostgreSQL tests skip, unless ``BAKEOFF_REQUIRE_POSTGRES=1``: then they fail.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "start_test_postgres.sh"
NOT_INSTALLED = 3  # the script's exit status when there is no initdb


def unavailable(reason: str):
    if os.environ.get("BAKEOFF_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"BAKEOFF_REQUIRE_POSTGRES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


class PostgresServer:
    """Creates and drops one schema per test in the server's test database.

    A schema is a thousand times faster to make than a database (1 ms, not 0.3 s); the test's
    URI selects it with ``options=-csearch_path=...``, so every connection bakeoff opens, in
    this process or a subprocess, sees only that test's tables.
    """

    def __init__(self, uri: str) -> None:
        import sqlalchemy as sa

        self.url = sa.make_url(uri).set(drivername="postgresql")
        admin_url = self.url.set(drivername="postgresql+psycopg")
        self.admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool,
                                      connect_args={"options": "-c lock_timeout=10000"})
        self._names = itertools.count()

    def create_schema(self) -> tuple[str, str]:
        """(name, URI) of a new empty schema."""
        name = f"bakeoff_t{os.getpid()}_{next(self._names)}"
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{name}"')
        uri = self.url.update_query_dict({"options": f"-csearch_path={name}"})
        return name, uri.render_as_string(hide_password=False)

    def drop_schema(self, name: str) -> None:
        import sqlalchemy as sa

        try:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')
        except sa.exc.OperationalError:  # a killed subprocess's session still holds a lock: leave it
            pass


def start_server():
    """Yield a :class:`PostgresServer`; stop and delete a server this function started."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        unavailable("psycopg is not installed (pip install -e '.[postgres]')")
    existing = os.environ.get("BAKEOFF_TEST_POSTGRES_URI")
    if existing:
        yield PostgresServer(existing)
        return
    # not under pytest's temp folder: the postgres user must be able to reach it
    folder = Path(tempfile.mkdtemp(prefix="bakeoff-pg-"))
    result = subprocess.run(["bash", str(SCRIPT), "start", str(folder)], capture_output=True, text=True, timeout=120)
    if result.returncode == NOT_INSTALLED:
        shutil.rmtree(folder, ignore_errors=True)
        unavailable("PostgreSQL is not installed (apt-get install postgresql)")
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"could not start a test PostgreSQL server:\n{result.stderr}", pytrace=False)
    server = PostgresServer(result.stdout.strip())
    try:
        yield server
    finally:
        server.admin.dispose()
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)
