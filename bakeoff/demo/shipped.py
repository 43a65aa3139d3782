"""The demo models shipped inside bakeoff (``bakeoff/demo/models``), trained on :mod:`bakeoff.demo.shapes`."""

from __future__ import annotations

from pathlib import Path

#: the shipped demo models, by zoo name (see ``bakeoff/models/zoo.py`` and each folder's CARD.md)
DEMO_MODELS = ("demo-clip", "demo-siglip", "demo-openclip")
#: where their folders are
MODELS_DIR = Path(__file__).parent / "models"


def available_models() -> list[str]:
    """The demo models installed with this copy of bakeoff, e.g. ``['demo-clip', 'demo-siglip', 'demo-openclip']``."""
    return [name for name in DEMO_MODELS
            if (MODELS_DIR / name / "config.json").is_file() or (MODELS_DIR / name / "open_clip_config.json").is_file()]
