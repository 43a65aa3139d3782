"""The README's zoo tables match the registries, so they cannot drift."""

from __future__ import annotations

from pathlib import Path

import bakeoff.zoo as foz
from bakeoff.cli.zoo import zoo_model_rows

README = Path(__file__).resolve().parents[2] / "README.md"


def table_after(heading: str) -> list[list[str]]:
    """Cells of the markdown table that follows ``heading`` (header and separator rows dropped)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[2:]


def test_zoo_models_table_lists_every_model_with_its_library():
    rows = {cells[0].strip("`"): cells[1] for cells in table_after("### Zoo models")}
    assert rows == {row["name"]: row["library"] for row in zoo_model_rows()}


def test_zoo_datasets_table_lists_every_dataset():
    names = [cells[0].strip("`") for cells in table_after("### Zoo datasets")]
    assert names == foz.list_zoo_datasets()
