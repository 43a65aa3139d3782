"""The synthetic shapes generator and the demo-shapes zoo dataset."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from PIL import Image

import bakeoff.zoo as foz
from bakeoff.demo import COLORS, SHAPES, captions_for, class_names, write_dataset


def _digest(root):
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(root.rglob("*.png")))).hexdigest()


def test_same_seed_same_bytes_other_seed_other_images(tmp_path):
    a = write_dataset(tmp_path / "a", per_class=2, seed=3, classes=["red circle", "blue star"])
    b = write_dataset(tmp_path / "b", per_class=2, seed=3, classes=["red circle", "blue star"])
    c = write_dataset(tmp_path / "c", per_class=2, seed=4, classes=["red circle", "blue star"])
    assert _digest(a) == _digest(b) != _digest(c)
    # a class's images do not depend on which other classes are generated
    alone = write_dataset(tmp_path / "d", per_class=2, seed=3, classes=["blue star"])
    assert (alone / "blue star" / "0001.png").read_bytes() == (a / "blue star" / "0001.png").read_bytes()


def test_every_class_is_drawn_in_its_colour(tmp_path):
    root = write_dataset(tmp_path / "all", per_class=1, seed=0)
    assert sorted(p.name for p in root.iterdir()) == sorted(class_names()) and len(class_names()) == 64
    for label in class_names():
        color = np.array(COLORS[label.split()[0]], dtype=float)
        pixels = np.asarray(Image.open(root / label / "0000.png"), dtype=float).reshape(-1, 3)
        near = (np.linalg.norm(pixels - color, axis=1) < 60).mean()
        assert near > 0.03, f"{label}: only {near:.1%} of pixels have the class colour"


@pytest.mark.parametrize(("color", "shape"), [("red", "circle"), ("black", "ring")])
def test_captions_name_both_or_one_attribute(color, shape):
    captions = captions_for(color, shape)
    assert any(color in c and shape in c for c in captions)
    assert any(shape in c and color not in c for c in captions)
    assert any(color in c and shape not in c for c in captions)


def test_unknown_class_is_refused(tmp_path):
    with pytest.raises(ValueError, match="colours"):
        write_dataset(tmp_path, classes=["pink circle"])
    assert set(SHAPES) >= {"circle", "star"}


def test_demo_shapes_zoo_dataset_is_generated_on_first_use():
    dataset = foz.load_zoo_dataset("demo-shapes")
    assert len(dataset) == 64 * 20 and len(dataset.distinct("ground_truth.label")) == 64
    assert not dataset.has_field("media_error")  # every image readable
    assert dataset.first().metadata.width == 64
    again = foz.load_zoo_dataset("demo-shapes", dataset_name="again", max_samples=100, shuffle=True, seed=1)
    assert len(again) == 100 and set(again.values("filepath")) <= set(dataset.values("filepath"))
