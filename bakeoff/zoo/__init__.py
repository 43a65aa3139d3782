"""The zoo: datasets and zero-shot models by name.

Example::

    import bakeoff.zoo as foz
    dataset = foz.load_zoo_dataset("caltech256", max_samples=1000, shuffle=True)
    model = foz.load_zoo_model("clip-vit-base32-torch", classes=dataset.distinct("ground_truth.label"))
"""

from __future__ import annotations

from typing import Any

from bakeoff.zoo.datasets import ZooDataset, list_zoo_datasets, load_zoo_dataset


def load_zoo_model(name: str, classes: list[str] | None = None, text_prompt: str | None = None, **kwargs: Any):
    """Load a zero-shot model by zoo name (see :func:`list_zoo_models`); imports torch on first use."""
    from bakeoff.models.zoo import load_zoo_model as _load

    return _load(name, classes=classes, text_prompt=text_prompt, **kwargs)


def list_zoo_models() -> list[str]:
    """Names of the zoo's zero-shot models."""
    from bakeoff.models.zoo import list_zoo_models as _list

    return _list()


__all__ = ["ZooDataset", "list_zoo_datasets", "list_zoo_models", "load_zoo_dataset", "load_zoo_model"]
