"""The App's brain API: similarity search, the embeddings map's points and the prompt lab, on both databases."""

from __future__ import annotations

import base64
import time

import numpy as np
import pytest

import bakeoff.brain as fob
import bakeoff.zoo as foz
from bakeoff import ViewField as F
from bakeoff.brain.prompt_lab import PromptLab


@pytest.fixture
def classified(shapes_dataset, database):
    """36 demo-shapes images classified by demo-clip into 'clip' (logits stored)."""
    classes = shapes_dataset.distinct("ground_truth.label")
    shapes_dataset.apply_model(foz.load_zoo_model("demo-clip", classes=classes), label_field="clip", store_logits=True)
    return shapes_dataset


def _ok(response, status=200):
    assert response.status_code == status, response.text
    return response.json()


def _wait(client, job_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still running")


def _open(client, view=None, **extra):
    body = {"view": view or {"dataset": "shapes"}, "pred_field": "clip", "gt_field": "ground_truth", **extra}
    return _ok(client.post("/api/brain/prompt-lab", json=body))


@pytest.fixture
def indexed(classified):
    """The classified shapes with a similarity index 'sim' and a PCA map 'map' (demo-clip's cached embeddings)."""
    fob.compute_similarity(classified, model="demo-clip", brain_key="sim")
    fob.compute_visualization(classified, model="demo-clip", method="pca", brain_key="map", seed=0)
    return classified


def _decoded(text: str, dtype) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype=dtype)


# ---- similarity search and the map -------------------------------------------------------------


def test_brain_runs_are_listed_by_kind(indexed, client):
    runs = _ok(client.get("/api/brain/datasets/shapes/runs"))
    assert runs == {"similarity": [{"key": "sim", "text": True, "model": "demo-clip", "size": 36}],
                    "visualization": [{"key": "map", "method": "pca", "num_points": 36}]}
    assert client.get("/api/brain/datasets/nope/runs").status_code == 404


def test_a_text_search_is_a_stage_that_sorts_the_view(indexed, client):
    found = _ok(client.post("/api/brain/similar", json={"view": {"dataset": "shapes"}, "query": "a red circle", "k": 5}))
    assert found["stage"] == {"_cls": "SortBySimilarity", "kwargs": {"query": "a red circle", "k": 5,
                                                                     "brain_key": "sim", "reverse": False}}
    assert found["count"] == 5 and found["stages"] == [found["stage"]]
    page = _ok(client.post("/api/samples", json={"view": {"dataset": "shapes", "stages": found["stages"]}}))
    expected = fob.sort_by_similarity(indexed, "a red circle", k=5, brain_key="sim")
    assert [t["id"] for t in page["samples"]] == expected.values("id")
    assert page["stages"] == expected.to_dict()["stages"]  # the page's stage became a select of the ids, in order


def test_more_like_this_searches_within_the_view_and_replaces_the_search(indexed, client):
    some = indexed.distinct("ground_truth.label")[:4]
    view = {"dataset": "shapes", "stages": [{"_cls": "SortBySimilarity", "kwargs": {"query": "a dog"}}],
            "filters": {"labels": {"ground_truth": some}}}
    first = indexed.match(F("ground_truth.label").is_in(some)).first().id
    found = _ok(client.post("/api/brain/similar", json={"view": view, "query": first, "k": 100}))
    assert len(found["stages"]) == 1 and found["stages"][0]["kwargs"]["query"] == first
    assert found["count"] == 12  # the filtered view's samples, not the dataset's
    page = _ok(client.post("/api/samples", json={"view": {**view, "stages": found["stages"]}}))
    assert page["samples"][0]["id"] == first


def test_a_region_of_the_map_selects_the_samples_inside(indexed, client):
    results = fob.load_brain_results(indexed, "map")
    low, high = results.points.min(axis=0).tolist(), results.points.max(axis=0).tolist()
    middle = (low[0] + high[0]) / 2
    polygon = [[low[0] - 1, low[1] - 1], [middle, low[1] - 1], [middle, high[1] + 1], [low[0] - 1, high[1] + 1]]
    stage = {"_cls": "SelectRegion", "kwargs": {"brain_key": "map", "polygon": polygon}}
    page = _ok(client.post("/api/samples", json={"view": {"dataset": "shapes", "stages": [stage]}}))
    left = {i for i, p in zip(results.sample_ids, results.points, strict=True) if p[0] < middle}
    assert page["count"] == len(left) and {t["id"] for t in page["samples"]} == left
    # with a search before it: the region narrows the search's samples and keeps their order
    search = {"_cls": "SortBySimilarity", "kwargs": {"query": "a red circle", "k": 10, "brain_key": "sim"}}
    both = _ok(client.post("/api/samples", json={"view": {"dataset": "shapes", "stages": [search, stage]}}))
    ranked = fob.sort_by_similarity(indexed, "a red circle", k=10, brain_key="sim").values("id")
    assert [t["id"] for t in both["samples"]] == [i for i in ranked if i in left]


