"""JSON API: the model comparison table, its views, and one model's confusion matrix."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from bakeoff.app.views import ViewSpec, stages_of
from bakeoff.core.transactions import snapshot
from bakeoff.errors import LabelErrorsError
from bakeoff.evaluation.compare import compare as compare_fields

router = APIRouter(prefix="/api", tags=["comparison"])


class CompareRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewSpec
    gt_field: str = "ground_truth"
    pred_fields: list[str] | None = Field(None, description="default: every Classification field but gt_field")


class ConfusionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    view: ViewSpec
    field: str
    gt_field: str = "ground_truth"
    max_classes: int = Field(400, ge=2, le=1000, description="the most frequent ground-truth classes shown "
                             "(the default shows every class of Caltech-256 and smaller sets)")


@router.post("/compare", summary="Per-model metrics, the all right / all wrong / only one right / label-error views, "
             "where each model wins per class, and the duplicates line")
def compare(request: Request, body: CompareRequest) -> dict[str, Any]:
    with snapshot():  # schema and rows of this answer from one snapshot
        view = request.app.state.bakeoff.view(body.view)
        comparison = compare_fields(view, body.pred_fields, body.gt_field)
        views = {"all_right": comparison.all_right(), "all_wrong": comparison.all_wrong(),
                 "only_one_right": comparison.only_one_right()}
        try:  # needs stored logits; without them the view is left out and label_errors says why
            views["likely_label_errors"] = comparison.likely_label_errors()
            label_errors: dict[str, Any] = comparison.label_error_info()
        except LabelErrorsError as error:
            label_errors = {"unavailable": str(error)}
        rows = []
        for row, cells in zip(comparison.table, comparison.formatted_table(), strict=True):
            rows.append({**cells, "accuracy_value": row["accuracy"], "num_samples": row["num_samples"],
                         "only_right": len(comparison.only_right(row["model"])),
                         "only_right_stages": stages_of(comparison.only_right(row["model"]))})
        return {"gt_field": body.gt_field, "interval": comparison.interval_name(), "models": comparison.models,
                "num_samples": len(comparison.ids), "rows": rows,
                "views": {name: {"count": len(v), "stages": stages_of(v)} for name, v in views.items()},
                "label_errors": label_errors, "per_class": comparison.per_class_wins(),
                "per_class_caption": comparison.per_class_caption(),
                "duplicates": comparison.duplicates_check().to_dict()}


@router.post("/confusion", summary="One model's confusion matrix over the most frequent ground-truth classes")
def confusion(request: Request, body: ConfusionRequest) -> dict[str, Any]:
    with snapshot():  # schema and rows of this answer from one snapshot
        view = request.app.state.bakeoff.view(body.view)
        comparison = compare_fields(view, [body.field], body.gt_field)
        results = comparison.results[body.field]
        support = Counter(str(label) for label in results.ytrue)
        classes = sorted(c for c, _ in support.most_common(body.max_classes) if c != comparison.missing)
        matrix = results.confusion_matrix(classes=classes)
        return {"field": body.field, "gt_field": body.gt_field, "classes": classes,
                "matrix": [[int(x) for x in row] for row in matrix], "num_classes": len(support),
                "missing": comparison.missing}
