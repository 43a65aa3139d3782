"""No model file ever runs code: hostile folders planted in tmp_path, loaded through Python and the CLI.

Each attack's payload creates ``marker`` if it ever runs (see tests/hostile_models.py). Every test
checks that it never exists and that the load either succeeds with the payload ignored (a warning
naming the file) or fails with one of bakeoff's errors. ``input()`` fails the test if called:
transformers' "run the custom code? [y/N]" prompt must never be reached.
"""

from __future__ import annotations

import builtins
import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hostile_models import (
    open_clip_pickle_folder,
    open_clip_remote_code_folder,
    open_clip_text_tower_folder,
    transformers_config_auto_map_folder,
    transformers_pickle_folder,
    transformers_processor_auto_map_folder,
    transformers_remote_code_flag_folder,
    transformers_tokenizer_auto_map_folder,
    write_pickle_weights,
    write_pickled_npz,
)
from tiny_models import CLASSES

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.cli.main import cli
from bakeoff.errors import UnsafeModelError
from bakeoff.models.errors import ModelConfigError, UnknownModelError
from bakeoff.models.safety import strip_remote_code


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """The file a payload would create; asserted absent after the test. Also: no interactive prompt."""
    path = tmp_path / "PAYLOAD-RAN"

    def no_prompt(*args, **kwargs):
        raise AssertionError(f"something asked on stdin: {args}")

    monkeypatch.setattr(builtins, "input", no_prompt)
    yield path
    assert not path.exists(), "the planted payload ran"


@pytest.fixture
def caplog_warnings(caplog):
    caplog.set_level(logging.WARNING, logger="bakeoff.models.safety")
    return caplog


def _safety_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bakeoff.models.safety"]


def _warned(caplog, *parts: str) -> bool:
    return any(all(p in message for p in parts) for message in _safety_warnings(caplog))


def _open_clip(folder: Path, **kwargs):
    return foz.load_zoo_model(f"local-dir:{folder}", classes=CLASSES, **kwargs)


def _transformers(folder: Path, **kwargs):
    return foz.load_zoo_model(f"transformers:{folder}", classes=CLASSES, **kwargs)


# ---- the policy itself ---------------------------------------------------------------------------

def test_strip_remote_code_removes_every_level_and_names_the_file(caplog_warnings):
    cfg = {"a": 1, "auto_map": {"AutoModel": "x.Y"}, "nested": [{"trust_remote_code": True, "b": 2}],
           "text_cfg": {"tokenizer_kwargs": {"trust_remote_code": True, "clean": "lower"}}}
    clean = strip_remote_code(cfg, "/tmp/x/open_clip_config.json")
    assert clean == {"a": 1, "nested": [{"b": 2}], "text_cfg": {"tokenizer_kwargs": {"clean": "lower"}}}
    assert cfg["auto_map"] and cfg["text_cfg"]["tokenizer_kwargs"]["trust_remote_code"]  # input untouched
    assert _warned(caplog_warnings, "/tmp/x/open_clip_config.json", "auto_map=", "nested[0].trust_remote_code=True",
                   "text_cfg.tokenizer_kwargs.trust_remote_code=True")


def test_clean_config_logs_nothing(caplog_warnings):
    assert strip_remote_code({"a": {"b": [1]}}, "x.json") == {"a": {"b": [1]}}
    assert not _safety_warnings(caplog_warnings)


@pytest.mark.parametrize("loader", ["load_open_clip", "load_transformers_model"])
def test_trust_remote_code_argument_is_refused(loader, tiny_model_dir, marker):
    from bakeoff.models import open_clip_adapter, transformers_adapter

    if loader == "load_open_clip":
        call = lambda: open_clip_adapter.load_open_clip(  # noqa: E731
            f"local-dir:{tiny_model_dir('open_clip', 'clip')}", "", trust_remote_code=True)
    else:
        call = lambda: transformers_adapter.load_transformers_model(  # noqa: E731
            tiny_model_dir("transformers", "clip"), trust_remote_code=True)
    with pytest.raises(UnsafeModelError, match="never runs code"):
        call()
    with pytest.raises(UnknownModelError, match="does not take argument"):  # the zoo names its arguments
        foz.load_zoo_model("demo-clip", trust_remote_code=True)


# ---- open_clip -----------------------------------------------------------------------------------

