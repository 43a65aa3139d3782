"""Brain runs as runs: listed, inspected, loaded in another process, renamed and deleted; stored without pickle."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest

import bakeoff as fo
import bakeoff.brain as fob
from bakeoff.brain import runs
from bakeoff.errors import BrainError, BrainRunNotFoundError, InvalidOptionError

pytestmark = pytest.mark.parametrize("database", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def with_runs(vector_dataset):
    rng = np.random.default_rng(4)
    vectors = rng.standard_normal((60, 12)).astype(np.float32)
    dataset = vector_dataset(vectors, ["a" if i % 2 else "b" for i in range(60)], name="brainy", field="emb")
    fob.compute_similarity(dataset, embeddings="emb", brain_key="by_field")
    fob.compute_similarity(dataset, embeddings=vectors * 2, brain_key="by_array")
    fob.compute_visualization(dataset, embeddings=vectors, method="pca", brain_key="map")
    fob.compute_uniqueness(dataset, embeddings=vectors)
    return dataset, vectors


def test_runs_persist_across_processes(with_runs, run_python, bakeoff_home):
    dataset, vectors = with_runs
    ids = dataset.values("id")
    query = vectors[11].tolist()
    expected = {key: fob.load_brain_results(dataset, key).search(np.array(query), k=5)[0]
                for key in ("by_field", "by_array")}
    points = fob.load_brain_results(dataset, "map").points
    code = f"""
import json, numpy as np, bakeoff as fo, bakeoff.brain as fob
ds = fo.load_dataset("brainy")
out = {{"runs": fob.list_brain_runs(ds), "similarity": fob.list_brain_runs(ds, type="similarity"),
       "found": {{k: fob.load_brain_results(ds, k).search(np.array({query}), k=5)[0] for k in ("by_field", "by_array")}},
       "by_id": fob.sort_by_similarity(ds, {ids[3]!r}, k=2, brain_key="by_array").values("id"),
       "points": fob.load_brain_results(ds, "map").points.tolist(),
       "uniqueness": fob.get_brain_info(ds, "uniqueness")["config"]["fields"]}}
print(json.dumps(out))
"""
    done = run_python(code, bakeoff_home)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["runs"] == ["by_field", "by_array", "map", "uniqueness"]
    assert out["similarity"] == ["by_field", "by_array"]
    assert out["found"] == expected and out["by_id"][0] == ids[3]
    np.testing.assert_allclose(np.array(out["points"]), points, atol=1e-6)
    assert out["uniqueness"] == ["uniqueness"]


def test_info_rename_and_delete(with_runs):
    dataset, vectors = with_runs
    info = fob.get_brain_info(dataset, "by_field")
    assert (info["key"], info["type"], info["method"], info["version"]) == ("by_field", "similarity", "exact", 1)
    assert info["config"]["embeddings"] == {"kind": "field", "field": "emb"}
    assert info["results"] == {"index_size": 60, "missing_size": 0} and info["timestamp"] is not None
    assert fob.has_brain_run(dataset, "map") and not fob.has_brain_run(dataset, "nope")
    assert fob.list_brain_runs(dataset, type="visualization", method="pca") == ["map"]
    fob.rename_brain_run(dataset, "by_array", "renamed")
    assert "by_array" not in fob.list_brain_runs(dataset) and fob.load_brain_results(dataset, "renamed").index_size == 60
    assert fob.load_brain_results(dataset, "renamed").search(vectors[0], k=1)[0] == [dataset.first().id]
    with pytest.raises(BrainError, match="taken"):
        fob.rename_brain_run(dataset, "renamed", "map")
    fob.delete_brain_run(dataset, "renamed")
    with pytest.raises(BrainRunNotFoundError):
        fob.load_brain_results(dataset, "renamed")
    assert fob.load_brain_view(dataset, "map") is dataset
    fob.delete_brain_runs(dataset)
    assert fob.list_brain_runs(dataset) == [] and not dataset.has_field("uniqueness") and dataset.has_field("emb")


def test_a_run_on_a_view_remembers_the_view(with_runs):
    from bakeoff import ViewField as F

    dataset, vectors = with_runs
    view = dataset.match(F("ground_truth.label") == "a")
    index = fob.compute_similarity(view, embeddings="emb", brain_key="only_a")
    assert index.index_size == 30
    assert fob.load_brain_view(dataset, "only_a").values("id") == view.values("id")
    from bakeoff.brain.results import forget

    forget(dataset)
    assert fob.load_brain_results(dataset, "only_a").index_size == 30


def test_unknown_keys_are_key_errors_that_suggest(with_runs):
    dataset, _ = with_runs
    for call in (fob.get_brain_info, fob.load_brain_results, fob.delete_brain_run, fob.load_brain_view):
        with pytest.raises(BrainRunNotFoundError, match="Did you mean 'map'") as found:
            call(dataset, "mpa")
        assert isinstance(found.value, KeyError) and found.value.http_status == 404
    with pytest.raises(BrainRunNotFoundError):
        fob.rename_brain_run(dataset, "nope", "other")
    with pytest.raises(BrainError, match="invalid brain key"):
        fob.rename_brain_run(dataset, "map", "a b")
    with pytest.raises(InvalidOptionError, match="unknown brain run type"):
        fob.list_brain_runs(dataset, type="similar")


def test_arrays_are_stored_without_pickle(with_runs):
    dataset, _ = with_runs
    from bakeoff.core.interface import RunStore

    stored = RunStore(dataset, runs.DATA_RUN_TYPE).load("map")["results"]
    assert set(stored) == {"sample_ids", "points"} and "hex12" in stored["sample_ids"]
    assert runs.decode_ids(stored["sample_ids"]) == dataset.values("id")
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)  # what a hostile writer could plant
    with pytest.raises(BrainError, match="cannot be read"):
        runs.decode_array(base64.b64encode(buffer.getvalue()).decode())
    assert runs.decode_ids(runs.encode_ids(["not-hex", "x"])) == ["not-hex", "x"]


def test_large_array_embeddings_are_refused_for_storage(vector_dataset, monkeypatch):
    from bakeoff.brain import similarity

    vectors = np.random.default_rng(0).standard_normal((20, 8)).astype(np.float32)
    dataset = vector_dataset(vectors)
    monkeypatch.setattr(similarity, "MAX_STORED_BYTES", 100)
    with pytest.raises(BrainError, match="store them in a field"):
        fob.compute_similarity(dataset, embeddings=vectors, brain_key="big")
    assert fob.compute_similarity(dataset, embeddings=vectors).index_size == 20  # unsaved: nothing to store
    assert isinstance(dataset, fo.Dataset)