def test_points_are_compact_with_colours_and_the_view_highlighted(indexed, client):
    some = indexed.distinct("ground_truth.label")[:4]
    view = {"dataset": "shapes", "filters": {"labels": {"ground_truth": some}}}
    data = _ok(client.post("/api/brain/points", json={"view": view, "brain_key": "map", "color_by": "ground_truth"}))
    results = fob.load_brain_results(indexed, "map")
    assert data["num_points"] == 36 and data["method"] == "pca"
    x0, x1, y0, y1 = data["bounds"]
    xy = _decoded(data["xy"], "<u2").reshape(-1, 2) / 65535 * [x1 - x0, y1 - y0] + [x0, y0]
    np.testing.assert_allclose(xy, results.points, atol=1e-4 * max(x1 - x0, y1 - y0))
    in_view = np.unpackbits(_decoded(data["in_view"], np.uint8), bitorder="little")[:36].astype(bool)
    labels = dict(zip(indexed.values("id"), indexed.values("ground_truth.label"), strict=True))
    assert in_view.tolist() == [labels[i] in some for i in results.sample_ids] and data["num_in_view"] == 12
    color = data["color"]
    assert color["kind"] == "categorical" and sorted(color["categories"]) == sorted(set(labels.values()))
    codes = _decoded(color["codes"], np.uint8)
    assert [color["categories"][c] for c in codes] == [labels[i] for i in results.sample_ids]
    indexed.set_values("score", [float(i) for i in range(36)])
    numeric = _ok(client.post("/api/brain/points", json={"view": {"dataset": "shapes"}, "brain_key": "map",
                                                        "color_by": "score"}))["color"]
    assert numeric["kind"] == "numeric" and numeric["range"] == [0.0, 35.0]
    assert _ok(client.post("/api/brain/points", json={"view": {"dataset": "shapes"}, "brain_key": "map"}))["color"] \
        == {"field": None, "kind": "none"}


def test_a_point_of_the_map_names_its_sample(indexed, client):
    """The page clicks point i of /points (same order): the answer is the sample to open."""
    ids = fob.load_brain_results(indexed, "map").sample_ids
    for index in (0, 17, 35):
        found = _ok(client.post("/api/brain/points/sample", json={"dataset": "shapes", "brain_key": "map",
                                                                  "index": index, "num_points": 36}))
        assert found == {"brain_key": "map", "index": index, "id": ids[index]}


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"index": 36}, 400, "it has 36 points"),
    ({"index": 0, "num_points": 40}, 400, "computed again"),
    ({"index": -1}, 422, "greater than or equal"),
    ({"index": 0, "brain_key": "sim"}, 400, "not a visualization"),
    ({"index": 0, "brain_key": "nope"}, 404, "no brain run"),
    ({"index": 0, "dataset": "nope"}, 404, "nope"),
    ({"index": 0, "view": {"dataset": "shapes"}}, 422, "extra"),
])
def test_bad_point_requests_are_4xx(indexed, client, body, status, words):
    response = client.post("/api/brain/points/sample", json={"dataset": "shapes", "brain_key": "map", **body})
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"]).lower()


@pytest.mark.parametrize(("route", "body", "status", "words"), [
    ("similar", {"query": "a dog", "brain_key": "nope"}, 404, "no brain run 'nope'"),
    ("similar", {"query": "a dog", "brain_key": "map"}, 400, "not a similarity index"),
    ("similar", {"query": "0" * 24}, 404, "not in this similarity index"),
    ("similar", {"query": "   "}, 400, "empty"),
    ("similar", {"query": ""}, 422, "at least 1"),
    ("similar", {"query": "x" * 1001}, 422, "1000"),
    ("similar", {"query": "a dog", "k": 0}, 422, "greater than"),
    ("similar", {"query": "a dog", "k": 10_001}, 422, "less than"),
    ("points", {"brain_key": "sim"}, 400, "not a visualization"),
    ("points", {"brain_key": "nope"}, 404, "no brain run"),
    ("points", {"brain_key": "map", "color_by": "nope"}, 400, "no field 'nope'"),
    ("points", {"brain_key": "map", "color_by": "metadata"}, 400, "cannot colour by"),
    ("points", {"brain_key": "x" * 101}, 422, "100"),
])
def test_bad_search_and_map_requests_are_4xx(indexed, client, route, body, status, words):
    response = client.post(f"/api/brain/{route}", json={"view": {"dataset": "shapes"}, **body})
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])


