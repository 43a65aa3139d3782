"""Fixtures of the brain tests: datasets of planted vectors, demo-shapes images and the demo CLIP (loaded once)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import bakeoff as fo


def _vector_dataset(vectors: np.ndarray, labels: list[str] | None = None, name: str | None = None,
                    field: str | None = None) -> fo.Dataset:
    dataset = fo.Dataset(name, persistent=name is not None)
    samples = []
    for i, row in enumerate(vectors):
        sample = fo.Sample(filepath=f"/planted/{i:05d}.png")
        if labels is not None:
            sample["ground_truth"] = fo.Classification(label=labels[i])
        if field is not None:
            sample[field] = np.asarray(row, dtype=np.float32)
        samples.append(sample)
    dataset.add_samples(samples)
    return dataset


@pytest.fixture
def vector_dataset():
    """``vector_dataset(vectors, labels=None, name=None, field=None)``: one sample per row of ``vectors`` (the
    files need not exist), labelled when ``labels`` are given, the vectors stored in ``field`` when named;
    persistent when named."""
    return _vector_dataset


@pytest.fixture(scope="session")
def demo_clip():
    """The shipped demo CLIP (offline, meaningful on demo-shapes), loaded once for the session."""
    import bakeoff.zoo as foz

    return foz.load_zoo_model("demo-clip")


@pytest.fixture(scope="session")
def shapes_root(tmp_path_factory) -> Path:
    """32 demo-shapes PNGs: 8 classes x 4, in class folders."""
    from bakeoff.demo.shapes import class_names, write_dataset

    return write_dataset(tmp_path_factory.mktemp("brain-shapes"), per_class=4, seed=3, classes=class_names()[::8][:8])
