"""The App's API on a Classifications field (several labels per sample): fields, chips, counts, filters, detail."""

from __future__ import annotations

import pytest

import bakeoff as fo
from bakeoff import ViewField as F


def _tags(*pairs):
    return fo.Classifications(classifications=[fo.Classification(label=label, confidence=conf) for label, conf in pairs])


@pytest.fixture
def tagged():
    dataset = fo.Dataset("tagged")
    dataset.add_samples([
        fo.Sample("/img/a.jpg", ground_truth=fo.Classification(label="cat"), tl=_tags(("cat", 0.9), ("dog", 0.3))),
        fo.Sample("/img/b.jpg", ground_truth=fo.Classification(label="dog"), tl=_tags(("dog", 0.6))),
        fo.Sample("/img/c.jpg", ground_truth=fo.Classification(label="dog"), tl=_tags()),
        fo.Sample("/img/d.jpg", ground_truth=fo.Classification(label="cat")),
    ])
    return dataset


def _page(client, view):
    response = client.post("/api/samples", json={"view": view})
    assert response.status_code == 200, response.text
    return response.json()


def test_the_field_is_a_multilabel_field(tagged, client):
    info = client.get("/api/datasets/tagged").json()
    assert info["multilabel_fields"] == ["tl"]
    assert info["label_fields"] == ["ground_truth"]  # evaluation and comparison take single labels only
    assert next(f for f in info["fields"] if f["path"] == "tl")["kind"] == "labels"


def test_tiles_carry_one_chip_per_label(tagged, client):
    tiles = _page(client, {"dataset": "tagged"})["samples"]
    assert [t["labels"]["tl"] for t in tiles] == [
        [{"label": "cat", "confidence": 0.9}, {"label": "dog", "confidence": 0.3}],
        [{"label": "dog", "confidence": 0.6}], [], None]
    assert tiles[0]["labels"]["ground_truth"] == {"label": "cat", "confidence": None}


def test_counts_and_bounds_are_over_the_labels(tagged, client):
    counts = client.post("/api/counts", json={"view": {"dataset": "tagged"}}).json()
    tl = counts["values"]["tl"]
    assert dict(map(tuple, tl["counts"])) == tagged.count_values("tl.classifications.label") == {"cat": 1, "dog": 2}
    assert tl["distinct"] == 2
    assert counts["bounds"]["tl"] == [0.3, 0.9]


def test_sidebar_filters_keep_labels_as_filter_labels_does(tagged, client):
    page = _page(client, {"dataset": "tagged", "filters": {"labels": {"tl": ["dog"]}}})
    expected = tagged.filter_labels("tl", F("label").is_in(["dog"]))
    assert [t["id"] for t in page["samples"]] == expected.values("id")
    assert [t["labels"]["tl"] for t in page["samples"]] == [[{"label": "dog", "confidence": 0.3}],
                                                             [{"label": "dog", "confidence": 0.6}]]
    page = _page(client, {"dataset": "tagged", "filters": {"confidence": {"tl": [0.5, None]}}})
    assert [[c["label"] for c in t["labels"]["tl"]] for t in page["samples"]] == [["cat"], ["dog"]]
    counts = client.post("/api/counts", json={"view": {"dataset": "tagged",
                                                       "filters": {"labels": {"tl": ["dog"]}}}}).json()
    assert dict(map(tuple, counts["values"]["tl"]["counts"])) == {"dog": 2}
    both = _page(client, {"dataset": "tagged", "filters": {"labels": {"tl": ["cat"], "ground_truth": ["cat"]}}})
    assert [t["labels"]["tl"] for t in both["samples"]] == [[{"label": "cat", "confidence": 0.9}]]


def test_sample_detail_lists_the_labels(tagged, client):
    sample = tagged.first()
    detail = client.get(f"/api/datasets/tagged/samples/{sample.id}").json()
    assert detail["multilabels"]["tl"] == [{"label": "cat", "confidence": 0.9}, {"label": "dog", "confidence": 0.3}]
    assert "tl" not in detail["fields"]


def test_a_filter_labels_stage_from_the_page(tagged, client):
    stage = tagged.filter_labels("tl", F("confidence") > 0.5).to_dict()["stages"][0]
    page = _page(client, {"dataset": "tagged", "stages": [stage]})
    assert [[c["label"] for c in t["labels"]["tl"]] for t in page["samples"]] == [["cat"], ["dog"]]
    # an attribute labels lack reads as missing, as in FiftyOne: nothing matches
    none = client.post("/api/samples", json={"view": {"dataset": "tagged", "stages": [
        {"_cls": "FilterLabels", "kwargs": {"field": "tl", "filter": {"$expr": {"$op": "eq", "args": [
            {"$field": "zzz"}, {"$literal": 1}]}}}}]}})
    assert none.status_code == 200 and none.json()["samples"] == []
    # a field the dataset lacks is a 400 with the reason
    bad = client.post("/api/samples", json={"view": {"dataset": "tagged", "stages": [
        {"_cls": "FilterLabels", "kwargs": {"field": "nofield", "filter": {"$expr": {"$op": "eq", "args": [
            {"$field": "label"}, {"$literal": 1}]}}}}]}})
    assert bad.status_code == 400 and "nofield" in bad.text
