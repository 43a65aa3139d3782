"""FiftyOne's brain methods on datasets and views (``view.sort_by_similarity``, ``dataset.list_brain_runs``...)
are doors into bakeoff.brain, with the same answers as the functions."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
import bakeoff.brain as fob
from bakeoff import ViewField as F
from bakeoff.errors import BrainRunNotFoundError

pytestmark = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


def test_sort_by_similarity_and_run_methods_on_datasets_and_views(vector_dataset):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 8)).astype(np.float32)
    dataset = vector_dataset(vectors, labels=["a" if i % 2 else "b" for i in range(40)], field="emb")
    fob.compute_similarity(dataset, embeddings="emb", brain_key="sim")

    query = vectors[5]
    assert dataset.sort_by_similarity(query, k=7, brain_key="sim").values("id") == \
        fob.sort_by_similarity(dataset, query, k=7, brain_key="sim").values("id")
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    expected = np.argsort(-(unit @ unit[5]), kind="stable")[:7]
    assert dataset.sort_by_similarity(query, k=7).values("id") == [dataset.values("id")[i] for i in expected]

    view = dataset.match(F("ground_truth.label") == "a")
    in_view = view.sort_by_similarity(query, k=5, brain_key="sim")
    assert set(in_view.values("id")) <= set(view.values("id")) and len(in_view) == 5

    assert dataset.list_brain_runs() == ["sim"] == view.list_brain_runs()
    assert dataset.has_brain_run("sim") and not dataset.has_brain_run("nope")
    assert dataset.get_brain_info("sim")["key"] == "sim"
    assert isinstance(dataset.load_brain_results("sim"), fob.SimilarityIndex)
    dataset.rename_brain_run("sim", "sim2")
    assert fob.list_brain_runs(dataset) == ["sim2"]
    with pytest.raises(BrainRunNotFoundError):
        dataset.get_brain_info("sim")
    dataset.delete_brain_run("sim2")
    assert dataset.list_brain_runs() == []


def test_a_reloaded_dataset_has_the_doors_too(vector_dataset):
    vectors = np.eye(6, dtype=np.float32)
    dataset = vector_dataset(vectors, name="doors", field="emb")
    fob.compute_similarity(dataset, embeddings="emb", brain_key="sim")
    loaded = fo.load_dataset("doors")
    assert loaded.sort_by_similarity(vectors[2], k=1).values("id") == [dataset.values("id")[2]]
    loaded.delete_brain_runs()
    assert loaded.list_brain_runs() == []