def test_open_clip_tokenizer_remote_code_is_ignored(tmp_path, tiny_model_dir, images, marker, caplog_warnings):
    template = tiny_model_dir("open_clip", "clipa")
    folder = open_clip_remote_code_folder(tmp_path / "evil", marker, template)
    model = _open_clip(folder)
    assert _warned(caplog_warnings, "open_clip_config.json", "text_cfg.tokenizer_kwargs.trust_remote_code=True")
    assert _warned(caplog_warnings, "tokenizer_config.json", "auto_map=")
    assert type(model.tokenizer.tokenizer).__module__.startswith("transformers.")
    np.testing.assert_array_equal(model.predict(images).logits, _open_clip(template).predict(images).logits)


def test_open_clip_tokenizer_that_only_planted_code_can_build_is_refused(tmp_path, tiny_model_dir, marker):
    folder = open_clip_remote_code_folder(tmp_path / "evil", marker, tiny_model_dir("open_clip", "clipa"),
                                          builtin_class=False)
    with pytest.raises(ModelConfigError, match="never runs code that comes with a model"):
        _open_clip(folder)


def test_open_clip_hf_text_tower_with_custom_code_is_refused(tmp_path, tiny_model_dir, marker):
    folder = open_clip_text_tower_folder(tmp_path / "evil", marker, tiny_model_dir("open_clip", "clip"))
    with pytest.raises(ModelConfigError, match="text tower") as error:
        _open_clip(folder)
    assert "never runs code" in str(error.value)


def test_open_clip_never_rereads_the_config_it_cleaned(tmp_path, tiny_model_dir, marker, monkeypatch):
    """open_clip builds from bakeoff's cleaned dict: a file swapped after bakeoff read it is never seen."""
    import open_clip

    folder = open_clip_remote_code_folder(tmp_path / "evil", marker, tiny_model_dir("open_clip", "clipa"))
    real = open_clip.create_model

    def swap_then_create(*args, **kwargs):
        cfg = json.loads((folder / "open_clip_config.json").read_text())
        cfg["model_cfg"]["text_cfg"]["hf_model_name"] = "/nonexistent/evil-tower"
        (folder / "open_clip_config.json").write_text(json.dumps(cfg))
        assert not str(args[0]).startswith(("local-dir:", "hf-hub:"))  # a name, not the folder
        return real(*args, **kwargs)

    monkeypatch.setattr(open_clip, "create_model", swap_then_create)
    _open_clip(folder)


@pytest.mark.parametrize("kind", ["zip", "raw", "fallback"])
def test_open_clip_folder_with_pickle_weights_is_refused(kind, tmp_path, tiny_model_dir, marker, monkeypatch):
    if kind == "fallback":  # open_clip itself would retry this one without weights_only, and run it
        monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    folder = tmp_path / "evil"
    open_clip_pickle_folder(folder, marker, tiny_model_dir("open_clip", "clip"), fallback=kind == "fallback")
    if kind == "raw":
        write_pickle_weights(folder / "open_clip_pytorch_model.bin", marker, fmt="raw")
    with pytest.raises(UnsafeModelError) as error:
        _open_clip(folder)
    message = str(error.value)
    assert "open_clip_pytorch_model.bin" in message and "safetensors" in message and "weights_only=True" in message