@pytest.mark.parametrize(("stage", "status", "words"), [
    ({"_cls": "SelectRegion", "kwargs": {"brain_key": "map", "polygon": [[0, 0], [1, 1]]}}, 400, "at least 3"),
    ({"_cls": "SelectRegion", "kwargs": {"brain_key": "map", "polygon": [[0, 0]] * 1001}}, 400, "at most 1000"),
    ({"_cls": "SelectRegion", "kwargs": {"brain_key": "map", "polygon": [[0, 0], [1, "x"], [1, 0]]}}, 400, "number"),
    ({"_cls": "SelectRegion", "kwargs": {"brain_key": "sim", "polygon": [[0, 0], [1, 1], [1, 0]]}}, 400,
     "not a visualization"),
    ({"_cls": "SelectRegion", "kwargs": {"polygon": [[0, 0], [1, 1], [1, 0]]}}, 400, "brain_key"),
    ({"_cls": "SortBySimilarity", "kwargs": {"query": "a", "dist_field": "d"}}, 400, "dist_field"),
    ({"_cls": "SortBySimilarity", "kwargs": {"query": "a", "k": 0}}, 400, "greater than"),
    ({"_cls": "SortBySimilarity", "kwargs": {"query": 3}}, 400, "string"),
    ({"_cls": "SortBySimilarity", "kwargs": {"query": "a", "brain_key": "gone"}}, 404, "no brain run 'gone'"),
])
def test_bad_brain_stages_are_4xx(indexed, client, stage, status, words):
    response = client.post("/api/samples", json={"view": {"dataset": "shapes", "stages": [stage]}})
    assert response.status_code == status, response.text
    assert words in response.json()["detail"]


def test_a_dataset_without_an_index_says_how_to_make_one(classified, client):
    response = client.post("/api/brain/similar", json={"view": {"dataset": "shapes"}, "query": "a dog"})
    assert response.status_code == 400 and "fob.compute_similarity" in response.json()["detail"]
    assert _ok(client.get("/api/brain/datasets/shapes/runs")) == {"similarity": [], "visualization": []}


# ---- the prompt lab ------------------------------------------------------------------------------


def test_a_lab_opens_on_a_run_with_its_prompts_and_baseline(classified, client):
    lab = _open(client)
    python = PromptLab(classified, "clip", gt_field="ground_truth")
    assert lab["classes"] == python.classes and lab["prompts"] == python.run_prompts
    assert lab["baseline"]["accuracy"] == pytest.approx(python.baseline.accuracy)
    assert lab["baseline"]["recall"] == pytest.approx(python.baseline.recall)
    assert lab["baseline"]["num_samples"] == 36 and lab["baseline"]["changed"] == 0


def test_rescore_with_a_changed_class_prompt(classified, client):
    lab = _open(client)
    target = next(c for c in lab["classes"] if lab["baseline"]["recall"].get(c, 0) > 0)
    other = next(c for c in lab["classes"] if c.split()[0] != target.split()[0] and c.split()[1] != target.split()[1])
    same = _ok(client.post(f"/api/brain/prompt-lab/{lab['lab']}/rescore", json={"focus": target}))
    assert same["accuracy"] == lab["baseline"]["accuracy"] and same["changed"] == 0
    assert same["focus"]["prompts"] == lab["prompts"][target]
    changed = _ok(client.post(f"/api/brain/prompt-lab/{lab['lab']}/rescore",
                              json={"prompts": {target: [f"a photo of a {other}"]}, "focus": target}))
    python = PromptLab(classified, "clip", gt_field="ground_truth").rescore(prompts={target: [f"a photo of a {other}"]})
    assert changed["accuracy"] == pytest.approx(python.accuracy)
    assert changed["focus"]["recall"] < lab["baseline"]["recall"][target]
    assert changed["focus"]["confusion_row"] == python.confusion_row(target)
    assert sum(changed["focus"]["confusion_row"].values()) == changed["focus"]["support"] == 3
    assert changed["baseline_accuracy"] == lab["baseline"]["accuracy"] and changed["changed"] > 0
    templated = _ok(client.post(f"/api/brain/prompt-lab/{lab['lab']}/rescore", json={"templates": ["a {}"]}))
    assert templated["accuracy"] == pytest.approx(
        PromptLab(classified, "clip", gt_field="ground_truth").rescore(templates=["a {}"]).accuracy)


