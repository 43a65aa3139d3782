"""The command palette's operators as background jobs: zero-shot classify, evaluate, progress, cancel."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.app.jobs import JobCancelled, JobManager


def _start(client, operator, params, view=None):
    response = client.post("/api/jobs", json={"operator": operator, "view": view or {"dataset": "photos"},
                                              "params": params})
    assert response.status_code == 202, response.text
    return response.json()


def _wait(client, job_id, timeout=120):
    job = client.app.state.bakeoff.jobs.wait(job_id, timeout)
    return client.get(f"/api/jobs/{job_id}").json() if job else None


def test_zero_shot_classify_job_equals_apply_model(shapes_dataset, client):
    dataset = shapes_dataset
    job = _start(client, "zero-shot-classify", {"model": "demo-clip", "classes": {"from_field": "ground_truth"},
                                                "label_field": "zs", "batch_size": 8}, {"dataset": "shapes"})
    done = _wait(client, job["id"])
    assert done["status"] == "completed", done
    assert done["done"] == done["total"] == 36 and done["result"]["num_classes"] == 12
    model = foz.load_zoo_model("demo-clip", classes=dataset.distinct("ground_truth.label"))
    dataset.apply_model(model, label_field="direct", store_logits=True, use_cache=False)
    assert dataset.values("zs.label") == dataset.values("direct.label")
    assert dataset.values("zs.confidence") == pytest.approx(dataset.values("direct.confidence"), abs=1e-5)
    assert dataset.get_model_run_info("zs")["config"]["classes"] == model.classes
    assert "zs" in client.get("/api/datasets/shapes").json()["label_fields"]
    first = dataset.first()
    top = client.get(f"/api/datasets/shapes/samples/{first.id}").json()["labels"]["zs"]["top"]
    assert top[0][0] == first.zs.label and len(top) == 5
    assert top[0][1] == pytest.approx(first.zs.confidence, abs=1e-5)  # the same score the tile shows


def test_classify_the_current_view_with_a_typed_class_list(shapes_dataset, client):
    some = shapes_dataset.distinct("ground_truth.label")[:4]
    view = {"dataset": "shapes", "filters": {"labels": {"ground_truth": some}}}
    job = _start(client, "zero-shot-classify", {"model": "demo-openclip", "classes": {"names": [*some, " "]},
                                                "prompt": "a photo of a", "label_field": "typed", "target": "view"},
                 view)
    done = _wait(client, job["id"])
    assert done["status"] == "completed", done
    assert shapes_dataset.count("typed") == 12 == done["result"]["num_samples"]
    assert set(shapes_dataset.distinct("typed.label")) <= set(some)
    info = shapes_dataset.get_model_run_info("typed")["config"]
    assert info["classes"] == some and "a photo of a" in str(info)


def test_evaluate_job_writes_the_eval_field(app_dataset, client):
    app_dataset.delete_evaluation("siglip_eval")
    job = _start(client, "evaluate", {"pred_field": "siglip", "eval_key": "sig"})
    done = _wait(client, job["id"])
    assert done["status"] == "completed", done
    right = app_dataset.count_values("sig").get(True, 0)
    assert done["result"]["accuracy"] == pytest.approx(right / 36)
    assert client.get("/api/datasets/photos").json()["evaluations"]["sig"]["pred_field"] == "siglip"


@pytest.mark.parametrize("params, words", [
    ({"model": "demo-clip", "classes": {}, "label_field": "x"}, "exactly one"),
    ({"model": "demo-clip", "classes": {"names": ["a"], "from_field": "ground_truth"}, "label_field": "x"},
     "exactly one"),
    ({"model": "demo-clip", "classes": {"names": ["a"]}, "label_field": "bad name"}, "label_field"),
    ({"model": "demo-clip", "classes": {"names": ["a"]}, "label_field": "x", "target": "all"}, "target"),
    ({"model": "demo-clip", "classes": {"names": ["a"]}, "label_field": "x", "sql": "drop"}, "sql"),
])
def test_bad_operator_parameters_are_a_422_naming_them(app_dataset, client, params, words):
    response = client.post("/api/jobs", json={"operator": "zero-shot-classify", "view": {"dataset": "photos"},
                                              "params": params})
    assert response.status_code == 422 and words in str(response.json()["detail"])


def test_an_unknown_model_is_refused_when_the_job_is_submitted(app_dataset, client):
    response = client.post("/api/jobs", json={"operator": "zero-shot-classify", "view": {"dataset": "photos"},
                                              "params": {"model": "demo-clipp", "classes": {"names": ["a"]},
                                                         "label_field": "x"}})
    assert response.status_code == 400 and "demo-clip" in response.json()["detail"]
    assert client.get("/api/jobs").json() == {"jobs": []}


@pytest.mark.parametrize("params, words", [
    ({"model": "demo-clip", "classes": {"names": [" ", ""]}, "label_field": "x"}, "no classes"),
    ({"model": "demo-clip", "classes": {"from_field": "nofield"}, "label_field": "x"}, "nofield"),
])
def test_a_job_that_cannot_run_fails_with_the_reason(app_dataset, client, params, words):
    done = _wait(client, _start(client, "zero-shot-classify", params)["id"])
    assert done["status"] == "failed" and words in done["error"]
    assert not app_dataset.has_field("x")


def test_jobs_on_an_unknown_dataset_or_operator_are_refused(app_dataset, client):
    body = {"operator": "zero-shot-classify", "view": {"dataset": "nope"},
            "params": {"model": "demo-clip", "classes": {"names": ["a"]}, "label_field": "x"}}
    assert client.post("/api/jobs", json=body).status_code == 404
    assert client.post("/api/jobs", json={**body, "operator": "rm -rf"}).status_code == 422
    assert client.get("/api/jobs/999").status_code == 404
    assert client.post("/api/jobs/999/cancel").status_code == 404


def test_a_cancelled_classification_keeps_its_batches_and_resumes(shapes_dataset, client):
    state = client.app.state.bakeoff
    started = threading.Event()
    release = threading.Event()
    real = state.jobs._runners["zero-shot-classify"]

    def slow(job, progress):  # hold the job after its second batch until the test has asked to cancel
        def gate(done, total):
            progress(done, total)
            if done >= 8:
                started.set()
                release.wait(30)
                progress(done, total)
        return real(job, gate)

    state.jobs._runners["zero-shot-classify"] = slow
    params = {"model": "demo-clip", "classes": {"from_field": "ground_truth"}, "label_field": "zs", "batch_size": 4}
    job = _start(client, "zero-shot-classify", params, {"dataset": "shapes"})
    assert started.wait(60)
    assert client.post(f"/api/jobs/{job['id']}/cancel").json()["status"] == "running"
    release.set()
    done = _wait(client, job["id"])
    assert done["status"] == "cancelled" and "resumes" in done["message"]
    assert shapes_dataset.count("zs") == 8
    state.jobs._runners["zero-shot-classify"] = real
    again = _wait(client, _start(client, "zero-shot-classify", params, {"dataset": "shapes"})["id"])
    assert again["status"] == "completed" and again["total"] == 28 and shapes_dataset.count("zs") == 36


def test_pages_are_served_while_a_job_runs(app_dataset, client):
    state = client.app.state.bakeoff
    hold = threading.Event()
    state.jobs._runners["evaluate"] = lambda job, progress: hold.wait(30) and {}
    job = _start(client, "evaluate", {"pred_field": "clip"})
    t0 = time.perf_counter()
    page = client.post("/api/samples", json={"view": {"dataset": "photos"}, "limit": 5})
    assert page.status_code == 200 and time.perf_counter() - t0 < 10
    assert client.get(f"/api/jobs/{job['id']}").json()["status"] == "running"
    hold.set()
    assert _wait(client, job["id"])["status"] == "completed"


def test_a_queued_job_is_cancelled_before_it_starts():
    gate = threading.Event()
    manager = JobManager({"wait": lambda job, progress: gate.wait(30) and {}, "count": lambda job, progress: {}})
    first = manager.submit("wait", "d", {})
    second = manager.submit("count", "d", {})
    assert manager.cancel(second.id).status == "cancelled"
    gate.set()
    assert manager.wait(first.id, 30).status == "completed"
    assert manager.get(second.id).status == "cancelled" and second.started_at is None
    manager.close()


def test_progress_reports_rate_and_eta():
    def runner(job, progress):
        for done in range(11):
            time.sleep(0.01)
            progress(done, 10)
        return {"n": 10}

    manager = JobManager({"run": runner})
    job = manager.wait(manager.submit("run", "d", {}).id, 30).to_dict()
    assert job["status"] == "completed" and job["done"] == job["total"] == 10 and job["rate"] > 0
    assert job["eta_s"] == 0 and job["result"] == {"n": 10}
    manager.close()


def test_the_operator_lists_every_zoo_model_with_its_availability(client, monkeypatch):
    monkeypatch.setenv("BAKEOFF_OFFLINE", "1")
    models = {m["name"]: m for m in client.get("/api/operators/models").json()["models"]}
    assert set(models) == set(foz.list_zoo_models())
    for name in ("demo-clip", "demo-siglip", "demo-openclip"):
        assert models[name]["available"] and models[name]["reason"] == ""
    altclip = models["altclip"]
    assert not altclip["available"] and "BAAI/AltCLIP" in altclip["reason"] and "offline" in altclip["reason"]


def test_job_cancelled_is_not_a_bakeoff_error():
    # a cancelled job must not look like a failure of the user's input
    assert not issubclass(JobCancelled, fo.BakeoffError)


def test_siglip_top5_scores_are_sigmoids_like_its_confidence(shapes_dataset, client):
    job = _start(client, "zero-shot-classify", {"model": "demo-siglip", "classes": {"from_field": "ground_truth"},
                                                "label_field": "sig"}, {"dataset": "shapes"})
    assert _wait(client, job["id"])["status"] == "completed"
    first = shapes_dataset.first()
    top = client.get(f"/api/datasets/shapes/samples/{first.id}").json()["labels"]["sig"]["top"]
    assert top[0][0] == first.sig.label
    assert top[0][1] == pytest.approx(first.sig.confidence, abs=1e-5)
    assert top[0][1] == pytest.approx(1 / (1 + np.exp(-top[0][2])), abs=1e-6)
