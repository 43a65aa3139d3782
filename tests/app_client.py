"""The App under test: a TestClient that sends the App's token, as a script would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

TOKEN = "bakeoff-test-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@contextmanager
def app_client(**kwargs) -> Iterator:
    """``with app_client() as client: client.get("/api/datasets")`` (kwargs go to ``create_app``)."""
    from fastapi.testclient import TestClient

    from bakeoff.app.server import create_app

    kwargs.setdefault("token", TOKEN)
    with TestClient(create_app(**kwargs), headers=AUTH) as client:
        try:
            yield client
        finally:
            client.app.state.bakeoff.close()