def test_a_lab_on_a_view_scores_its_samples(classified, client):
    some = classified.distinct("ground_truth.label")[:4]
    lab = _open(client, {"dataset": "shapes", "filters": {"labels": {"ground_truth": some}}})
    assert lab["baseline"]["num_samples"] == 12 and set(lab["baseline"]["support"]) <= set(some)


def test_save_runs_a_job_that_writes_a_model_run(classified, client):
    lab = _open(client)
    target = lab["classes"][0]
    job = _ok(client.post(f"/api/brain/prompt-lab/{lab['lab']}/save",
                          json={"label_field": "clip_lab", "prompts": {target: ["a drawing of a shape"]}}), 202)
    done = _wait(client, job["id"])
    assert done["status"] == "completed", done
    assert done["result"]["label_field"] == "clip_lab" and done["result"]["num_samples"] == 36
    info = classified.get_model_run_info("clip_lab")
    assert info["config"]["prompts"][0] == ["a drawing of a shape"]
    assert info["config"]["prompt_lab"]["changed_classes"] == [target]
    assert "clip_lab" in _ok(client.get("/api/datasets/shapes"))["model_runs"]
    refused = client.post(f"/api/brain/prompt-lab/{lab['lab']}/save", json={"label_field": "clip_lab"})
    assert refused.status_code == 400 and "exists" in refused.json()["detail"]


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"pred_field": "nope"}, 400, "no model run wrote 'nope'"),
    ({"pred_field": "clip", "gt_field": "nope"}, 400, "no field 'nope'"),
    ({"pred_field": "clip", "gt_field": "filepath"}, 400, "Classification"),
    ({"pred_field": "clip", "view": {"dataset": "nope"}}, 404, "nope"),
    ({"pred_field": "clip", "model": "demo-siglip"}, 400, "fingerprint"),
    ({"pred_field": "clip", "model": "demo-clip", "model_args": {"name_or_path": "/etc"}}, 403, "app_model_dirs"),
    ({"pred_field": "clip", "model": "demo-clip", "model_args": {"cache": "x"}}, 400, "cache"),
    ({"pred_field": "x" * 201}, 422, "200"),
    ({"pred_field": "clip", "surprise": 1}, 422, "surprise"),
])
def test_bad_lab_requests_are_4xx(classified, client, body, status, words):
    body = {"view": {"dataset": "shapes"}, **body}
    response = client.post("/api/brain/prompt-lab", json=body)
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])


@pytest.mark.parametrize(("body", "status", "words"), [
    ({"prompts": {"red circel": ["a"]}}, 400, "Did you mean"),
    ({"prompts": {"CLASS": []}}, 422, "at least 1"),
    ({"prompts": {"CLASS": [""]}}, 422, "at least 1"),
    ({"prompts": {"CLASS": ["  "]}}, 400, "not a prompt"),
    ({"prompts": {"CLASS": ["x" * 1001]}}, 422, "1000"),
    ({"prompts": {"CLASS": ["a"] * 101}}, 422, "100"),
    ({"prompts": ["a"]}, 422, "dict"),
    ({"templates": ["no placeholder"]}, 400, "{}"),
    ({"templates": []}, 422, "at least 1"),
    ({"focus": "nope"}, 400, "neither a class"),
])
def test_bad_rescore_requests_are_4xx(classified, client, body, status, words):
    lab = _open(client)
    if "prompts" in body and isinstance(body["prompts"], dict):
        body = {"prompts": {(lab["classes"][0] if k == "CLASS" else k): v for k, v in body["prompts"].items()}}
    response = client.post(f"/api/brain/prompt-lab/{lab['lab']}/rescore", json=body)
    assert response.status_code == status, response.text
    assert words in str(response.json()["detail"])


def test_an_unknown_or_closed_lab_is_a_404(classified, client):
    response = client.post("/api/brain/prompt-lab/nope/rescore", json={})
    assert response.status_code == 404 and "open it again" in response.json()["detail"]
    assert client.post("/api/brain/prompt-lab/nope/save", json={"label_field": "x"}).status_code == 404


def test_bad_save_requests_are_4xx(classified, client):
    lab = _open(client)
    url = f"/api/brain/prompt-lab/{lab['lab']}/save"
    assert client.post(url, json={"label_field": "bad name"}).status_code == 422
    assert client.post(url, json={"label_field": "clip", "overwrite": True}).status_code == 400
    assert client.post(url, json={"label_field": "x", "prompts": {"nope": ["a"]}}).status_code == 400
    assert client.get("/api/jobs").json() == {"jobs": []}
