"""A small dataset of real photos with two prediction fields and their evaluations, and an API client."""

from __future__ import annotations

import random

import pytest

import bakeoff as fo


@pytest.fixture
def app_dataset(caltech101_subset):
    """36 real photos; 'clip' right about 3 in 4, 'siglip' about 1 in 2; both evaluated; some tags."""
    dataset = fo.Dataset.from_dir(caltech101_subset / "101_ObjectCategories", name="photos", max_samples=36,
                                  shuffle=True, seed=7)
    rng = random.Random(3)
    truth = dataset.values("ground_truth.label")
    classes = sorted(set(truth))
    for field, accuracy in (("clip", 0.75), ("siglip", 0.5)):
        labels = [t if rng.random() < accuracy else rng.choice(classes) for t in truth]
        confidences = [round(rng.random(), 3) for _ in truth]
        dataset.set_values(field, [fo.Classification(label=lab, confidence=c)
                                   for lab, c in zip(labels, confidences, strict=True)])
        dataset.evaluate_classifications(field, gt_field="ground_truth", eval_key=f"{field}_eval")
    dataset.take(5, seed=1).tag_samples("review")
    field = dataset.get_field("clip")
    field.description = "OpenAI CLIP predictions"
    field.info = {"url": "https://github.com/openai/CLIP"}
    field.save()
    return dataset


@pytest.fixture
def client():
    """The App's API as a script sees it: every request carries the bearer token."""
    from app_client import app_client

    with app_client() as test_client:
        yield test_client


@pytest.fixture
def shapes_dataset(tmp_path):
    """36 synthetic images (12 of the demo's shape classes x 3), the demo models' own domain."""
    from bakeoff.demo.shapes import class_names, write_dataset

    root = write_dataset(tmp_path / "shapes", per_class=3, seed=5, classes=class_names()[::5][:12])
    return fo.Dataset.from_dir(root, name="shapes")
