"""Shared fixtures: a private bakeoff home per test and small generated images."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CALTECH101_SUBSET = SHARED_DATA / "caltech101-subset"


#: tests that run on both databases: everything under these folders, and these files
BOTH_DATABASES = ("storage/", "core/", "evaluation/", "app/test_api.py", "app/test_api_brain.py",
                  "brain/test_prompt_lab.py", "inference/test_apply_model.py", "test_tutorial_workflow.py")


def pytest_configure(config):
    config.addinivalue_line("markers", "one_database: runs on SQLite only (checks of SQLite itself, or of no database at all)")


def pytest_generate_tests(metafunc):
    """Run the storage-touching tests on SQLite and on a real PostgreSQL server."""
    if "database" not in metafunc.fixturenames or metafunc.definition.get_closest_marker("one_database"):
        return
    path = metafunc.definition.path.as_posix()
    tests_root = Path(__file__).parent.as_posix() + "/"
    if any(path.startswith(tests_root + prefix) for prefix in BOTH_DATABASES):
        metafunc.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def database(request) -> str:
    """The database a test runs on: "sqlite" (default) or "postgresql" (a fresh schema of its own)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server():
    from postgres_server import start_server

    yield from start_server()


@pytest.fixture(autouse=True)
def bakeoff_home(tmp_path, monkeypatch, database, request):
    """Every test gets its own home folder (database, zoo folders) and no network for zoo downloads."""
    import bakeoff as fo

    home = tmp_path / "bakeoff-home"
    old = (fo.config.home, fo.config._database_uri, fo.config._dataset_zoo_dir, fo.config._model_zoo_dir)
    fo.config.home = home
    fo.config.database_uri = None
    fo.config.dataset_zoo_dir = None
    fo.config.model_zoo_dir = None
    fo.config.show_progress_bars = False
    monkeypatch.setenv("BAKEOFF_HOME", str(home))
    monkeypatch.delenv("BAKEOFF_DATABASE_URI", raising=False)
    server = name = None
    if database == "postgresql":
        server = request.getfixturevalue("postgres_server")
        name, uri = server.create_schema()
        fo.config.database_uri = uri
        monkeypatch.setenv("BAKEOFF_DATABASE_URI", uri)  # subprocesses use it too
    yield home
    fo.config.home, fo.config._database_uri, fo.config._dataset_zoo_dir, fo.config._model_zoo_dir = old
    if server is not None:
        from bakeoff.storage.engine import dispose_engines

        dispose_engines()
        server.drop_schema(name)


def _make_image(path: Path, size=(40, 30), color=(200, 30, 30), mode="RGB", fmt=None) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new(mode, size, color if mode == "RGB" else 128)
    image.save(path, format=fmt)
    return path


@pytest.fixture
def image_tree(tmp_path) -> Path:
    """A class-folder tree: 3 classes x 4 JPEGs, plus a text file and a corrupt .jpg."""
    root = tmp_path / "tree"
    colors = {"cat": (200, 30, 30), "dog": (30, 200, 30), "horse": (30, 30, 200)}
    for label, color in colors.items():
        for i in range(4):
            _make_image(root / label / f"{i:03d}.jpg", size=(40 + i, 30), color=color)
    (root / "dog" / "notes.txt").write_text("not an image")
    (root / "horse" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not a jpeg")
    return root


@pytest.fixture
def caltech101_subset() -> Path:
    if not (CALTECH101_SUBSET / "101_ObjectCategories").is_dir():
        pytest.skip(f"real photos not found at {CALTECH101_SUBSET}")
    return CALTECH101_SUBSET


def _run_python(code: str, env_home: Path, timeout: int = 120):
    """Run ``code`` in a fresh Python process with the given bakeoff home; returns CompletedProcess."""
    import subprocess
    import sys

    # BAKEOFF_DATABASE_URI is set only where the test runs on PostgreSQL (see bakeoff_home)
    env = {**os.environ, "BAKEOFF_HOME": str(env_home), "BAKEOFF_SHOW_PROGRESS_BARS": "0"}
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def make_image():
    """``make_image(path, size=(w, h), color=(r, g, b), mode="RGB", fmt=None)`` writes an image file."""
    return _make_image


@pytest.fixture
def run_python():
    """``run_python(code, home)`` runs code in a fresh interpreter with that bakeoff home."""
    return _run_python


# Tiny random-weight models (built once per session) for the model and inference tests.
from tiny_models import images, model_zoo_dir, tiny_arch_file, tiny_model_dir, tiny_root  # noqa: E402,F401
