"""The demo training script runs end to end for a few steps (smoke test), for every demo model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "train_demo_models.py"


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("train_demo_models", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["demo-clip", "demo-siglip", "demo-openclip"])
def test_training_runs_a_few_steps_and_writes_a_loadable_model_with_a_card(script, name, tmp_path):
    script.main(["--only", name, "--steps", "3", "--out", str(tmp_path)])
    folder = tmp_path / name
    record = json.loads((folder / "training.json").read_text())
    assert record["steps"] == 3 and 0 <= record["accuracy"] <= 1  # evaluated through the public zoo loaders
    assert "Reproduce" in (folder / "CARD.md").read_text()
    shipped = {p.name for p in (SCRIPT.parents[1] / "bakeoff" / "demo" / "models" / name).iterdir()}
    assert {p.name for p in folder.iterdir()} == shipped  # the same files as the shipped model
