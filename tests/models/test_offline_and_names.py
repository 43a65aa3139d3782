"""Offline behaviour (zoo folder first, fast clear errors) and the zoo's name grammar."""

from __future__ import annotations

import shutil
import time

import pytest

from bakeoff.errors import ZooDownloadError, ZooError
from bakeoff.models import (
    ModelNotAvailableOfflineError,
    UnknownModelError,
    list_zoo_models,
    load_zoo_model,
    parse_model_name,
    zoo_model_info,
)

# The tutorial's eight configurations, with its exact arguments, and the repository each needs.
TUTORIAL = [
    ("clip-vit-base32-torch", {}, "timm/vit_base_patch32_clip_224.openai"),
    ("open-clip-torch", {"clip_model": "hf-hub:UCSC-VLAA/ViT-L-14-CLIPA-datacomp1B", "pretrained": ""},
     "UCSC-VLAA/ViT-L-14-CLIPA-datacomp1B"),
    ("open-clip-torch", {"clip_model": "ViT-B-16", "pretrained": "dfn2b"}, "apple/DFN2B-CLIP-ViT-B-16"),
    ("open-clip-torch", {"clip_model": "EVA02-B-16", "pretrained": "merged2b_s8b_b131k"},
     "timm/eva02_base_patch16_clip_224.merged2b_s8b_b131k"),
    ("open-clip-torch", {"clip_model": "ViT-B-32-quickgelu", "pretrained": "metaclip_400m"},
     "timm/vit_base_patch32_clip_224.metaclip_400m"),
    ("open-clip-torch", {"clip_model": "hf-hub:timm/ViT-B-16-SigLIP", "pretrained": ""}, "timm/ViT-B-16-SigLIP"),
    ("zero-shot-classification-transformer-torch", {"name_or_path": "BAAI/AltCLIP"}, "BAAI/AltCLIP"),
    ("zero-shot-classification-transformer-torch", {"name_or_path": "kakaobrain/align-base"},
     "kakaobrain/align-base"),
]
ALIASES = ["clip-vit-b32-openai", "clipa-vit-l14-datacomp1b", "dfn-vit-b16-dfn2b", "eva02-clip-vit-b16",
           "metaclip-vit-b32-400m", "siglip-vit-b16", "altclip", "align-base"]


@pytest.mark.parametrize(("name", "kwargs", "repo"), TUTORIAL, ids=[t[2] for t in TUTORIAL])
def test_offline_without_a_copy_fails_fast_naming_repo_and_folder(model_zoo_dir, name, kwargs, repo):
    start = time.monotonic()
    with pytest.raises(ModelNotAvailableOfflineError) as info:
        load_zoo_model(name, classes=["cat"], **kwargs)
    assert time.monotonic() - start < 5
    message = str(info.value)
    assert repo in message and str(model_zoo_dir / repo) in message and "HF_HUB_OFFLINE" in message
    assert isinstance(info.value, ZooDownloadError) and isinstance(info.value, ConnectionError)


@pytest.mark.parametrize(("alias", "tutorial"), list(zip(ALIASES, TUTORIAL)), ids=ALIASES)
def test_aliases_are_the_tutorial_configurations(alias, tutorial):
    name, kwargs, _ = tutorial
    info = zoo_model_info(alias)
    assert info["base"] == name
    base_defaults = zoo_model_info(name)["defaults"]
    assert info["defaults"] == {**base_defaults, **kwargs}


def test_offline_error_names_the_file_for_tags(model_zoo_dir):
    with pytest.raises(ModelNotAvailableOfflineError, match="open_clip_pytorch_model.bin"):
        load_zoo_model("clip-vit-base32-torch")


def test_transformers_model_in_the_zoo_folder_loads_offline(model_zoo_dir, tiny_model_dir, images):
    shutil.copytree(tiny_model_dir("transformers", "altclip"), model_zoo_dir / "BAAI" / "AltCLIP")
    model = load_zoo_model("altclip", classes=["dog", "cat"], device="cpu")
    assert model.fingerprint.startswith("transformers:altclip:BAAI/AltCLIP")
    assert len(model.predict(images).labels) == len(images)


