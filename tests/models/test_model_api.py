"""The ZeroShotModel contract apply_model relies on, on a tiny model of each library."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import torch

from bakeoff.models import NoClassesError, TextEmbeddingCache, load_zoo_model
from bakeoff.models.base import resolve_precision
from bakeoff.models.scoring import SigmoidScorer, SoftmaxScorer, TemperatureScorer


@pytest.fixture(params=[("open_clip", "clip"), ("transformers", "siglip")], ids=["open_clip", "transformers"])
def tiny(request, tiny_model_dir):
    library, kind = request.param
    folder = tiny_model_dir(library, kind)
    kwargs = ({"clip_model": f"local-dir:{folder}", "pretrained": ""} if library == "open_clip"
              else {"name_or_path": str(folder)})
    name = "open-clip-torch" if library == "open_clip" else "zero-shot-classification-transformer-torch"
    return lambda **kw: load_zoo_model(name, device="cpu", cache=TextEmbeddingCache(), **kwargs, **kw)


def test_importing_bakeoff_models_loads_no_ml_library():
    code = ("import sys, bakeoff, bakeoff.zoo, bakeoff.models, bakeoff.models.zoo; "
            "print(sorted(m for m in ('torch', 'transformers', 'open_clip', 'timm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_embeddings_work_without_classes_but_classifying_does_not(tiny, images):
    model = tiny()
    emb = model.encode_images(images)
    assert emb.shape[0] == len(images) and emb.dtype == np.float32
    with pytest.raises(NoClassesError, match="model.classes"):
        model.predict(images)
    with pytest.raises(NoClassesError):
        model.text_embeddings()
    model.classes = ["dog", "cat"]
    assert model.predict(images).probabilities.shape == (len(images), 2)


def test_encode_images_accepts_pil_tensors_or_a_stack(tiny, images):
    model = tiny()
    from_pil = model.encode_images(images)
    tensors = [model.preprocess(i) for i in images]
    np.testing.assert_allclose(model.encode_images(tensors), from_pil, atol=1e-6)
    np.testing.assert_allclose(model.encode_images(torch.stack(tensors)), from_pil, atol=1e-6)


def test_preprocess_is_thread_safe(tiny, images):
    model = tiny()
    serial = [model.preprocess(i) for i in images * 4]
    with ThreadPoolExecutor(4) as pool:
        threaded = list(pool.map(model.preprocess, images * 4))
    assert all(torch.equal(a, b) for a, b in zip(serial, threaded))


def test_text_embeddings_are_cached_and_only_new_prompts_encoded(tiny):
    model = tiny(classes=["dog", "cat"])
    calls = []
    original = model._text_features
    model._text_features = lambda prompts: calls.append(list(prompts)) or original(prompts)
    first = model.text_embeddings()
    assert sorted(p for c in calls for p in c) == ["A photo of cat", "A photo of dog"]
    calls.clear()
    np.testing.assert_array_equal(model.text_embeddings(), first)
    model.classes = ["dog", "cat", "bird"]
    model.text_embeddings()
    assert calls == [["A photo of bird"]]
    model.text_prompt = "a picture of a"  # new prompts: re-encoded
    assert model.text_embeddings().shape[0] == 3 and len(calls) == 2


def test_ensembles_are_normalized_means_of_prompt_embeddings(tiny):
    model = tiny(classes=["dog", "cat"], templates="simple")
    prompt_emb = model.encode_texts([t.replace("{}", "dog") for t in
                                     __import__("bakeoff.models.templates", fromlist=["x"]).SIMPLE_TEMPLATES])
    mean = prompt_emb.mean(0)
    np.testing.assert_allclose(model.text_embeddings()[0], mean / np.linalg.norm(mean), atol=1e-6)


def test_fingerprint_is_stable_and_tracks_weights_and_precision(tiny, tiny_model_dir):
    a, b = tiny(), tiny()
    assert a.fingerprint == b.fingerprint
    assert tiny(precision="bf16").fingerprint != a.fingerprint
    other = load_zoo_model("open-clip-torch", clip_model=f"local-dir:{tiny_model_dir('open_clip', 'eva02')}",
                           pretrained="", device="cpu")
    assert other.fingerprint != a.fingerprint


def test_bf16_cpu_path_runs_and_mostly_agrees(tiny, images):
    exact = tiny(classes=["dog", "cat", "car"])
    fast = tiny(classes=["dog", "cat", "car"], precision="bf16")
    assert fast.precision == "bf16" and fast.encode_images(images).dtype == np.float32
    np.testing.assert_allclose(fast.predict(images).probabilities, exact.predict(images).probabilities, atol=0.05)


@pytest.mark.parametrize(
    ("device", "precision", "expected"),
    [("cpu", None, "fp32"), ("cuda", None, "fp16"), ("cuda:1", None, "fp16"), ("cpu", "bf16", "bf16"),
     ("cuda", "fp32", "fp32")],
)
def test_precision_defaults(device, precision, expected):
    assert resolve_precision(device, precision) == expected


def test_bad_precision_and_classes_are_clear_errors(tiny):
    with pytest.raises(ValueError, match="precision='int4'"):
        resolve_precision("cpu", "int4")
    model = tiny()
    with pytest.raises(TypeError, match="list of names"):
        model.classes = "dog"
    with pytest.raises(ValueError, match="duplicates"):
        model.classes = ["dog", "dog"]


@pytest.mark.parametrize(
    ("scorer", "cos", "logits", "probs"),
    [
        (SoftmaxScorer(logit_scale=10.0), [[0.5, 0.3]], [[5.0, 3.0]], [[0.880797, 0.119203]]),
        (TemperatureScorer(temperature=0.5), [[0.5, 0.3]], [[1.0, 0.6]], [[0.598688, 0.401312]]),
        (SigmoidScorer(logit_scale=10.0, logit_bias=-4.0), [[0.5, 0.3]], [[1.0, -1.0]], [[0.731059, 0.268941]]),
        (SigmoidScorer(logit_scale=1000.0, logit_bias=0.0), [[1.0, -1.0]], [[1000.0, -1000.0]], [[1.0, 0.0]]),
    ],
)
def test_scorers(scorer, cos, logits, probs):
    img = np.array([[1.0, 0.0]], np.float32)
    txt = np.array([[c, np.sqrt(1 - c * c)] for c in cos[0]], np.float32)
    out = scorer.score(img, txt)
    np.testing.assert_allclose(out, logits, rtol=1e-5, atol=1e-4)
    with np.errstate(over="raise"):
        np.testing.assert_allclose(scorer.probabilities(out), probs, atol=1e-6)


def test_to_moves_the_weights_and_keeps_the_fingerprint():
    import bakeoff.zoo as foz

    model = foz.load_zoo_model("demo-openclip", classes=["red square", "blue circle"])
    fingerprint = model.fingerprint
    assert model.to("meta") is model
    assert model.device == "meta" and model.fingerprint == fingerprint
    assert all(p.device.type == "meta" for p in model.model.parameters())
