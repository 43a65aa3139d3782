"""The page's view, as JSON: view stages (``DatasetView.to_dict`` form) plus sidebar filters.

Nothing here writes SQL: stages are rebuilt with ``ViewStage.from_dict`` and filters
become ``match`` stages of ``ViewField`` expressions, which the storage layer compiles.

Example request body::

    {"dataset": "pets", "stages": [{"_cls": "SortBy", "kwargs": {...}}],
     "filters": {"labels": {"clip": ["cat"]}, "confidence": {"clip": [0.5, null]},
                 "booleans": {"clip_eval": [false]}, "tags": ["train"]}}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from bakeoff.app.brain_stages import apply_stages, has_brain_stages
from bakeoff.core.collection import SampleCollection
from bakeoff.core.dataset import Dataset
from bakeoff.core.expressions import ViewField as F
from bakeoff.core.view import DatasetView
from bakeoff.errors import InvalidViewError, UnknownFieldError, brief, suggest


class Filters(BaseModel):
    """Sidebar filters; all of them must hold (AND), values within one field are alternatives (OR)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    labels: dict[str, list[str | None]] = Field(default_factory=dict,
                                                description="label field -> labels to keep (null: missing)")
    confidence: dict[str, list[float | None]] = Field(default_factory=dict,
                                                      description="label field -> [min, max] (null: open end)")
    booleans: dict[str, list[bool | None]] = Field(default_factory=dict,
                                                   description="boolean field -> values to keep (null: missing)")
    tags: list[str] = Field(default_factory=list, description="keep samples with any of these tags")


class ViewSpec(BaseModel):
    """A dataset, view stages, and filters: everything that decides which samples the page shows."""

    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(min_length=1, max_length=200)
    stages: list[dict[str, Any]] = Field(default_factory=list, max_length=100)
    filters: Filters = Field(default_factory=Filters)


def build_view(dataset: Dataset, stages: list[dict[str, Any]], filters: Filters | None = None) -> SampleCollection:
    """The collection the page asks for; bad stages or unknown fields raise bakeoff errors (4xx in the App)."""
    for stage in stages:
        if not isinstance(stage, dict) or not isinstance(stage.get("kwargs", {}), dict):
            raise InvalidViewError(f"a view stage must be an object like {{'_cls': 'Match', 'kwargs': {{...}}}}, "
                                   f"got {brief(stage)}")
    if has_brain_stages(stages):  # the page's SortBySimilarity / SelectRegion: see brain_stages
        view: SampleCollection = apply_stages(dataset, stages)
    else:
        view = DatasetView.from_dict({"dataset": dataset.name, "stages": stages}, dataset) if stages else dataset
    if filters is not None:
        multi = _multilabel_fields(dataset, filters)
        single = filters.model_copy(update={
            "labels": {f: v for f, v in filters.labels.items() if f not in multi},
            "confidence": {f: v for f, v in filters.confidence.items() if f not in multi}})
        for field in multi:
            view = _filter_multilabel(view, field, filters.labels.get(field) or [], filters.confidence.get(field))
        filters = single
    if filters is not None:
        expr = filter_expression(filters)
        if expr is not None:
            _check_filter_fields(view, filters)  # match() reads an unknown field as missing (FiftyOne): a typo is a 400
            view = view.match(expr)
        if filters.tags:
            view = view.match_tags(filters.tags)
    return view


def filter_expression(filters: Filters):
    """One expression for the label, confidence and boolean filters (``None`` if there are none)."""
    parts = []
    for field, labels in filters.labels.items():
        if labels:
            parts.append(_one_of(F(f"{field}.label"), labels))
    for field, bounds in filters.confidence.items():
        if len(bounds) != 2:
            raise InvalidViewError(f"confidence filter for {brief(field)} must be [min, max], got {brief(bounds)}")
        low, high = bounds
        if low is not None:
            parts.append(F(f"{field}.confidence") >= float(low))
        if high is not None:
            parts.append(F(f"{field}.confidence") <= float(high))
    for field, values in filters.booleans.items():
        if values:
            parts.append(_one_of(F(field), values))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else F().all(parts)


def _check_filter_fields(view: SampleCollection, filters: Filters) -> None:
    known = list(view.get_field_schema(flat=True))
    paths = [*(f"{f}.label" for f, v in filters.labels.items() if v), *(f"{f}.confidence" for f in filters.confidence),
             *(f for f, v in filters.booleans.items() if v)]
    for path in paths:
        if path not in known:
            raise UnknownFieldError(f"unknown field {brief(path)}.{suggest(path, known)} The fields are: {', '.join(known)}")


def _multilabel_fields(dataset: Dataset, filters: Filters) -> list[str]:
    """The filtered fields that hold several labels (Classifications): their filters keep labels, not samples."""
    from bakeoff.core.fields import EmbeddedDocumentField
    from bakeoff.core.labels import Classifications

    named = [*filters.labels, *filters.confidence]
    schema = dataset.get_field_schema(ftype=EmbeddedDocumentField, embedded_doc_type=Classifications)
    return [f for f in dict.fromkeys(named) if f in schema]


def _filter_multilabel(view: SampleCollection, field: str, labels: list, bounds: list | None) -> SampleCollection:
    """Keep the labels of ``field`` among ``labels`` and within the confidence ``bounds`` (as FiftyOne's App),
    and the samples with one left; ``None`` among the labels: samples without any label."""
    parts = []
    present = [v for v in labels if v is not None]
    if present:
        parts.append(F("label").is_in(present))
    if bounds is not None:
        if len(bounds) != 2:
            raise InvalidViewError(f"confidence filter for {brief(field)} must be [min, max], got {brief(bounds)}")
        if bounds[0] is not None:
            parts.append(F("confidence") >= float(bounds[0]))
        if bounds[1] is not None:
            parts.append(F("confidence") <= float(bounds[1]))
    if parts:
        return view.filter_labels(field, F().all(parts))
    if labels:  # only None was chosen
        return view.match(F(f"{field}.classifications").length() == 0)
    return view


def _one_of(expr, values: list):
    present = [v for v in values if v is not None]
    options = []
    if present:
        options.append(expr.is_in(present) if len(present) > 1 else expr == present[0])
    if len(present) < len(values):
        options.append(expr == None)
    return options[0] if len(options) == 1 else F().any(options)


def stages_of(view: SampleCollection) -> list[dict[str, Any]]:
    """The JSON stages of a dataset (none) or a view."""
    return view.to_dict()["stages"] if isinstance(view, DatasetView) else []
