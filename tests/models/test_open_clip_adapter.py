"""open_clip specifics: QuickGELU safety, preprocessing of local files, exact short-context text."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bakeoff.models import ModelConfigError, UnknownModelError, load_zoo_model
from bakeoff.models.open_clip_adapter import resolve_source

CLASSES = ["dog", "cat", "car side"]


def _reference_probs(folder, images, prompts):
    import open_clip

    model, _, preprocess = open_clip.create_model_and_transforms(f"local-dir:{folder}")
    tokens = open_clip.get_tokenizer(f"local-dir:{folder}")(prompts)
    with torch.no_grad():
        logits, _ = model.eval().get_logits(torch.stack([preprocess(i) for i in images]), tokens)
    return logits.softmax(-1).numpy()


def test_bare_weights_file_needs_an_explicit_quick_gelu(tiny_arch_file):
    with pytest.raises(ModelConfigError, match="quick_gelu=True or quick_gelu=False"):
        load_zoo_model("open-clip-torch", clip_model="BakeoffTiny-ViT", pretrained=str(tiny_arch_file))


def test_quick_gelu_true_reproduces_the_quickgelu_model(tiny_arch_file, tiny_model_dir, images):
    ref = _reference_probs(tiny_model_dir("open_clip", "clip-quickgelu"), images, [f"A photo of {c}" for c in CLASSES])
    model = load_zoo_model("open-clip-torch", clip_model="BakeoffTiny-ViT", pretrained=str(tiny_arch_file),
                           quick_gelu=True, classes=CLASSES, device="cpu")
    np.testing.assert_allclose(model.predict(images).probabilities, ref, atol=1e-5)
    assert "BakeoffTiny-ViT-quickgelu" in model.fingerprint
    # the same weights under GELU give other numbers: the reason this is never silent
    wrong = load_zoo_model("open-clip-torch", clip_model="BakeoffTiny-ViT", pretrained=str(tiny_arch_file),
                           quick_gelu=False, classes=CLASSES, device="cpu")
    assert np.abs(wrong.predict(images).logits - model.predict(images).logits).max() > 1e-3


def test_quickgelu_architecture_name_needs_no_flag_but_rejects_gelu(tiny_arch_file):
    source = resolve_source("BakeoffTiny-ViT-quickgelu", str(tiny_arch_file))
    assert source.quick_gelu is True
    with pytest.raises(ModelConfigError, match="trained with GELU"):
        resolve_source("BakeoffTiny-ViT-quickgelu", str(tiny_arch_file), quick_gelu=False)


def test_sidecar_config_decides_quick_gelu(tiny_model_dir, tiny_arch_file):
    folder = tiny_model_dir("open_clip", "clip-quickgelu")  # open_clip_config.json says quick_gelu
    source = resolve_source("BakeoffTiny-ViT", str(folder / "open_clip_model.safetensors"))
    assert source.quick_gelu is True


@pytest.mark.parametrize(
    ("arch", "tag", "repo", "quick_gelu"),
    [
        ("ViT-B-32", "openai", "timm/vit_base_patch32_clip_224.openai", True),
        ("ViT-B-16", "dfn2b", "apple/DFN2B-CLIP-ViT-B-16", True),
        ("ViT-B-32-quickgelu", "metaclip_400m", "timm/vit_base_patch32_clip_224.metaclip_400m", True),
        ("EVA02-B-16", "merged2b_s8b_b131k", "timm/eva02_base_patch16_clip_224.merged2b_s8b_b131k", False),
        ("ViT-B-32", "laion2b_s34b_b79k", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K", False),
    ],
)
def test_tags_take_quick_gelu_from_the_weights(model_zoo_dir, arch, tag, repo, quick_gelu):
    weights = model_zoo_dir / repo / "open_clip_pytorch_model.bin"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"placeholder: resolve_source only locates files")
    source = resolve_source(arch, tag)
    assert source.quick_gelu is quick_gelu
    assert source.pretrained == str(weights)  # found in the model zoo folder, nothing downloaded
    assert source.identity.startswith(arch + ("-quickgelu" if quick_gelu and "quickgelu" not in arch else ""))


def test_contradicting_quick_gelu_for_a_tag_is_an_error(model_zoo_dir):
    with pytest.raises(ModelConfigError, match="contradicts"):
        resolve_source("ViT-B-16", "dfn2b", quick_gelu=False)


@pytest.mark.parametrize(
    ("arch", "mean", "resize_mode"),
    [
        ("ViT-B-16-SigLIP", (0.5, 0.5, 0.5), "squash"),
        ("ViT-L-14-CLIPA", (0.485, 0.456, 0.406), "squash"),
        ("EVA02-B-16", (0.48145466, 0.4578275, 0.40821073), "shortest"),
    ],
)
def test_local_files_get_their_architectures_preprocessing(tmp_path, arch, mean, resize_mode):
    weights = tmp_path / "ft.safetensors"
    weights.write_bytes(b"placeholder")
    pre = resolve_source(arch, str(weights)).preprocess
    assert tuple(pre["mean"]) == mean and pre["resize_mode"] == resize_mode


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"clip_model": "ViT-B-61", "pretrained": "openai"}, "Did you mean 'ViT-B-16'"),
        ({"clip_model": "ViT-B-16", "pretrained": "dfn2"}, "Did you mean 'dfn2b'"),
    ],
)
def test_unknown_architecture_or_tag_suggests(kwargs, match):
    with pytest.raises(UnknownModelError, match=match):
        load_zoo_model("open-clip-torch", **kwargs)


def test_pretrained_with_a_schema_name_is_an_error(tiny_model_dir):
    folder = tiny_model_dir("open_clip", "clip")
    with pytest.raises(ModelConfigError, match="pass pretrained=''"):
        load_zoo_model("open-clip-torch", clip_model=f"local-dir:{folder}", pretrained="openai")


@pytest.mark.parametrize(("kind", "short"), [("clip", True), ("eva02", True), ("clipa", False), ("siglip", False)])
def test_text_is_encoded_at_prompt_length_only_where_exact(tiny_model_dir, kind, short):
    folder = tiny_model_dir("open_clip", kind)
    model = load_zoo_model("open-clip-torch", clip_model=f"local-dir:{folder}", pretrained="", device="cpu",
                           cache=__import__("bakeoff.models.prompts", fromlist=["x"]).TextEmbeddingCache())
    assert model.short_text is short
    prompts = ["a dog", "itap of a very small tennis shoes in a video game!", "a cat."]
    with torch.no_grad():
        full = model.model.encode_text(model.tokenizer(prompts), normalize=True).numpy()
    np.testing.assert_allclose(model.encode_texts(prompts), full, atol=1e-5)


def test_weights_file_names_are_looked_for_in_the_model_zoo_folder(model_zoo_dir, tiny_arch_file):
    import shutil

    shutil.copy(tiny_arch_file, model_zoo_dir / "my-finetune.safetensors")
    source = resolve_source("BakeoffTiny-ViT", "my-finetune.safetensors", quick_gelu=True)
    assert source.pretrained == str(model_zoo_dir / "my-finetune.safetensors")
    with pytest.raises(FileNotFoundError, match="model zoo folder"):
        resolve_source("BakeoffTiny-ViT", "missing.safetensors", quick_gelu=True)


def test_url_only_weights_are_looked_for_by_file_name(model_zoo_dir, monkeypatch):
    import open_clip

    from bakeoff.models import ModelNotAvailableOfflineError

    cfg = {"url": "https://example.com/weights/b16_custom.pt", "quick_gelu": False, "mean": (0.5,) * 3}
    monkeypatch.setattr(open_clip, "get_pretrained_cfg", lambda arch, tag: cfg if tag == "custom" else {})
    with pytest.raises(ModelNotAvailableOfflineError, match="b16_custom.pt"):
        resolve_source("ViT-B-16", "custom")
    (model_zoo_dir / "b16_custom.pt").write_bytes(b"placeholder")
    assert resolve_source("ViT-B-16", "custom").pretrained == str(model_zoo_dir / "b16_custom.pt")
