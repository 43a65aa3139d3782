"""What loading a model prints, classes a model cannot tell apart, and the offline column of the zoo (issue 16)."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import bakeoff as fo
import bakeoff.zoo as foz
from bakeoff.models.library_output import HeldTokenIdWarnings, library_progress
from bakeoff.models.zoo import _REGISTRY, list_zoo_models, zoo_model_offline

OUT_OF_VOCABULARY = ["xylophone", "kazoo", "dog"]  # the tiny BPE vocabulary knows "dog" only


# -- item 8: the demo SigLIP loads quietly; --no-progress means no library bars -----------------------


@pytest.mark.parametrize("progress", [False, True])
def test_demo_siglip_loads_without_token_warnings_and_bars_follow_progress(progress, capfd):
    from transformers.utils import logging as transformers_logging

    before = transformers_logging.is_progress_bar_enabled()
    model = foz.load_zoo_model("demo-siglip", classes=["red circle", "blue square"], progress=progress)
    err = capfd.readouterr().err
    assert "bos_token_id" not in err and "eos_token_id" not in err
    assert ("Loading weights" in err) is progress
    assert transformers_logging.is_progress_bar_enabled() is before  # scoped: restored after the load
    assert model.family == "siglip"


def test_held_token_id_warnings_let_through_those_about_the_loaded_config(caplog):
    held = HeldTokenIdWarnings()
    message = ("Model config: {} must be `None` or an integer within the vocabulary (between 0 and 30), "
               "got {}. This may result in unexpected behavior.")
    records = [logging.LogRecord("transformers.configuration_utils", logging.WARNING, __file__, 1,
                                 message.format(name, value), None, None)
               for name, value in (("bos_token_id", 49406), ("eos_token_id", 99))]
    assert [held.filter(r) for r in records] == [False, False]
    assert held.filter(logging.LogRecord("x", logging.WARNING, __file__, 1, "other", None, None))

    class Config:  # the loaded model's text config: eos 99 is its own (a real problem), bos 49406 is not
        bos_token_id, eos_token_id = None, 99

    with caplog.at_level(logging.WARNING):
        held.release(Config())
    assert [r.getMessage() for r in caplog.records] == [records[1].getMessage()]
    assert held.held == []


def test_library_progress_restores_the_hub_state():
    from huggingface_hub import utils as hub

    hub.enable_progress_bars()
    with library_progress("open_clip", show=False):
        assert hub.are_progress_bars_disabled()
    assert not hub.are_progress_bars_disabled()
    hub.disable_progress_bars()
    try:
        with library_progress("open_clip", show=False):
            pass
        assert hub.are_progress_bars_disabled()  # it was off before: it stays off
    finally:
        hub.enable_progress_bars()


# -- item 13: classes whose prompts encode alike are named in a warning and in the run info -----------


def test_out_of_vocabulary_classes_collide_and_are_warned_about(tiny_model_dir, caplog):
    folder = tiny_model_dir("transformers", "clip")
    with caplog.at_level(logging.WARNING, logger="bakeoff.models.base"):
        model = foz.load_zoo_model("zero-shot-classification-transformer-torch", name_or_path=str(folder),
                                   classes=OUT_OF_VOCABULARY, device="cpu")
        model.text_embeddings()
    groups = model.prompt_collisions()
    assert [g["classes"] for g in groups] == [["xylophone", "kazoo"]]
    assert groups[0]["cosine"] >= 0.999 and not groups[0]["same_prompts"]
    warned = [r.getMessage() for r in caplog.records if "cannot tell apart" in r.getMessage()]
    assert len(warned) == 1 and "['xylophone', 'kazoo']" in warned[0]

    model.classes = ["dog", "cat"]  # words it knows: no collision
    assert model.prompt_collisions() == []


def test_identical_prompts_after_cleaning_collide(tiny_model_dir):
    folder = tiny_model_dir("transformers", "clip")
    model = foz.load_zoo_model("zero-shot-classification-transformer-torch", name_or_path=str(folder),
                               classes=["car_side", "car-side", "dog"], device="cpu")
    assert model.prompts()[0] == model.prompts()[1] == ["A photo of car side"]
    assert model.prompt_collisions() == [{"classes": ["car_side", "car-side"], "cosine": 1.0, "same_prompts": True}]
    model.set_prompts(clean_class_names=False)  # the raw names differ: no identical prompts any more
    assert model.prompts()[0] == ["A photo of car_side"]


def test_apply_model_records_the_collisions_in_the_run_info(tiny_model_dir, make_image, tmp_path):
    folder = tiny_model_dir("transformers", "clip")
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(filepath=str(make_image(tmp_path / f"{i}.png"))) for i in range(3)])
    model = foz.load_zoo_model("zero-shot-classification-transformer-torch", name_or_path=str(folder),
                               classes=OUT_OF_VOCABULARY, device="cpu")
    dataset.apply_model(model, label_field="tiny", progress=False)
    config = dataset.get_model_run_info("tiny")["config"]
    assert config["prompt_collisions"][0]["classes"] == ["xylophone", "kazoo"]
    assert config["prompts"] == [["A photo of xylophone"], ["A photo of kazoo"], ["A photo of dog"]]
    model.classes = ["dog", "cat"]
    dataset.apply_model(model, label_field="clean", progress=False)
    assert "prompt_collisions" not in dataset.get_model_run_info("clean")["config"]


# -- item 12: which zoo models work offline, without importing torch ------------------------------------


def test_zoo_model_offline_without_torch(tmp_path):
    code = ("import sys; from bakeoff.models.zoo import list_zoo_models, zoo_model_offline\n"
            "rows = {n: zoo_model_offline(n) for n in list_zoo_models()}\n"
            "print(sorted(n for n, (ok, _) in rows.items() if ok))\n"
            "print([m for m in ('torch', 'transformers', 'open_clip') if m in sys.modules])")
    env = {"BAKEOFF_HOME": str(tmp_path), "HF_HOME": str(tmp_path / "hf"), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    offline, imported = done.stdout.splitlines()
    assert offline == "['demo-clip', 'demo-openclip', 'demo-siglip']"
    assert imported == "[]"


def test_zoo_model_offline_finds_weights_in_the_model_zoo_folder(model_zoo_dir):
    assert zoo_model_offline("altclip") == (False, "downloads BAAI/AltCLIP on first use")
    (model_zoo_dir / "BAAI" / "AltCLIP").mkdir(parents=True)
    (model_zoo_dir / "BAAI" / "AltCLIP" / "config.json").write_text("{}")
    assert zoo_model_offline("altclip")[0] is True
    repo = _REGISTRY["dfn-vit-b16-dfn2b"].weights_repo
    (model_zoo_dir / repo).mkdir(parents=True)
    (model_zoo_dir / repo / "open_clip_pytorch_model.bin").write_bytes(b"")
    assert zoo_model_offline("dfn-vit-b16-dfn2b")[0] is True
    assert zoo_model_offline("open_clip:ViT-B-16@laion2b_s34b_b88k") == (None, "open_clip tells at load time")


@pytest.mark.parametrize("name", [n for n in list_zoo_models() if _REGISTRY[n].weights_repo])
def test_weights_repo_is_open_clips(name):
    """The repositories bakeoff records for offline look-ups are those open_clip downloads from."""
    import open_clip

    defaults = _REGISTRY[name].defaults
    hub = open_clip.get_pretrained_cfg(defaults["clip_model"], defaults["pretrained"])["hf_hub"]
    assert hub.rstrip("/") == _REGISTRY[name].weights_repo
