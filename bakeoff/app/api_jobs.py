"""JSON API: the command palette's operators as background jobs (start, watch, cancel)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import ValidationError

from bakeoff._config import config
from bakeoff.app.jobs import ClassifyParams, EvaluateParams, JobRequest
from bakeoff.app.model_access import JOB_MODEL_ARGS, resolve_model_request

router = APIRouter(prefix="/api", tags=["operators"])

_PARAMS = {"zero-shot-classify": ClassifyParams, "evaluate": EvaluateParams}


@router.get("/operators/models", summary="Zoo models, each with whether it can run here and why not")
def operator_models(request: Request) -> dict[str, Any]:
    from bakeoff.models.templates import list_template_sets

    return {"models": request.app.state.bakeoff.zoo_models(), "template_sets": list_template_sets(),
            "model_args": list(JOB_MODEL_ARGS), "model_dirs": [str(d) for d in config.app_model_dirs]}


@router.post("/jobs", status_code=202, summary="Start an operator as a background job",
             description="Models come from zoo names, Hub ids and folders under bakeoff.config.app_model_dirs; "
                         "any other path is refused with 403 before the file system is touched.")
def start_job(request: Request, body: JobRequest) -> dict[str, Any]:
    state = request.app.state.bakeoff
    try:
        params = _PARAMS[body.operator](**body.params)
    except ValidationError as error:
        raise HTTPException(422, [{"loc": ["params", *e["loc"]], "msg": e["msg"]} for e in error.errors()]) from None
    if isinstance(params, ClassifyParams):  # a model path outside the allowed folders: 403 now, nothing touched
        resolve_model_request(params.model, params.model_args)
    state.view(body.view)  # an unknown dataset or a bad view fails now, not in the job
    data = params.model_dump()
    data["_view"] = {"stages": body.view.stages, "filters": body.view.filters.model_dump()}
    return state.jobs.submit(body.operator, body.view.dataset, data).to_dict()


@router.get("/jobs", summary="All jobs of this App, newest first")
def jobs(request: Request) -> dict[str, Any]:
    return {"jobs": [job.to_dict() for job in request.app.state.bakeoff.jobs.list()]}


@router.get("/jobs/{job_id}", summary="One job's status and progress")
def job(request: Request, job_id: str) -> dict[str, Any]:
    return _found(request.app.state.bakeoff.jobs.get(job_id), job_id)


@router.post("/jobs/{job_id}/cancel", summary="Cancel a job (a running classification stops after its batch)")
def cancel(request: Request, job_id: str) -> dict[str, Any]:
    return _found(request.app.state.bakeoff.jobs.cancel(job_id), job_id)


def _found(job, job_id: str) -> dict[str, Any]:
    if job is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return job.to_dict()
