"""The command palette's operators, as job runners over the public Python API."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bakeoff.app.api_brain import run_prompt_lab_save
from bakeoff.app.jobs import ClassifyParams, EvaluateParams, Job
from bakeoff.app.model_access import resolve_model_request
from bakeoff.app.views import Filters, build_view
from bakeoff.errors import BakeoffError

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.app.state import AppState


def _target(state: AppState, job: Job, target: str):
    dataset = state.dataset(job.dataset)
    if target == "dataset":
        return dataset
    view = job.params["_view"]
    return build_view(dataset, view["stages"], Filters(**view["filters"]))


def run_classify(state: AppState, job: Job, progress) -> dict[str, Any]:
    import bakeoff.zoo as foz

    params = ClassifyParams(**{k: v for k, v in job.params.items() if not k.startswith("_")})
    dataset = state.dataset(job.dataset)
    if params.classes.from_field is not None:
        classes = dataset.distinct(f"{params.classes.from_field}.label")
        where = f"field {params.classes.from_field!r}"
    else:
        classes = [c.strip() for c in params.classes.names or [] if c and c.strip()]
        where = "the class list"
    if not classes:
        raise BakeoffError(f"no classes: {where} has no labels; pick a label field with values or type some classes")
    job.message = f"loading {params.model}"
    name, extra = resolve_model_request(params.model, params.model_args)  # checked again: the folders may change
    if params.templates:
        extra["templates"] = params.templates
    model = foz.load_zoo_model(name, classes=classes, text_prompt=params.prompt, **extra)
    job.message = f"classifying into {len(classes)} classes"
    collection = _target(state, job, params.target)
    summary = collection.apply_model(model, label_field=params.label_field, store_logits=params.store_logits,
                                     batch_size=params.batch_size, progress=progress)
    job.message = f"{summary.num_samples} samples, {summary.failed} unreadable, {summary.duration_s:.1f} s"
    return {"label_field": params.label_field, "num_samples": summary.num_samples, "failed": summary.failed,
            "num_classes": len(classes), "duration_s": round(summary.duration_s, 2)}


def run_evaluate(state: AppState, job: Job, progress) -> dict[str, Any]:
    params = EvaluateParams(**{k: v for k, v in job.params.items() if not k.startswith("_")})
    collection = _target(state, job, params.target)
    eval_key = params.eval_key or f"{params.pred_field}_eval"
    progress(0, 1)
    results = collection.evaluate_classifications(params.pred_field, gt_field=params.gt_field, eval_key=eval_key)
    progress(1, 1)
    accuracy = float(results.correct.mean()) if len(results.correct) else 0.0
    job.message = f"{eval_key}: {accuracy * 100:.1f}% correct"
    return {"eval_key": eval_key, "accuracy": accuracy, "num_samples": len(results.correct)}


RUNNERS = {"zero-shot-classify": run_classify, "evaluate": run_evaluate, "prompt-lab-save": run_prompt_lab_save}


def list_models() -> list[dict[str, Any]]:
    """Every zoo model with whether it can run here and why not, and whether model arguments can make it run."""
    from bakeoff.models.zoo import list_zoo_models, zoo_model_info, zoo_model_status

    out = []
    for name in list_zoo_models():
        info = zoo_model_info(name)
        available, why = zoo_model_status(name)
        # a generic loader takes its weights from model arguments (name_or_path=, clip_model= and pretrained=),
        # so it stays selectable when its default weights are missing, as long as its library is installed
        configurable = info["base"] == name and not why.startswith("needs the ")
        out.append({"name": name, "description": info["description"], "base": info["base"],
                    "available": available, "reason": why, "configurable": configurable})
    return out
