"""RunOptions: the one place where a run's options get their defaults and are checked."""

from __future__ import annotations

import numpy as np
import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.errors import InvalidOptionError, UnknownOptionError
from bakeoff.inference import RunOptions
from bakeoff.media.decode import DEFAULT_DRAFT_SIZE, DEFAULT_MAX_PIXELS


@pytest.fixture
def images(tmp_path, make_image):
    folder = tmp_path / "images" / "all"
    for i in range(5):
        make_image(folder / f"{i}.jpg", size=(48 + i, 40), color=(40 * i, 20, 200 - 30 * i))
    return fo.Dataset.from_dir(folder.parent, compute_metadata=False)


@pytest.fixture
def model():
    return foz.load_zoo_model("demo-clip", classes=["red square", "blue circle"])


def test_defaults_come_from_the_config_and_the_decoder(monkeypatch):
    monkeypatch.setattr(fo.config, "default_batch_size", 12)
    monkeypatch.setattr(fo.config, "backend", "local")
    options = RunOptions.build()
    assert (options.batch_size, options.backend, options.max_pixels, options.draft_size) == (
        12, "local", DEFAULT_MAX_PIXELS, DEFAULT_DRAFT_SIZE)
    assert 2 <= options.num_workers <= 8 and options.max_decoded_bytes is None and options.ray is None
    ray = RunOptions.build(backend="ray", replicas=3, num_gpus=0.5, ray_address="ray://head:10001").ray
    assert (ray.replicas, ray.num_gpus, ray.address) == (3, 0.5, "ray://head:10001")


@pytest.mark.parametrize("options, fragment", [
    ({"batch_size": 0}, "batch_size=0"),
    ({"batch_size": -3}, "batch_size=-3"),
    ({"batch_size": 2.5}, "batch_size=2.5"),
    ({"batch_size": True}, "batch_size=True"),
    ({"num_workers": 0}, "num_workers=0"),
    ({"confidence_thresh": 1.5}, "confidence_thresh=1.5"),
    ({"confidence_thresh": "high"}, "confidence_thresh='high'"),
    ({"max_pixels": 0}, "max_pixels=0"),
    ({"draft_size": -1}, "draft_size=-1"),
    ({"max_decoded_bytes": 0}, "max_decoded_bytes=0"),
    ({"progress": "yes"}, "progress='yes'"),
    ({"backend": "spark"}, "unknown backend 'spark'"),
    ({"backend": "ray", "replicas": 0}, "replicas=0"),
    ({"backend": "ray", "num_gpus": -1}, "num_gpus=-1"),
])
def test_bad_values_name_the_value_and_the_fix(options, fragment):
    with pytest.raises(InvalidOptionError, match=fragment) as caught:
        RunOptions.build(**options)
    assert isinstance(caught.value, ValueError)
    assert "give" in str(caught.value) or "use one of" in str(caught.value)  # the fix


@pytest.mark.parametrize("options, fragment", [
    ({"replicas": 2}, "are for backend='ray'"),
    ({"batchsize": 8}, "Did you mean 'batch_size'"),
    ({"backend": "ray", "replica": 2}, "Did you mean 'replicas'"),
])
def test_options_a_run_does_not_take_are_type_errors(options, fragment):
    with pytest.raises(UnknownOptionError, match=fragment) as caught:
        RunOptions.build(**options)
    assert isinstance(caught.value, TypeError)


def test_a_bad_option_is_refused_before_any_field_or_run_is_made(images, model):
    with pytest.raises(InvalidOptionError, match="batch_size=0"):
        images.apply_model(model, label_field="p", batch_size=0)
    with pytest.raises(UnknownOptionError, match="num_gpus"):
        images.compute_embeddings(model, num_gpus=1)
    assert not images.has_field("p") and images.list_model_runs() == []


def test_max_decoded_bytes_reaches_the_decoder(images, model):
    summary = images.apply_model(model, label_field="p", max_decoded_bytes=1000, use_cache=False)
    assert summary.failed == 5
    reason = next(iter(images.get_model_run_info("p")["results"]["failures"].values()))
    assert "above the limit of 1,000 bytes" in reason


def test_compute_embeddings_and_apply_model_share_the_engine_and_the_cache(images, model):
    embeddings = images.compute_embeddings(model, batch_size=2, progress=False)
    assert embeddings.shape[0] == 5 and np.isfinite(embeddings).all()
    summary = images.apply_model(model, label_field="p", batch_size=2)
    assert summary.decoded == 0 and summary.per_field["p"]["from_cache"] == 5
    calls = []
    again = images.compute_embeddings(model, batch_size=2, progress=lambda done, total: calls.append((done, total)))
    np.testing.assert_array_equal(again, embeddings)
    assert calls == [(0, 5), (2, 5), (4, 5), (5, 5)]


def test_the_docstring_example_stays_true():
    import doctest

    import bakeoff.inference.options

    result = doctest.testmod(bakeoff.inference.options, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