def test_open_clip_hub_model_in_the_zoo_folder_loads_offline(model_zoo_dir, tiny_model_dir, images):
    shutil.copytree(tiny_model_dir("open_clip", "siglip"), model_zoo_dir / "timm" / "ViT-B-16-SigLIP")
    model = load_zoo_model("siglip-vit-b16", classes=["dog", "cat"], device="cpu")
    assert model.family == "siglip" and model.fingerprint == "open_clip:hf-hub:timm/ViT-B-16-SigLIP:fp32"
    assert model.predict(images).probabilities.shape == (len(images), 2)


@pytest.mark.parametrize(
    ("name", "match"),
    [
        ("clip-vit-base32", "Did you mean 'clip-vit-base32-torch'"),
        ("open-clip", "Did you mean 'open-clip-torch'"),
        ("siglip-vit-b-16", "Did you mean 'siglip-vit-b16'"),
        ("nonsense-model-xyz", "Known models"),
        ("", "non-empty string"),
    ],
)
def test_unknown_names_suggest_close_matches(name, match):
    with pytest.raises(UnknownModelError, match=match) as info:
        load_zoo_model(name)
    assert isinstance(info.value, ZooError) and isinstance(info.value, ValueError)


def test_unknown_argument_suggests_the_right_one():
    with pytest.raises(UnknownModelError, match="Did you mean 'clip_model'"):
        load_zoo_model("open-clip-torch", clip_modle="ViT-B-32")
    with pytest.raises(UnknownModelError, match="does not take"):
        load_zoo_model("zero-shot-classification-transformer-torch", clip_model="ViT-B-32")


@pytest.mark.parametrize(
    ("name", "entry", "kwargs"),
    [
        ("open-clip-torch", "open-clip-torch", {}),
        ("OPEN-CLIP-TORCH", "open-clip-torch", {}),
        ("open-clip-torch:ViT-B-16@dfn2b", "open-clip-torch", {"clip_model": "ViT-B-16", "pretrained": "dfn2b"}),
        ("open_clip:EVA02-B-16@merged2b_s8b_b131k", "open-clip-torch",
         {"clip_model": "EVA02-B-16", "pretrained": "merged2b_s8b_b131k"}),
        ("hf-hub:timm/ViT-B-16-SigLIP", "open-clip-torch", {"clip_model": "hf-hub:timm/ViT-B-16-SigLIP", "pretrained": ""}),
        ("open_clip:local-dir:/m/x", "open-clip-torch", {"clip_model": "local-dir:/m/x", "pretrained": ""}),
        ("transformers:BAAI/AltCLIP", "zero-shot-classification-transformer-torch", {"name_or_path": "BAAI/AltCLIP"}),
        ("altclip", "altclip", {}),
    ],
)
def test_name_grammar(name, entry, kwargs):
    parsed, carried = parse_model_name(name)
    assert (parsed.name, carried) == (entry, kwargs)


def test_list_zoo_models_filters_with_wildcards():
    assert {"clip-vit-base32-torch", "open-clip-torch", "zero-shot-classification-transformer-torch"} <= set(
        list_zoo_models()
    )
    assert list_zoo_models("*transformer*") == ["zero-shot-classification-transformer-torch"]
    assert set(ALIASES) <= set(list_zoo_models())


def test_missing_local_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_zoo_model("open-clip-torch", clip_model=f"local-dir:{tmp_path / 'nope'}", pretrained="")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_zoo_model("transformers:./nope/model")


@pytest.mark.parametrize(
    ("message", "clear"),
    [
        ("SiglipTokenizer requires the SentencePiece library but it was not found", True),
        ("requires the protobuf library but it was not found in your environment", True),
        ("Unrecognized model in /x", False),
    ],
)
def test_missing_tokenizer_packages_get_an_install_hint(message, clear):
    from bakeoff.models.errors import tokenizer_dependency_error

    error = tokenizer_dependency_error(ImportError(message), "'google/siglip-base-patch16-224'")
    assert (error is not None) is clear
    if clear:
        assert "pip install sentencepiece protobuf" in str(error)
