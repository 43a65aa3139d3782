"""apply_model(backend="ray") on a local 2-CPU Ray: same results as the local backend, cache, bad images, faults."""

from __future__ import annotations

import os
import signal
import sys

import numpy as np
import psutil
import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.inference import ImageDecodeError

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    """One local Ray for the module (starting it takes a few seconds)."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    from ray.data import DataContext

    DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture
def shapes(tmp_path):
    from bakeoff.demo.shapes import class_names, write_dataset

    root = write_dataset(tmp_path / "shapes", per_class=2, seed=3, classes=class_names()[::3][:20])
    return fo.Dataset.from_dir(root)


@pytest.fixture
def broken(tmp_path, make_image):
    """One good image and one of each kind of bad image the local backend records."""
    folder = tmp_path / "broken" / "all"
    make_image(folder / "good.jpg", size=(64, 64))
    (folder / "empty.jpg").write_bytes(b"")
    (folder / "text.jpg").write_text("not an image")
    good = (folder / "good.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(good[: len(good) // 3])
    dataset = fo.Dataset.from_dir(folder.parent, compute_metadata=False)
    dataset.add_sample(fo.Sample(filepath=str(folder / "missing.jpg")))
    return dataset


def _model(dataset, name="demo-clip"):
    return foz.load_zoo_model(name, classes=dataset.distinct("ground_truth.label"))


def test_results_equal_the_local_backend(shapes):
    clip, oc = _model(shapes), _model(shapes, "demo-openclip")
    shapes.apply_models({"clip": clip, "oc": oc}, store_logits=True, batch_size=8)
    summary = shapes.apply_models({"clip_ray": clip, "oc_ray": oc}, store_logits=True, batch_size=8, backend="ray",
                                  use_cache=False, replicas=2)
    assert summary.decoded == 40 and summary.failed == 0
    assert summary.per_field["clip_ray"]["encoded"] == 40
    for local, remote in (("clip", "clip_ray"), ("oc", "oc_ray")):
        assert shapes.values(f"{local}.label") == shapes.values(f"{remote}.label")
        np.testing.assert_allclose(np.stack(shapes.values(f"{remote}.logits")),
                                   np.stack(shapes.values(f"{local}.logits")), atol=1e-5)
    info = shapes.get_model_run_info("clip_ray")
    assert info["results"]["backend"] == "ray" and info["results"]["replicas"] == 2
    assert info["config"]["classes"] == clip.classes


def test_the_embedding_cache_is_shared_both_ways(shapes, monkeypatch):
    clip = _model(shapes)
    monkeypatch.setattr("bakeoff.inference.ray_backend.RAY_CHUNK", 16)  # three Ray Data runs, one per chunk
    first = shapes.apply_model(clip, label_field="a", backend="ray")
    assert first.decoded == 40 and shapes.count("a") == 40
    clip.classes = ["red circle", "blue square"]
    again = shapes.apply_model(clip, label_field="b", backend="ray")  # new classes: no image leaves the disk
    assert again.decoded == 0 and again.per_field["b"]["from_cache"] == 40
    local = shapes.apply_model(clip, label_field="c")  # the local backend finds what Ray encoded
    assert local.decoded == 0 and shapes.values("b.label") == shapes.values("c.label")
    embeddings = shapes.compute_embeddings(_model(shapes, "demo-openclip"), backend="ray")
    assert embeddings.shape[0] == 40 and np.isfinite(embeddings).all()


def test_bad_images_behave_as_locally(broken):
    model = foz.load_zoo_model("demo-clip", classes=["red square", "blue circle"])
    broken.apply_model(model, label_field="local")
    summary = broken.apply_model(model, label_field="remote", backend="ray")
    assert summary.failed == 4 and broken.count("remote") == 1
    local = broken.get_model_run_info("local")["results"]["failures"]
    remote = broken.get_model_run_info("remote")["results"]["failures"]
    assert remote == local and len(remote) == 4
    with pytest.raises(ImageDecodeError):
        broken.apply_model(model, label_field="strict", backend="ray", skip_failures=False, use_cache=False)


def test_a_replica_killed_mid_run_loses_nothing(shapes):
    clip = _model(shapes)
    shapes.apply_model(clip, label_field="local", store_logits=True, use_cache=False)
    killed = []

    def kill_a_replica_after_the_first_batch(done, total):
        if done and not killed:
            # Ray names an actor's process after its class: "ray::MapWorker(MapBatches(ImageEncoder))"
            workers = [p for p in psutil.process_iter(["pid", "cmdline"])
                       if "ImageEncoder" in " ".join(p.info["cmdline"] or [])]
            if workers:
                os.kill(workers[0].info["pid"], signal.SIGKILL)
                killed.append(workers[0].info["pid"])

    summary = shapes.apply_model(clip, label_field="remote", store_logits=True, batch_size=4, backend="ray",
                                 use_cache=False, progress=kill_a_replica_after_the_first_batch)
    assert killed, "no replica was found to kill"
    assert summary.failed == 0 and shapes.count("remote") == 40
    assert shapes.values("remote.label") == shapes.values("local.label")


def test_the_backend_comes_from_the_config_and_bad_names_are_refused(shapes, monkeypatch):
    clip = _model(shapes)
    monkeypatch.setattr(fo.config, "backend", "ray")
    shapes.apply_model(clip, label_field="by_config")
    assert shapes.get_model_run_info("by_config")["results"]["backend"] == "ray"
    with pytest.raises(ValueError, match="unknown backend 'spark'"):
        shapes.apply_model(clip, label_field="x", backend="spark")
    with pytest.raises(TypeError, match="replicas"):
        shapes.apply_model(clip, label_field="x", backend="local", replicas=2)


def test_without_ray_data_the_error_says_what_to_install(shapes, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray.data", None)
    from bakeoff.inference.ray_backend import import_ray

    with pytest.raises(fo.BakeoffError, match=r"pip install 'bakeoff\[ray\]'"):
        import_ray()