def test_open_clip_pretrained_pickle_file_is_refused(tmp_path, tiny_arch_file, marker, monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    for name in ("finetuned.pt", "finetuned.bin"):
        weights = write_pickle_weights(tmp_path / name, marker)
        with pytest.raises(UnsafeModelError, match=name):
            foz.load_zoo_model("open-clip-torch", clip_model="BakeoffTiny-ViT", pretrained=str(weights),
                               quick_gelu=False, classes=CLASSES)


def test_open_clip_plain_pickle_of_tensors_still_loads(tmp_path, tiny_arch_file, images, marker):
    """A .pt holding only tensors is what weights_only=True exists for: it loads, same scores."""
    import torch
    from safetensors.torch import load_file

    weights = tmp_path / "finetuned.pt"
    torch.save(load_file(str(tiny_arch_file)), weights)
    kwargs = {"clip_model": "BakeoffTiny-ViT-quickgelu", "classes": CLASSES}
    from_pickle = foz.load_zoo_model("open-clip-torch", pretrained=str(weights), **kwargs)
    from_safetensors = foz.load_zoo_model("open-clip-torch", pretrained=str(tiny_arch_file), **kwargs)
    np.testing.assert_array_equal(from_pickle.predict(images).logits, from_safetensors.predict(images).logits)


def test_open_clip_npz_with_pickled_arrays_is_refused(tmp_path, tiny_model_dir, marker):
    import open_clip

    cfg = json.loads((tiny_model_dir("open_clip", "siglip") / "open_clip_config.json").read_text())
    (tmp_path / "BakeoffTiny-SigLIP.json").write_text(json.dumps(cfg["model_cfg"]))
    open_clip.add_model_config(tmp_path / "BakeoffTiny-SigLIP.json")
    weights = write_pickled_npz(tmp_path / "big_vision.npz", marker)
    with pytest.raises(UnsafeModelError, match="big_vision.npz"):
        foz.load_zoo_model("open-clip-torch", clip_model="BakeoffTiny-SigLIP", pretrained=str(weights),
                           classes=CLASSES)


# ---- transformers --------------------------------------------------------------------------------

def test_transformers_config_auto_map_of_a_known_type_is_ignored(tmp_path, tiny_model_dir, images, marker,
                                                                  caplog_warnings):
    template = tiny_model_dir("transformers", "clip")
    folder = transformers_config_auto_map_folder(tmp_path / "evil", marker, template, known_type=True)
    model = _transformers(folder)
    assert _warned(caplog_warnings, "config.json", "auto_map=")
    assert type(model.model).__module__.startswith("transformers.models.clip")
    assert not hasattr(model.model.config, "auto_map")
    np.testing.assert_array_equal(model.predict(images).logits, _transformers(template).predict(images).logits)


def test_transformers_config_that_only_planted_code_can_build_is_refused(tmp_path, tiny_model_dir, marker):
    folder = transformers_config_auto_map_folder(tmp_path / "evil", marker, tiny_model_dir("transformers", "clip"),
                                                 known_type=False)
    with pytest.raises(ModelConfigError, match="model configuration") as error:
        _transformers(folder)
    assert str(folder) in str(error.value) and "never runs code" in str(error.value)


def test_transformers_tokenizer_auto_map_is_ignored(tmp_path, tiny_model_dir, images, marker, caplog_warnings):
    folder = transformers_tokenizer_auto_map_folder(tmp_path / "evil", marker, tiny_model_dir("transformers", "clip"))
    model = _transformers(folder)
    assert _warned(caplog_warnings, "tokenizer_config.json", "auto_map=")
    assert type(model.tokenizer).__module__.startswith("transformers.")
    assert len(model.predict(images).labels) == len(images)


def test_transformers_image_processor_auto_map_is_ignored(tmp_path, tiny_model_dir, images, marker, caplog_warnings):
    """An unknown image_processor_type plus auto_map: transformers falls back to the class of config.json's type."""
    folder = transformers_processor_auto_map_folder(tmp_path / "evil", marker, tiny_model_dir("transformers", "clip"))
    model = _transformers(folder)
    assert _warned(caplog_warnings, "preprocessor_config.json", "auto_map=")
    assert type(model.image_processor).__module__.startswith("transformers.")
    assert len(model.predict(images).labels) == len(images)


def test_transformers_folder_asking_for_trust_is_not_trusted(tmp_path, tiny_model_dir, images, marker,
                                                             caplog_warnings):
    template = tiny_model_dir("transformers", "clip")
    folder = transformers_remote_code_flag_folder(tmp_path / "evil", marker, template)
    model = _transformers(folder)
    assert _warned(caplog_warnings, "config.json", "trust_remote_code=True")
    assert _warned(caplog_warnings, "tokenizer_config.json", "trust_remote_code=True")
    assert not hasattr(model.model.config, "trust_remote_code")
    np.testing.assert_array_equal(model.predict(images).logits, _transformers(template).predict(images).logits)


def test_transformers_config_naming_a_hub_kernel_gets_the_default_attention(tmp_path, tiny_model_dir, images, marker,
                                                                            caplog_warnings):
    """attn_implementation="org/repo" would make transformers fetch and load compiled code with `kernels`."""
    template = tiny_model_dir("transformers", "clip")
    folder = tmp_path / "evil"
    shutil.copytree(template, folder)
    cfg = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**cfg, "attn_implementation": "evil-org/evil-kernel"}))
    model = _transformers(folder)
    assert _warned(caplog_warnings, "config.json", "attn_implementation='evil-org/evil-kernel'")
    assert "/" not in str(model.model.config._attn_implementation)
    np.testing.assert_array_equal(model.predict(images).logits, _transformers(template).predict(images).logits)


@pytest.mark.parametrize("kind", ["zip", "raw", "fallback"])
def test_transformers_pickle_weights_are_refused(kind, tmp_path, tiny_model_dir, marker, monkeypatch):
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")  # must not weaken anything
    folder = tmp_path / "evil"
    transformers_pickle_folder(folder, marker, tiny_model_dir("transformers", "clip"), fallback=kind == "fallback")
    if kind == "raw":
        write_pickle_weights(folder / "pytorch_model.bin", marker, fmt="raw")
    with pytest.raises(UnsafeModelError) as error:
        _transformers(folder)
    assert "pytorch_model.bin" in str(error.value) and "safetensors" in str(error.value)


