"""The public surface: what `import bakeoff` exposes, and what it must not import."""

from __future__ import annotations

import subprocess
import sys

import bakeoff as fo


def test_import_bakeoff_does_not_import_heavy_libraries():
    code = (
        "import sys, bakeoff, bakeoff.zoo; "
        "heavy = [m for m in ('torch', 'transformers', 'open_clip', 'timm') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_public_names_are_exactly_the_intended_ones():
    assert sorted(fo.__all__) == sorted(name for name in fo.__all__ if hasattr(fo, name))
    exported = {name for name in dir(fo) if not name.startswith("_")}
    import types

    # subpackages show up as attributes once imported; they are reached by their path, not exported
    modules = {n for n in exported if isinstance(getattr(fo, n), types.ModuleType) and n != "types"}
    assert exported - modules - {"__version__"} == set(fo.__all__) - {"__version__"}


def test_tutorial_names_exist():
    import bakeoff.zoo as foz

    for name in ("Dataset", "load_dataset", "list_datasets", "delete_dataset", "Classification", "Sample",
                 "EmbeddedDocumentField", "StringField", "config"):
        assert hasattr(fo, name), name
    for name in ("load_zoo_dataset", "list_zoo_datasets", "load_zoo_model", "list_zoo_models"):
        assert callable(getattr(foz, name)), name
    fo.config.default_batch_size = 32
    assert fo.config.default_batch_size == 32
