"""Jobs started from the App load models only from zoo names, Hub ids and the allowed folders.

Whoever can reach the App must not make it load a folder they planted (in /tmp,
say), nor learn from the answer whether a path exists.
"""

from __future__ import annotations

import os

import pytest

import bakeoff as fo
from bakeoff.app.model_access import resolve_model_request
from bakeoff.errors import ModelAccessError

pytestmark = pytest.mark.one_database


def _submit(client, model, model_args=None):
    return client.post("/api/jobs", json={"operator": "zero-shot-classify", "view": {"dataset": "shapes"},
                                          "params": {"model": model, "model_args": model_args or {},
                                                     "classes": {"names": ["red circle", "blue square"]},
                                                     "label_field": "zs"}})


@pytest.fixture
def planted(tmp_path, tiny_model_dir):
    """A real, loadable model copied outside the allowed folders (where another user could put one)."""
    import shutil

    folder = tmp_path / "planted"
    shutil.copytree(tiny_model_dir("open_clip", "clip"), folder / "openclip")
    shutil.copytree(tiny_model_dir("transformers", "clip"), folder / "hf")
    return folder


@pytest.mark.parametrize(("model", "args"), [
    ("open-clip-torch", {"clip_model": "local-dir:{planted}/openclip", "pretrained": ""}),
    ("local-dir:{planted}/openclip", {}),
    ("open-clip-torch", {"clip_model": "ViT-B-32", "pretrained": "{planted}/openclip/open_clip_model.safetensors"}),
    ("open_clip:ViT-B-32@{planted}/openclip/open_clip_model.safetensors", {}),
    ("zero-shot-classification-transformer-torch", {"name_or_path": "{planted}/hf"}),
    ("transformers:{planted}/hf", {}),
    ("demo-clip", {"name_or_path": "{planted}/hf"}),
    ("open-clip-torch", {"clip_model": "local-dir:../../{planted}/openclip", "pretrained": ""}),
])
def test_model_paths_outside_the_allowed_folders_are_403(shapes_dataset, client, model_zoo_dir, planted, model,
                                                         args):
    fill = lambda text: text.replace("{planted}", str(planted))  # noqa: E731
    response = _submit(client, fill(model), {k: fill(v) for k, v in args.items()})
    assert response.status_code == 403, response.text
    assert "bakeoff.config.app_model_dirs" in response.json()["detail"]
    assert not shapes_dataset.has_field("zs") and client.get("/api/jobs").json() == {"jobs": []}


def test_a_refusal_says_nothing_about_whether_the_path_exists(shapes_dataset, client, model_zoo_dir, planted):
    there = _submit(client, "transformers:" + str(planted / "hf")).json()["detail"]
    nothing = _submit(client, "transformers:" + str(planted / "no-such")).json()["detail"]
    assert there.replace(str(planted / "hf"), "X") == nothing.replace(str(planted / "no-such"), "X")


def test_a_symlink_in_the_zoo_folder_pointing_out_is_refused(shapes_dataset, client, model_zoo_dir, planted):
    os.symlink(planted / "hf", model_zoo_dir / "looks-local")
    assert _submit(client, "transformers:looks-local").status_code == 403
    assert _submit(client, "zero-shot-classification-transformer-torch",
                   {"name_or_path": str(model_zoo_dir / "looks-local")}).status_code == 403


def test_models_in_the_allowed_folders_run(shapes_dataset, client, model_zoo_dir, planted, monkeypatch):
    import shutil

    shutil.copytree(planted / "hf", model_zoo_dir / "mine" / "hf")
    response = _submit(client, "zero-shot-classification-transformer-torch", {"name_or_path": "mine/hf"})
    assert response.status_code == 202, response.text
    done = client.app.state.bakeoff.jobs.wait(response.json()["id"], 120)
    assert done.status == "completed", done.error
    assert shapes_dataset.count("zs") == len(shapes_dataset)
    monkeypatch.setattr(fo.config, "_app_model_dirs", [str(planted)])  # the user allows the folder
    assert _submit(client, "local-dir:" + str(planted / "openclip")).status_code == 202


def test_job_model_arguments_are_a_short_list(shapes_dataset, client):
    response = _submit(client, "demo-clip", {"cache": "/tmp/x"})
    assert response.status_code == 400 and "cache" in response.json()["detail"]


def test_resolve_model_request_keeps_names_and_tags_and_anchors_relative_paths(model_zoo_dir):
    assert resolve_model_request("demo-clip", {}) == ("demo-clip", {})
    assert resolve_model_request("open_clip:ViT-B-16@dfn2b", {}) == (
        "open-clip-torch", {"clip_model": "ViT-B-16", "pretrained": "dfn2b"})
    assert resolve_model_request("altclip", {"name_or_path": "BAAI/AltCLIP"})[1] == {"name_or_path": "BAAI/AltCLIP"}
    name, args = resolve_model_request("open-clip-torch", {"clip_model": "ViT-B-32", "pretrained": "w.safetensors"})
    assert args["pretrained"] == str(model_zoo_dir.resolve() / "w.safetensors")
    with pytest.raises(ModelAccessError) as error:
        resolve_model_request("open-clip-torch", {"clip_model": "ViT-B-32", "pretrained": "/etc/passwd"})
    assert isinstance(error.value, PermissionError) and error.value.http_status == 403


HOSTILE = [  # (builder, library, template kind, how the job ends)
    ("open_clip_remote_code_folder", "open_clip", "clipa", "completed"),
    ("open_clip_text_tower_folder", "open_clip", "clip", "failed"),
    ("open_clip_pickle_folder", "open_clip", "clip", "failed"),
    ("transformers_config_auto_map_folder", "transformers", "clip", "completed"),
    ("transformers_tokenizer_auto_map_folder", "transformers", "clip", "completed"),
    ("transformers_remote_code_flag_folder", "transformers", "clip", "completed"),
    ("transformers_pickle_folder", "transformers", "clip", "failed"),
]


@pytest.mark.parametrize(("builder", "library", "kind", "ending"), HOSTILE)
def test_a_hostile_folder_in_an_allowed_place_never_runs_its_payload_from_a_job(
        shapes_dataset, client, tmp_path, tiny_model_dir, monkeypatch, builder, library, kind, ending):
    import hostile_models

    shared = tmp_path / "shared-models"  # a folder the user allowed, which someone else could write to
    marker = tmp_path / "payload-ran"
    folder = getattr(hostile_models, builder)(shared / "evil", marker, tiny_model_dir(library, kind))
    monkeypatch.setattr(fo.config, "_app_model_dirs", [str(shared)])
    args = ({"clip_model": f"local-dir:{folder}", "pretrained": ""} if library == "open_clip"
            else {"name_or_path": str(folder)})
    model = "open-clip-torch" if library == "open_clip" else "zero-shot-classification-transformer-torch"
    response = _submit(client, model, args)
    assert response.status_code == 202, response.text
    done = client.app.state.bakeoff.jobs.wait(response.json()["id"], 120)
    assert not marker.exists(), "the planted code ran"
    assert done.status == ending, done.error
    if ending == "failed":
        assert done.error.split(":")[0] in ("UnsafeModelError", "ModelConfigError"), done.error
