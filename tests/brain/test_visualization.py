"""compute_visualization: two planted clusters stay apart on the map; points persist with their sample ids."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff.brain as fob
from bakeoff import ViewField as F
from bakeoff.brain.results import forget
from bakeoff.errors import BrainError, InvalidOptionError, UnknownOptionError

pytestmark = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def two_clusters(vector_dataset):
    """40 + 40 vectors around two directions of a 64-d space, labelled by cluster."""
    rng = np.random.default_rng(11)
    centres = rng.standard_normal((2, 64)) * 3.0
    which = np.repeat([0, 1], 40)
    rng.shuffle(which)
    vectors = (centres[which] + rng.standard_normal((80, 64))).astype(np.float32)
    labels = ["left" if w == 0 else "right" for w in which]
    return vector_dataset(vectors, labels), vectors, which


def _separated(points: np.ndarray, which: np.ndarray) -> bool:
    """Every point is nearer its own cluster's centre than the other's."""
    centres = np.stack([points[which == c].mean(axis=0) for c in (0, 1)])
    nearest = np.linalg.norm(points[:, None, :] - centres[None], axis=2).argmin(axis=1)
    return bool(np.all(nearest == which))


@pytest.mark.parametrize("method", ["pca", "tsne", "umap"])
def test_a_two_cluster_set_separates(two_clusters, method):
    if method == "umap":
        pytest.importorskip("umap")
    dataset, vectors, which = two_clusters
    results = fob.compute_visualization(dataset, embeddings=vectors, method=method, brain_key="map", seed=0)
    assert results.points.shape == (80, 2) and results.points.dtype == np.float32
    assert results.sample_ids == dataset.values("id") and results.method == method
    assert _separated(results.points, which)
    info = fob.get_brain_info(dataset, "map")
    assert (info["type"], info["method"], info["config"]["num_dims"]) == ("visualization", method, 2)


def test_points_persist_with_their_ids_and_follow_a_view(two_clusters):
    dataset, vectors, which = two_clusters
    results = fob.compute_visualization(dataset, embeddings=vectors, method="pca", brain_key="map",
                                        points_field="xy", num_dims=3)
    assert results.points.shape == (80, 3)
    np.testing.assert_allclose(np.stack(dataset.values("xy")), results.points, atol=1e-6)
    forget(dataset)
    loaded = fob.load_brain_results(dataset, "map")
    assert loaded is not results and loaded.sample_ids == results.sample_ids
    np.testing.assert_array_equal(loaded.points, results.points)
    left = dataset.match(F("ground_truth.label") == "left")
    loaded.use_view(left)
    assert loaded.current_sample_ids == left.values("id") and len(loaded.current_points) == 40
    loaded.clear_view()
    assert len(loaded.current_points) == 80
    # deleting the run deletes the points field it wrote, as FiftyOne does
    fob.delete_brain_run(dataset, "map")
    assert not dataset.has_field("xy") and fob.list_brain_runs(dataset) == []


def test_manual_points_and_a_seed_reproduce(two_clusters):
    dataset, vectors, _ = two_clusters
    points = np.random.default_rng(0).standard_normal((80, 2))
    manual = fob.compute_visualization(dataset, points=points, brain_key="manual")
    assert manual.method == "manual"
    np.testing.assert_allclose(manual.points, points, atol=1e-6)
    a = fob.compute_visualization(dataset, embeddings=vectors, method="tsne", seed=3)
    b = fob.compute_visualization(dataset, embeddings=vectors, method="tsne", seed=3)
    np.testing.assert_array_equal(a.points, b.points)


def test_hostile_visualization_arguments(two_clusters):
    dataset, vectors, _ = two_clusters
    with pytest.raises(InvalidOptionError, match="unknown visualization method"):
        fob.compute_visualization(dataset, embeddings=vectors, method="isomap")
    with pytest.raises(InvalidOptionError, match="num_dims"):
        fob.compute_visualization(dataset, embeddings=vectors, method="pca", num_dims=0)
    with pytest.raises(BrainError, match="points= has shape"):
        fob.compute_visualization(dataset, points=np.zeros((3, 2)))
    with pytest.raises(BrainError, match="empty collection"):
        fob.compute_visualization(dataset.match(F("ground_truth.label") == "x"), embeddings="emb", method="pca")
    with pytest.raises(UnknownOptionError, match="perplexty"):
        fob.compute_visualization(dataset, embeddings=vectors, method="tsne", perplexty=5)
