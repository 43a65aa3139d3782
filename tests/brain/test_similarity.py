"""compute_similarity / sort_by_similarity: exact answers equal brute force; text, id and vector queries."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
import bakeoff.brain as fob
from bakeoff import ViewField as F
from bakeoff.errors import (
    BrainError,
    BrainRunNotFoundError,
    InvalidOptionError,
    SampleNotFoundError,
    UnknownFieldError,
)

pytestmark = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


def _brute_force(vectors: np.ndarray, query: np.ndarray, rows: np.ndarray | None = None):
    """Row order by cosine similarity (ties by row), and the cosine distances, in float64."""
    rows = np.arange(len(vectors)) if rows is None else np.asarray(rows)
    unit = vectors[rows] / np.linalg.norm(vectors[rows], axis=1, keepdims=True)
    sims = unit @ (query / np.linalg.norm(query))
    order = np.lexsort((rows, -sims))
    return rows[order], 1.0 - sims[order]


@pytest.fixture
def planted(vector_dataset):
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((240, 24)).astype(np.float32)
    labels = ["cat" if i % 3 else "dog" for i in range(240)]
    return vector_dataset(vectors, labels, field="emb"), vectors


def test_exact_search_equals_brute_force(planted):
    dataset, vectors = planted
    ids = dataset.values("id")
    index = fob.compute_similarity(dataset, embeddings=vectors, brain_key="sim")
    assert (index.backend, index.index_size, index.missing_size, index.dim) == ("exact", 240, 0, 24)
    rng = np.random.default_rng(1)
    for query in [rng.standard_normal(24), vectors[17] * 3.0, rng.standard_normal(24)]:
        order, dists = _brute_force(vectors, query)
        found, distances = index.search(query, k=10)
        assert found == [ids[i] for i in order[:10]]
        np.testing.assert_allclose(distances, dists[:10], atol=1e-5)
        everything, _ = index.search(query)             # k=None ranks every sample
        assert everything == [ids[i] for i in order]
        least, _ = index.search(query, k=5, reverse=True)
        assert least == [ids[i] for i in order[::-1][:5]]
    # by sample id: the sample itself first, at distance 0
    found, distances = index.search(ids[17], k=3)
    assert found == [ids[i] for i in _brute_force(vectors, vectors[17])[0][:3]] and found[0] == ids[17]
    assert distances[0] == pytest.approx(0.0, abs=1e-6)
    # several ids: their mean direction (FiftyOne's "mean" aggregation)
    mean = (vectors[3] / np.linalg.norm(vectors[3]) + vectors[4] / np.linalg.norm(vectors[4])) / 2
    assert index.search([ids[3], ids[4]], k=8)[0] == [ids[i] for i in _brute_force(vectors, mean)[0][:8]]


def test_sort_by_similarity_on_a_view_ranks_only_its_samples(planted):
    dataset, vectors = planted
    ids = dataset.values("id")
    fob.compute_similarity(dataset, embeddings="emb", brain_key="sim")
    view = dataset.match(F("ground_truth.label") == "dog")
    rows = np.array([i for i in range(240) if i % 3 == 0])
    query = vectors[5]  # a cat: it is not in the view, and ranks the dogs anyway
    result = fob.sort_by_similarity(view, query, k=7, brain_key="sim")
    assert result.values("id") == [ids[i] for i in _brute_force(vectors, query, rows)[0][:7]]
    # the one similarity index is found without its key; the view is a normal view
    again = fob.sort_by_similarity(view, query, k=7)
    assert again.values("id") == result.values("id") and again.count_values("ground_truth.label") == {"dog": 7}
    # dist_field stores each match's distance and orders the view by it
    with_dist = fob.sort_by_similarity(dataset, ids[9], k=5, dist_field="dist")
    distances = with_dist.values("dist")
    assert with_dist.values("id")[0] == ids[9] and distances == sorted(distances)
    np.testing.assert_allclose(distances, _brute_force(vectors, vectors[9])[1][:5], atol=1e-5)
    assert dataset.count("dist") == 5


def test_text_queries_use_the_models_text_tower_and_nothing_is_encoded_twice(tmp_path, make_image, tiny_model_dir):
    import bakeoff.zoo as foz
    from bakeoff.brain.results import forget

    folder = tiny_model_dir("open_clip", "clip")
    model = foz.load_zoo_model("open-clip-torch", clip_model=f"local-dir:{folder}", pretrained="")
    colors = [(220, 30, 30), (30, 200, 40), (40, 60, 220), (240, 240, 240), (10, 10, 10), (200, 200, 30)]
    paths = [str(make_image(tmp_path / f"{i}.png", size=(32 + i, 32), color=c)) for i, c in enumerate(colors)]
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(filepath=p) for p in paths])
    calls = []
    encode = model.encode_images
    model.encode_images = lambda batch: calls.append(len(batch)) or encode(batch)  # counts, then encodes
    index = fob.compute_similarity(dataset, model=model, brain_key="tiny")
    assert sum(calls) == 6 and index.supports_prompts
    text = model.encode_texts(["a red square"])[0]
    vectors, ids = index.get_embeddings()
    assert index.search("a red square", k=6)[0] == [ids[i] for i in _brute_force(vectors, text)[0]]
    # the map and the duplicates of the same model read the embedding cache: no image is encoded again
    fob.compute_visualization(dataset, model=model, method="pca", brain_key="map")
    fob.compute_near_duplicates(dataset, model=model, threshold=0.01)
    assert sum(calls) == 6
    # loaded again (a new process would do the same): vectors from the cache, the model object is not known
    forget(dataset)
    loaded = fob.load_brain_results(dataset, "tiny")
    assert loaded is not index and loaded.index_size == 6 and sum(calls) == 6
    assert loaded.search(ids[2], k=2)[0][0] == ids[2]
    with pytest.raises(BrainError, match="set_model"):
        loaded.search("a red square", k=2)
    loaded.set_model(model)
    assert loaded.search("a red square", k=6)[0] == index.search("a red square", k=6)[0]


def test_a_sample_without_an_embedding_is_left_out_and_counted(planted, vector_dataset):
    dataset, vectors = planted
    first = dataset.first()
    first["emb"] = None
    first.save()
    index = fob.compute_similarity(dataset, embeddings="emb")
    assert (index.index_size, index.missing_size) == (239, 1)
    assert dataset.first().id not in index.search(vectors[0], k=None)[0]


@pytest.mark.parametrize("query, error, match", [
    (np.zeros(24), BrainError, "zero"),
    (np.ones(23), BrainError, "24-dimensional"),
    (np.ones((2, 25)), BrainError, "24-dimensional"),
    ([], BrainError, "empty"),
    ("a cat", BrainError, "no model"),
    ("0123456789abcdef01234567", SampleNotFoundError, "not in this similarity index"),
    ([np.nan] * 24, BrainError, "NaN"),
])
def test_hostile_queries_raise_bakeoff_errors(planted, query, error, match):
    dataset, vectors = planted
    index = fob.compute_similarity(dataset, embeddings=vectors, brain_key="sim")
    with pytest.raises(error, match=match):
        index.search(query, k=3)


@pytest.mark.parametrize("k", [0, -1, True, 2.5, "3"])
def test_k_must_be_a_positive_number_or_none(planted, k):
    dataset, vectors = planted
    fob.compute_similarity(dataset, embeddings=vectors, brain_key="sim")
    with pytest.raises(InvalidOptionError, match="k must be"):
        fob.sort_by_similarity(dataset, vectors[0], k=k, brain_key="sim")


def test_hostile_arguments_raise_bakeoff_errors(planted):
    dataset, vectors = planted
    with pytest.raises(BrainRunNotFoundError) as found:
        fob.sort_by_similarity(dataset, vectors[0], k=3, brain_key="nope")
    assert isinstance(found.value, KeyError) and found.value.http_status == 404
    with pytest.raises(BrainError, match="no similarity index|0 similarity indexes"):
        fob.sort_by_similarity(dataset, vectors[0], k=3)
    with pytest.raises(BrainError, match="empty collection"):
        fob.compute_similarity(dataset.match(F("ground_truth.label") == "bird"), embeddings="emb")
    with pytest.raises(BrainError, match="rows"):
        fob.compute_similarity(dataset, embeddings=vectors[:10])
    with pytest.raises(BrainError, match="no embeddings to work on"):
        fob.compute_similarity(dataset)
    with pytest.raises(BrainError, match="invalid brain key"):
        fob.compute_similarity(dataset, embeddings=vectors, brain_key="../../etc")
    with pytest.raises(InvalidOptionError, match="unknown similarity backend"):
        fob.compute_similarity(dataset, embeddings=vectors, backend="annoy")
    with pytest.raises(UnknownFieldError):
        fob.compute_similarity(dataset, embeddings="no_such_field")
    fob.compute_uniqueness(dataset, embeddings=vectors, uniqueness_field="taken")
    with pytest.raises(BrainError, match="holds a uniqueness run"):
        fob.compute_similarity(dataset, embeddings=vectors, brain_key="taken")
    fob.compute_similarity(dataset, embeddings=vectors, brain_key="a")
    fob.compute_similarity(dataset, embeddings=vectors, brain_key="b")
    with pytest.raises(BrainError, match="pass brain_key"):
        fob.sort_by_similarity(dataset, vectors[0], k=3)


def test_the_approximate_backend_finds_the_exact_neighbours(vector_dataset):
    pytest.importorskip("faiss")
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 32))
    vectors = (centres[rng.integers(0, 40, 3000)] + 0.5 * rng.standard_normal((3000, 32))).astype(np.float32)
    dataset = vector_dataset(vectors)
    approx = fob.compute_similarity(dataset, embeddings=vectors, backend="faiss", brain_key="ann")
    exact = fob.compute_similarity(dataset, embeddings=vectors, backend="exact")
    assert approx.backend == "faiss" and fob.get_brain_info(dataset, "ann")["config"]["backend"] == "faiss"
    queries = rng.standard_normal((20, 32))
    recall = np.mean([len(set(approx.search(q, k=10)[0]) & set(exact.search(q, k=10)[0])) / 10 for q in queries])
    assert recall >= 0.95
    # what the compressed index cannot answer is answered exactly
    assert approx.search(queries[0], k=5, reverse=True)[0] == exact.search(queries[0], k=5, reverse=True)[0]
    assert approx.search(queries[0])[0] == exact.search(queries[0])[0]
    # and the run comes back with its backend
    from bakeoff.brain.results import forget

    forget(dataset)
    assert fob.load_brain_results(dataset, "ann").backend == "faiss"


def test_samples_added_later_are_encoded_only_when_a_model_is_given(shapes_root, demo_clip, tmp_path):
    import shutil

    from bakeoff.brain.results import forget

    dataset = fo.Dataset.from_dir(shapes_root)
    fob.compute_similarity(dataset, model=demo_clip, brain_key="shapes")
    source = sorted(shapes_root.glob("*/*.png"))[0]
    shutil.copy(source, tmp_path / "late.png")
    late = fo.Sample(filepath=str(tmp_path / "late.png"))
    dataset.add_sample(late)
    forget(dataset)
    loaded = fob.load_brain_results(dataset, "shapes")         # from the cache; loading never loads a model
    assert (loaded.index_size, loaded.missing_size) == (32, 1)
    refreshed = fob.load_brain_results(dataset, "shapes", model=demo_clip)
    assert (refreshed.index_size, refreshed.missing_size) == (33, 0)
    found, distances = refreshed.search(late.id, k=2)   # a copy of the first image: the two tie at distance 0
    assert set(found) == {late.id, dataset[str(source)].id} and distances.max() == pytest.approx(0.0, abs=1e-5)
