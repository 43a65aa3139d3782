"""Fuzzing the App's API from its own OpenAPI schema (schemathesis): no request is ever a 5xx.

Every operation gets random bodies, paths and query strings, with the token (so
requests reach the handlers) and a real dataset behind them. Bounded: a few
dozen examples per operation keep this under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from app_client import AUTH, TOKEN
from hypothesis import HealthCheck, settings

import bakeoff as fo
from bakeoff.app.server import create_app
from bakeoff.app.state import AppState

pytestmark = [pytest.mark.one_database, pytest.mark.slow]

APP = create_app(token=TOKEN)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, headers=AUTH)
SAMPLE_IDS: list[str] = []


def aim(case) -> None:
    """Point most cases at the real dataset and its samples, so they reach the code behind the 404s."""
    seed = len(repr(case.path_parameters)) + len(repr(case.body))
    if seed % 4:
        for key in ("name", "dataset"):
            if case.path_parameters and key in case.path_parameters:
                case.path_parameters[key] = "photos"
        if case.path_parameters and "sample_id" in case.path_parameters and SAMPLE_IDS:
            case.path_parameters["sample_id"] = SAMPLE_IDS[seed % len(SAMPLE_IDS)]
        if isinstance(case.body, dict) and isinstance(case.body.get("view"), dict):
            case.body["view"]["dataset"] = "photos"
        if isinstance(case.body, dict) and "dataset" in case.body:
            case.body["dataset"] = "photos"


@pytest.fixture(autouse=True)
def photos(tmp_path):
    """A small dataset the fuzzer can hit by name ('photos'), with a label field and an evaluation."""
    from PIL import Image

    samples = []
    for i in range(6):
        path = tmp_path / f"{i}.png"
        Image.new("RGB", (16, 16), (40 * i, 0, 0)).save(path)
        label = fo.Classification(label="cat" if i % 2 else "dog", confidence=i / 6)
        samples.append(fo.Sample(filepath=str(path), ground_truth=label, pred=label))
    dataset = fo.Dataset("photos")
    dataset.add_samples(samples)
    dataset.evaluate_classifications("pred", gt_field="ground_truth", eval_key="pred_eval")
    SAMPLE_IDS[:] = dataset.values("id")
    APP.state.bakeoff = AppState()  # each test has its own database: no dataset objects from the last one
    yield dataset
    APP.state.bakeoff.close()


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_is_a_server_error(case):
    if case.operation.method.upper() == "POST" and case.path == "/api/jobs":
        return  # jobs load models: fuzzed separately below with the operator list fixed
    aim(case)
    response = case.call(headers=AUTH)
    assert response.status_code < 500, (case.method, case.path, case.body, response.text[:500])


@pytest.mark.parametrize(("body", "status"), [
    ({"operator": "zero-shot-classify", "view": {"dataset": "photos"}, "params": {}}, 422),
    ({"operator": "zero-shot-classify", "view": {"dataset": "photos"},
      "params": {"model": "local-dir:/tmp", "classes": {"names": ["a"]}, "label_field": "x"}}, 403),
    ({"operator": "zero-shot-classify", "view": {"dataset": "photos"},
      "params": {"model": "demo-clip", "model_args": {"name_or_path": "/etc"}, "classes": {"names": ["a"]},
                 "label_field": "x"}}, 403),
    ({"operator": "evaluate", "view": {"dataset": "photos", "stages": [{"_cls": "Limit", "kwargs": {"limit": -1}}]},
      "params": {"pred_field": "pred"}}, 400),
])
def test_hostile_job_requests_are_refused_before_any_job_starts(body, status):
    from fastapi.testclient import TestClient

    with TestClient(APP, headers=AUTH) as client:
        response = client.post("/api/jobs", json=body)
        assert response.status_code == status, response.text
        assert client.get("/api/jobs").json() == {"jobs": []}
