"""JSON API: datasets, fields, pages of samples, value counts, one sample, the session's view."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from bakeoff.app.views import Filters, ViewSpec, stages_of
from bakeoff.core.aggregations import Bounds, CountValues
from bakeoff.core.fields import (
    BooleanField,
    EmbeddedDocumentField,
    FloatField,
    IntField,
    ListField,
    StringField,
)
from bakeoff.core.labels import Classification, Classifications
from bakeoff.core.registry import list_datasets
from bakeoff.core.transactions import snapshot
from bakeoff.models.scoring import probabilities_from_config

router = APIRouter(prefix="/api", tags=["data"])

#: value counts per field sent to the sidebar (the rest are summed up as "other")
MAX_COUNTS = 200


class PageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewSpec
    offset: int = Field(0, ge=0, le=10**9)
    limit: int = Field(60, ge=1, le=500)
    count: bool = Field(True, description="also count the samples of the view")


class ViewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewSpec


class SessionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str | None = Field(None, min_length=1, max_length=200)
    stages: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    filters: Filters = Field(default_factory=Filters)


def _state(request: Request):
    return request.app.state.bakeoff


def _kind(field) -> str:
    if isinstance(field, EmbeddedDocumentField):
        if field.document_type is Classifications:
            return "labels"  # several labels per sample: chips per label, counts of its labels
        return "label" if field.document_type is Classification else "document"
    for cls, kind in ((BooleanField, "boolean"), (FloatField, "float"), (IntField, "int"), (StringField, "string"),
                      (ListField, "list")):
        if isinstance(field, cls):
            return kind
    return "other"


def describe_dataset(dataset) -> dict[str, Any]:
    """Fields (type, description, info), label and boolean fields, evaluations and model runs."""
    fields = []
    for path, field in dataset.get_field_schema(flat=True).items():
        if path.endswith(".logits"):
            continue
        fields.append({"path": path, "type": type(field).__name__, "kind": _kind(field),
                       "description": field.description, "info": field.info})
    labels = [f["path"] for f in fields if f["kind"] == "label"]
    multilabels = [f["path"] for f in fields if f["kind"] == "labels"]
    evaluations = {}
    for key in dataset.list_evaluations():
        info = dataset.get_evaluation_info(key)
        config = info["config"]
        evaluations[key] = {"pred_field": config.get("pred_field"), "gt_field": config.get("gt_field"),
                            "method": config.get("method"), "stale": info["stale"]}
    return {"name": dataset.name, "count": dataset.count(), "persistent": dataset.persistent, "fields": fields,
            "label_fields": labels, "multilabel_fields": multilabels, "boolean_fields": [f["path"] for f in fields if f["kind"] == "boolean"],
            "evaluations": evaluations, "model_runs": dataset.list_model_runs(),
            "gt_field": "ground_truth" if "ground_truth" in labels else (labels[0] if labels else None)}


@router.get("/datasets", summary="Names of all datasets")
def datasets() -> dict[str, Any]:
    return {"datasets": list_datasets()}


@router.get("/datasets/{name}", summary="A dataset's fields, evaluations and model runs")
def dataset_info(request: Request, name: str) -> dict[str, Any]:
    with snapshot():  # schema and rows of this answer from one snapshot
        return describe_dataset(_state(request).dataset(name))


def _tile(
    sample: dict[str, Any], labels: list[str], booleans: list[str], multilabels: Sequence[str] = ()
) -> dict[str, Any]:
    meta = sample.get("metadata") or {}
    out = {"id": sample["id"], "name": os.path.basename(sample["filepath"]), "filepath": sample["filepath"],
           "width": meta.get("width"), "height": meta.get("height"), "tags": sample.get("tags") or [],
           "labels": {}, "booleans": {}}
    for field in labels:
        value = sample.get(field)
        out["labels"][field] = None if value is None else {"label": value.get("label"),
                                                           "confidence": _number(value.get("confidence"))}
    for field in multilabels:
        value = sample.get(field)
        out["labels"][field] = None if value is None else _chips(value)
    for field in booleans:
        out["booleans"][field] = sample.get(field)
    return out


def _chips(value: dict[str, Any]) -> list[dict[str, Any]]:
    """The labels of a Classifications (its ``to_dict()``) as chips: label and confidence each."""
    return [{"label": c.get("label"), "confidence": _number(c.get("confidence"))}
            for c in value.get("classifications") or []]


def _number(value: Any) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@router.post("/samples", summary="One page of the view's samples (and the view's size)")
def samples(request: Request, body: PageRequest) -> dict[str, Any]:
    with snapshot():  # schema and rows of this answer from one snapshot
        state = _state(request)
        view = state.view(body.view)
        schema = state.dataset(body.view.dataset).get_field_schema()
        labels = [p for p, f in schema.items() if _kind(f) == "label"]
        booleans = [p for p, f in schema.items() if _kind(f) == "boolean"]
        multilabels = [p for p, f in schema.items() if _kind(f) == "labels"]
        page = view.skip(body.offset).limit(body.limit) if body.offset else view.limit(body.limit)
        tiles = [_tile({"id": s.id, **s.to_dict()}, labels, booleans, multilabels) for s in page]
        return {"offset": body.offset, "count": view.count() if body.count else None, "samples": tiles,
                "stages": stages_of(view)}


@router.post("/counts", summary="Value counts of label, boolean and tag fields, and confidence bounds, in the view")
def counts(request: Request, body: ViewRequest) -> dict[str, Any]:
    with snapshot():  # schema and rows of this answer from one snapshot
        state = _state(request)
        view = state.view(body.view)
        info = describe_dataset(state.dataset(body.view.dataset))
        multi = info["multilabel_fields"]
        paths = [f"{f}.label" for f in info["label_fields"]] + [f"{f}.classifications.label" for f in multi] \
            + info["boolean_fields"] + ["tags"]
        ranged = [f"{f}.confidence" for f in info["label_fields"]] + [f"{f}.classifications.confidence" for f in multi]
        aggregations = [CountValues(p) for p in paths] + [Bounds(p) for p in ranged]
        results = view.aggregate(aggregations) if aggregations else []
        out: dict[str, Any] = {"count": view.count(), "values": {}, "bounds": {}}
        for path, result in zip(paths, results, strict=False):
            ranked = sorted(result.items(), key=lambda kv: (-kv[1], str(kv[0])))
            key = path.removesuffix(".label").removesuffix(".classifications")
            out["values"][key] = {"counts": [[v, n] for v, n in ranked[:MAX_COUNTS]],
                                  "other": sum(n for _, n in ranked[MAX_COUNTS:]), "distinct": len(ranked)}
        for field, bounds in zip(info["label_fields"] + multi, results[len(paths):], strict=True):
            out["bounds"][field] = [_number(b) if b is not None else None for b in bounds]
        return out


@router.get("/datasets/{name}/samples/{sample_id}", summary="One sample: every field, and the top-5 classes per label")
def sample_detail(request: Request, name: str, sample_id: str) -> dict[str, Any]:
    with snapshot():  # schema and rows of this answer from one snapshot
        dataset = _state(request).dataset(name)
        sample = {"id": sample_id, **dataset[sample_id].to_dict()}  # to_dict() has no id, as FiftyOne's
        runs = set(dataset.list_model_runs())
        labels, multilabels = {}, {}
        for path, field in dataset.get_field_schema().items():
            if _kind(field) == "labels" and sample.get(path) is not None:
                multilabels[path] = _chips(sample[path])
            if _kind(field) != "label" or sample.get(path) is None:
                continue
            value = sample[path]
            entry = {"label": value.get("label"), "confidence": _number(value.get("confidence")), "top": None}
            logits = value.get("logits")
            if logits is not None and path in runs:
                config = dataset.get_model_run_info(path)["config"]
                classes = config.get("classes") or []
                if len(classes) == len(logits):
                    scores = probabilities_from_config(np.asarray(logits, dtype=np.float64), config)
                    order = np.argsort(-scores, kind="stable")[:5]
                    entry["top"] = [[classes[i], _number(float(scores[i])), _number(float(logits[i]))] for i in order]
            labels[path] = entry
        plain = {k: v for k, v in sample.items() if k not in labels and k not in multilabels}
        for key, value in list(plain.items()):
            if isinstance(value, float) and not math.isfinite(value):
                plain[key] = None
        return {"id": sample_id, "labels": labels, "multilabels": multilabels, "fields": plain}


@router.get("/session", summary="The view the Python session shows (bumped version = the page should follow)")
def get_session(request: Request) -> dict[str, Any]:
    return _state(request).session


@router.put("/session", summary="The page reports its view, so session.view in Python follows the page")
def put_session(request: Request, body: SessionUpdate) -> dict[str, Any]:
    state = _state(request)
    if body.dataset is not None:
        state.view(ViewSpec(dataset=body.dataset, stages=body.stages, filters=body.filters))  # validate
    return state.set_session(body.dataset, body.stages, body.filters.model_dump(), source="page")
