"""JSON API of ``bakeoff.brain``: similarity search, the embeddings map and the prompt lab.

- ``POST /api/brain/similar``: a text or a sample id -> the view sorted by similarity, as a stage
  the page adds to its view;
- ``POST /api/brain/points``: a visualization's 2-D points (x, y) and a field's value per point,
  compact enough for tens of thousands of points; ``.../points/sample`` the sample behind one point;
- ``POST /api/brain/prompt-lab`` opens a lab on a model run (its image embeddings loaded once),
  ``.../{lab}/rescore`` tries prompts, ``.../{lab}/save`` writes them as a new field in a job.

Every list and string a client sends is bounded; a bad field, class or prompt is a 4xx.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bakeoff.app.brain_stages import MAX_K, BrainKey, map_points
from bakeoff.app.model_access import resolve_model_request
from bakeoff.app.views import Filters, ViewSpec, build_view
from bakeoff.brain.prompt_lab import MAX_PROMPT_LENGTH, MAX_PROMPTS_PER_CLASS, PromptLab
from bakeoff.core.transactions import snapshot
from bakeoff.errors import BrainError, FieldError, FieldTypeError, InvalidOptionError, PromptError, brief
from bakeoff.storage.identifiers import FIELD_NAME_PATTERN

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.app.jobs import Job
    from bakeoff.app.state import AppState

router = APIRouter(prefix="/api/brain", tags=["brain"])

#: prompt labs kept open (each holds its view's image embeddings: 20 MB for 10,000 512-d vectors)
MAX_OPEN_LABS = 4
#: the most samples a lab opens on (their embeddings are held in memory)
MAX_LAB_SAMPLES = 500_000

Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Prompt = Annotated[str, StringConstraints(min_length=1, max_length=MAX_PROMPT_LENGTH)]
Prompts = Annotated[list[Prompt], Field(min_length=1, max_length=MAX_PROMPTS_PER_CLASS)]


class LabRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    view: ViewSpec
    pred_field: Name = Field(description="a field apply_model wrote: its run names the model, classes and prompts")
    gt_field: Name = "ground_truth"
    model: Name | None = Field(None, description="the run's model as a zoo name (default: found by its weights)")
    model_args: dict[Name, str | int | float | bool | None] = Field(default_factory=dict, max_length=20)


class PromptEdits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompts: dict[Name, Prompts] = Field(default_factory=dict, max_length=10_000,
                                         description="class -> its prompts; the other classes keep the run's")
    templates: Annotated[list[Prompt], Field(min_length=1, max_length=MAX_PROMPTS_PER_CLASS)] | None = Field(
        None, description="templates with {} for every class (before the per-class prompts)")


class RescoreRequest(PromptEdits):
    focus: Name | None = Field(None, description="a class: its recall, prompts and confusion row")


class SaveRequest(PromptEdits):
    label_field: str = Field(pattern=FIELD_NAME_PATTERN, max_length=100)
    overwrite: bool = False


class SimilarRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewSpec
    query: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="a text (encoded by the index's model) or a sample id ('more like this')")
    k: int = Field(50, ge=1, le=MAX_K)
    brain_key: BrainKey | None = Field(None, description="the similarity index (default: the dataset's only one)")
    reverse: bool = False


class PointsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewSpec = Field(description="the grid's view: its samples are highlighted (in_view)")
    brain_key: BrainKey
    color_by: Name | None = Field(None, description="a label, boolean, string or number field to colour by")


class PointRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: Name
    brain_key: BrainKey
    index: int = Field(ge=0, le=2**31, description="the point's place in the map's points, as /points sends them")
    num_points: int | None = Field(None, ge=0, le=2**31, description="how many points the page holds: a map "
                                   "computed again since then is a 4xx, not another sample")


#: categories of a colour-by field shown with their own colour (the rest are "(other)")
MAX_CATEGORIES = 20


# ---- similarity search and the map -----------------------------------------------------------


@router.get("/datasets/{name}/runs", summary="The dataset's similarity indexes and visualizations")
def brain_runs(request: Request, name: str) -> dict[str, Any]:
    from bakeoff.brain import get_brain_info, list_brain_runs

    dataset = request.app.state.bakeoff.dataset(name)
    similarity, maps = [], []
    for key in list_brain_runs(dataset):
        info = get_brain_info(dataset, key)
        config, results = info["config"], info["results"]
        if info["type"] == "similarity":
            source = config.get("embeddings") or {}
            similarity.append({"key": key, "text": source.get("kind") == "model", "model": source.get("model"),
                               "size": results.get("index_size", results.get("num_embeddings"))})
        elif info["type"] == "visualization":
            maps.append({"key": key, "method": info["method"], "num_points": results.get("num_points")})
    return {"similarity": similarity, "visualization": maps}


@router.post("/similar", summary="The view sorted by similarity to a text or a sample: the stage to add, and its size")
def similar(request: Request, body: SimilarRequest) -> dict[str, Any]:
    from bakeoff.brain.similarity import similarity_key

    state = request.app.state.bakeoff
    dataset = state.dataset(body.view.dataset)
    key = similarity_key(dataset, body.brain_key)
    stage = {"_cls": "SortBySimilarity", "kwargs": {"query": body.query, "k": body.k, "brain_key": key,
                                                    "reverse": body.reverse}}
    stages = [s for s in body.view.stages if s.get("_cls") != "SortBySimilarity"] + [stage]
    view = build_view(dataset, stages, body.view.filters)  # searches now: a bad query is a 4xx here
    return {"stage": stage, "stages": stages, "count": len(view)}


def _encoded(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii")


@router.post("/points", summary="A visualization's points, compact: uint16 x, y in bounds, a colour per point, and "
             "which points are in the view")
def points(request: Request, body: PointsRequest) -> dict[str, Any]:
    from bakeoff.brain import get_brain_info
    from bakeoff.brain.visualization import load_visualization

    state = request.app.state.bakeoff
    with snapshot():
        dataset = state.dataset(body.view.dataset)
        kind = get_brain_info(dataset, body.brain_key)["type"]
        if kind != "visualization":
            raise BrainError(f"brain run {body.brain_key!r} is a {kind} run, not a visualization (fob.compute_visualization)")
        results = load_visualization(dataset, body.brain_key)
        xy = map_points(results.points)
        ids = results.sample_ids
        in_view = set(state.view(body.view).values("id"))
        mask = np.fromiter((i in in_view for i in ids), dtype=bool, count=len(ids))
        color = _colors(dataset, ids, body.color_by)
    low = xy.min(axis=0) if len(xy) else np.zeros(2)
    high = xy.max(axis=0) if len(xy) else np.ones(2)
    span = np.where(high > low, high - low, 1.0)
    quantized = np.round((xy - low) / span * 65535).astype("<u2")
    return {"brain_key": body.brain_key, "method": results.method, "num_points": len(ids),
            "bounds": [float(low[0]), float(high[0]), float(low[1]), float(high[1])], "xy": _encoded(quantized),
            "in_view": _encoded(np.packbits(mask, bitorder="little")), "num_in_view": int(mask.sum()),
            "color": color}


@router.post("/points/sample", summary="The sample behind one point of a map (a click on the map opens it)")
def point_sample(request: Request, body: PointRequest) -> dict[str, Any]:
    from bakeoff.brain import get_brain_info
    from bakeoff.brain.visualization import load_visualization

    dataset = request.app.state.bakeoff.dataset(body.dataset)
    with snapshot():
        kind = get_brain_info(dataset, body.brain_key)["type"]
        if kind != "visualization":
            raise BrainError(f"brain run {body.brain_key!r} is a {kind} run, not a visualization (fob.compute_visualization)")
        ids = load_visualization(dataset, body.brain_key).sample_ids
    if body.num_points is not None and body.num_points != len(ids):
        raise BrainError(f"map {body.brain_key!r} has {len(ids):,} points, not the {body.num_points:,} the page "
                         "shows: it was computed again; reload the map")
    if body.index >= len(ids):
        raise BrainError(f"no point {body.index} in map {body.brain_key!r}: it has {len(ids):,} points")
    return {"brain_key": body.brain_key, "index": body.index, "id": ids[body.index]}


def _colors(dataset: Any, ids: list[str], field: str | None) -> dict[str, Any]:
    """The colour-by field per point: categories (the most common first) with a uint8 code each, or numbers."""
    from bakeoff.core.fields import BooleanField, EmbeddedDocumentField, FloatField, IntField, StringField
    from bakeoff.core.labels import Classification
    from bakeoff.core.transactions import snapshot

    if field is None:
        return {"field": None, "kind": "none"}
    schema = dataset.get_field_schema()
    kind = schema.get(field)
    if kind is None:
        raise FieldError(f"no field {brief(field)} to colour by; fields: {list(schema)}")
    if isinstance(kind, EmbeddedDocumentField) and issubclass(kind.document_type, Classification):
        path = f"{field}.label"
    elif isinstance(kind, BooleanField | StringField | FloatField | IntField):
        path = field
    else:
        raise FieldTypeError(f"cannot colour by {field!r} ({type(kind).__name__}): pick a label, boolean, string "
                             "or number field")
    with snapshot():  # ids and values from one state of the dataset, whatever writes meanwhile
        by_id = dict(zip(dataset.values("id"), dataset.values(path), strict=True))
    values = [by_id.get(i) for i in ids]
    if isinstance(kind, FloatField | IntField):
        numbers = np.array([np.nan if v is None else float(v) for v in values], dtype="<f4")
        finite = numbers[np.isfinite(numbers)]
        return {"field": field, "kind": "numeric", "values": _encoded(numbers),
                "range": [float(finite.min()), float(finite.max())] if len(finite) else None}
    counts: dict[str, int] = {}
    names = ["(none)" if v is None else str(v) for v in values]
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts, key=lambda c: (c == "(none)", -counts[c], c))
    shown = ranked[:MAX_CATEGORIES]
    if len(ranked) > MAX_CATEGORIES:
        shown.append("(other)")
    code = {name: i for i, name in enumerate(shown)}
    other = code.get("(other)", 0)
    codes = np.array([code.get(name, other) for name in names], dtype=np.uint8)
    return {"field": field, "kind": "categorical", "categories": shown,
            "counts": [counts.get(c, len(names) - sum(counts[s] for s in shown[:-1])) for c in shown],
            "codes": _encoded(codes)}


# ---- the prompt lab ---------------------------------------------------------------------------


class _Labs:
    """The open labs by id, the least recently used closed first."""

    def __init__(self) -> None:
        self._labs: OrderedDict[str, tuple[PromptLab, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, lab: PromptLab, opened_with: dict[str, Any]) -> str:
        lab_id = secrets.token_urlsafe(12)
        with self._lock:
            self._labs[lab_id] = (lab, opened_with)
            while len(self._labs) > MAX_OPEN_LABS:
                self._labs.popitem(last=False)
        return lab_id

    def get(self, lab_id: str) -> tuple[PromptLab, dict[str, Any]] | None:
        with self._lock:
            found = self._labs.get(lab_id)
            if found is not None:
                self._labs.move_to_end(lab_id)
            return found


LABS = _Labs()


def _lab(lab_id: str) -> tuple[PromptLab, dict[str, Any]]:
    found = LABS.get(lab_id)
    if found is None:
        raise HTTPException(404, f"no open prompt lab {lab_id[:40]!r}: open it again (at most {MAX_OPEN_LABS} stay open)")
    return found


def _open_lab(state: AppState, view_spec: dict[str, Any], pred_field: str, gt_field: str, model: str | None,
              model_args: dict[str, Any]) -> PromptLab:
    view = build_view(state.dataset(view_spec["dataset"]), view_spec["stages"], Filters(**view_spec["filters"]))
    if len(view) > MAX_LAB_SAMPLES:
        raise InvalidOptionError(f"the view has {len(view):,} samples; the prompt lab takes at most "
                                 f"{MAX_LAB_SAMPLES:,}: narrow the view (e.g. take a random sample)")
    if model is not None:  # a path outside the allowed folders: 403 before the file system is touched
        model, model_args = resolve_model_request(model, model_args)
    return PromptLab(view, pred_field, gt_field=gt_field, model=model, progress=False, **model_args)


@router.post("/prompt-lab", summary="Open a prompt lab on a model run: its classes, prompts and baseline metrics")
def open_prompt_lab(request: Request, body: LabRequest) -> dict[str, Any]:
    view_spec = {"dataset": body.view.dataset, "stages": body.view.stages, "filters": body.view.filters.model_dump()}
    lab = _open_lab(request.app.state.bakeoff, view_spec, body.pred_field, body.gt_field, body.model,
                    dict(body.model_args))
    opened_with = {"_view": view_spec, "pred_field": body.pred_field, "gt_field": body.gt_field, "model": body.model,
                   "model_args": dict(body.model_args)}
    lab_id = LABS.add(lab, opened_with)
    baseline = lab.baseline.to_dict()
    return {"lab": lab_id, "pred_field": lab.pred_field, "gt_field": lab.gt_field, "classes": lab.classes,
            "prompts": lab.run_prompts, "fingerprint": lab.run_config.get("fingerprint"), "baseline": baseline}


@router.post("/prompt-lab/{lab_id}/rescore", summary="Predictions with these prompts: accuracy, recall per class, "
             "the focus class's confusion row, and what changed from the run's own prompts")
def rescore(request: Request, lab_id: str, body: RescoreRequest) -> dict[str, Any]:
    lab, _ = _lab(lab_id)
    result = lab.rescore(prompts=body.prompts or None, templates=body.templates)
    focus = body.focus
    if focus is not None and focus not in result.support and focus not in lab.classes:
        raise PromptError(f"focus {brief(focus)} is neither a class of the run nor a ground-truth label")
    out = result.to_dict(focus if focus in result.support else None)
    if focus is not None and focus not in result.support:  # a class no sample of the view is labelled with
        out["focus"] = {"label": focus, "recall": None, "support": 0, "prompts": result.prompts.get(focus),
                        "confusion_row": {}}
    out["baseline_accuracy"] = lab.baseline.accuracy
    out["baseline_recall"] = lab.baseline.recall
    return out


@router.post("/prompt-lab/{lab_id}/save", status_code=202,
             summary="Write these prompts' predictions to a new field (apply_model from the cache), as a job")
def save(request: Request, lab_id: str, body: SaveRequest) -> dict[str, Any]:
    state = request.app.state.bakeoff
    lab, opened_with = _lab(lab_id)
    lab.candidate_prompts(body.prompts or None, body.templates)  # bad prompts: 400 now, not in the job
    root = state.dataset(opened_with["_view"]["dataset"])
    if body.label_field == lab.pred_field or (root.has_field(body.label_field) and not body.overwrite):
        raise FieldError(f"field {body.label_field!r} exists; pick a new name, or set overwrite (never the lab's "
                         f"own {lab.pred_field!r})")
    params = {**opened_with, "lab": lab_id, "label_field": body.label_field, "overwrite": body.overwrite,
              "prompts": body.prompts or None, "templates": body.templates}
    return state.jobs.submit("prompt-lab-save", opened_with["_view"]["dataset"], params).to_dict()


def run_prompt_lab_save(state: AppState, job: Job, progress) -> dict[str, Any]:
    """The job behind ``save``: the lab's prompts through ``apply_model`` (the lab is opened again if closed)."""
    params = job.params
    found = LABS.get(params["lab"])
    if found is not None:
        lab = found[0]
    else:
        job.message = "opening the prompt lab again"
        lab = _open_lab(state, params["_view"], params["pred_field"], params["gt_field"], params["model"],
                        params["model_args"])
    job.message = f"writing {params['label_field']}"
    info = lab.save(params["label_field"], prompts=params["prompts"], templates=params["templates"],
                    overwrite=params["overwrite"], progress=progress)
    accuracy = info["config"].get("prompt_lab", {}).get("accuracy")
    job.message = f"{params['label_field']}: {info['results']['num_values']} predictions" + (
        f", {accuracy * 100:.1f}% correct" if accuracy is not None else "")
    return {"label_field": params["label_field"], "num_samples": info["results"]["num_samples"], "accuracy": accuracy}