# ---- legitimate models are unchanged ---------------------------------------------------------------

@pytest.mark.parametrize("library, kind", [("open_clip", "clip"), ("open_clip", "siglip"), ("transformers", "clip"),
                                           ("transformers", "siglip")])
def test_legitimate_models_score_as_the_bare_library_does(library, kind, tiny_model_dir, images, caplog_warnings):
    import open_clip
    import torch

    folder = tiny_model_dir(library, kind)
    model = (_open_clip if library == "open_clip" else _transformers)(folder)
    pixels = torch.stack([model.preprocess(image) for image in images])
    with torch.no_grad():
        if library == "open_clip":
            bare, _, transform = open_clip.create_model_and_transforms(f"local-dir:{folder}")
            expected = bare.eval().encode_image(torch.stack([transform(image) for image in images]))
        else:
            from transformers import AutoModel

            expected = AutoModel.from_pretrained(folder).eval().get_image_features(pixel_values=pixels)
            expected = getattr(expected, "pooler_output", expected)
    expected = (expected / expected.norm(dim=-1, keepdim=True)).numpy()
    np.testing.assert_allclose(model.encode_images(pixels), expected, rtol=0, atol=1e-6)
    assert not _safety_warnings(caplog_warnings)


@pytest.mark.parametrize("name", ["demo-clip", "demo-siglip", "demo-openclip"])
def test_demo_models_still_load(name, caplog_warnings):
    model = foz.load_zoo_model(name, classes=["circle", "square"])
    assert model.text_embeddings().shape[0] == 2
    assert not _safety_warnings(caplog_warnings)


# ---- through the command line ----------------------------------------------------------------------

@pytest.fixture
def pets(image_tree):
    return fo.Dataset.from_dir(image_tree, name="pets", persistent=True)


ATTACKS = {
    "open_clip tokenizer remote code": ("local-dir:", "open_clip", "clipa", open_clip_remote_code_folder, 0, ""),
    "open_clip pickle weights": ("local-dir:", "open_clip", "clip", open_clip_pickle_folder, 1, "refusing the weights"),
    "transformers config auto_map": ("transformers:", "transformers", "clip",
                                     lambda f, m, t: transformers_config_auto_map_folder(f, m, t, known_type=False),
                                     1, "never runs code"),
    "transformers pickle weights": ("transformers:", "transformers", "clip", transformers_pickle_folder, 1,
                                    "refusing the weights"),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_cli_apply_with_a_hostile_folder(attack, pets, tmp_path, tiny_model_dir, marker):
    prefix, library, kind, build, code, message = ATTACKS[attack]
    folder = build(tmp_path / "evil", marker, tiny_model_dir(library, kind))
    result = CliRunner().invoke(cli, ["apply", "pets", "--model", f"{prefix}{folder}", "--field", "x",
                                      "--classes", "cat,dog,horse", "--no-progress"])
    assert result.exit_code == code, result.output
    if code:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    else:
        assert pets.count("x") == len(pets) - 1  # every readable image got a prediction


def test_cli_in_a_terminal_answering_yes_still_runs_nothing(pets, tmp_path, tiny_model_dir, bakeoff_home):
    """open_clip's text tower asks transformers without trust_remote_code; nothing may read the "y"s on stdin."""
    marker = tmp_path / "PAYLOAD-RAN"
    folder = open_clip_text_tower_folder(tmp_path / "evil", marker, tiny_model_dir("open_clip", "clip"))
    env = {**os.environ, "BAKEOFF_HOME": str(bakeoff_home), "BAKEOFF_SHOW_PROGRESS_BARS": "0",
           "HF_MODULES_CACHE": str(tmp_path / "hf-modules")}
    env.pop("BAKEOFF_DEBUG", None)
    done = subprocess.run([sys.executable, "-m", "bakeoff.cli.main", "apply", "pets", "--model", f"local-dir:{folder}",
                           "--field", "x", "--classes", "cat,dog", "--no-progress"],
                          input="y\n" * 20, capture_output=True, text=True, env=env, timeout=300, check=False)
    assert not marker.exists(), "the planted payload ran"
    assert done.returncode == 1, done.stderr
    assert "error: cannot load the text tower" in done.stderr and "never runs code" in done.stderr


def test_safety_docstring_examples():
    import doctest

    import bakeoff.models.safety

    result = doctest.testmod(bakeoff.models.safety, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
