"""The ``bakeoff`` command line, through click's runner: every command, its --json output and its errors."""

from __future__ import annotations

import json
import os
import re

import pytest
from click.testing import CliRunner

import bakeoff as fo
from bakeoff.cli.main import cli, main
from bakeoff.cli.models import parse_model_arg


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def json_of(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def pets(image_tree):
    """A persistent dataset of 3 classes x 4 images plus one unreadable file."""
    return fo.Dataset.from_dir(image_tree, name="pets", persistent=True)


@pytest.fixture
def tiny_model_args(tiny_model_dir):
    """--model and --model-arg options for a tiny random-weight open_clip model in a local folder."""
    folder = tiny_model_dir("open_clip", "clip")
    return ["--model", "open-clip-torch", "--model-arg", f"clip_model=local-dir:{folder}", "--model-arg", "pretrained="]


@pytest.fixture
def applied(pets, tiny_model_args):
    """``pets`` with two prediction fields, 'a' and 'b' (different prompts, same tiny model)."""
    for field, extra in (("a", []), ("b", ["--templates", "simple"])):
        result = invoke("apply", "pets", *tiny_model_args, "--field", field, "--classes-from", "ground_truth",
                        "--store-logits", "--no-progress", *extra)
        assert result.exit_code == 0, result.output
    return pets


# -- datasets ---------------------------------------------------------------------------------


def test_datasets_create_list_info_delete(image_tree):
    result = invoke("datasets", "create", "pets", "--from-dir", image_tree, "--max-samples", 6, "--shuffle",
                    "--seed", 3)
    assert result.exit_code == 0, result.output
    assert "Num samples: 6" in result.stdout and "6 images" in result.stdout
    assert fo.load_dataset("pets").persistent  # the command's dataset outlives the command

    assert invoke("datasets", "list").stdout.split() == ["pets"]
    assert json_of(invoke("datasets", "list", "p*", "--json")) == ["pets"]
    assert json_of(invoke("datasets", "list", "x*", "--json")) == []

    text = invoke("datasets", "info", "pets").stdout
    assert "Num samples: 6" in text and "EmbeddedDocumentField(Classification)" in text
    info = json_of(invoke("datasets", "info", "pets", "--json"))
    assert info["num_samples"] == 6 and info["persistent"] is True
    assert {"field": "ground_truth", "type": "EmbeddedDocumentField(Classification)", "description": ""} \
        in info["fields"]
    assert info["model_runs"] == {} and info["evaluations"] == {}

    assert invoke("datasets", "delete", "pets", "--yes").stdout.strip() == "deleted pets"
    assert fo.list_datasets() == []


def test_datasets_create_temporary_and_overwrite(image_tree):
    assert invoke("datasets", "create", "pets", "--from-dir", image_tree).exit_code == 0
    again = invoke("datasets", "create", "pets", "--from-dir", image_tree)
    assert again.exit_code == 1 and "pets" in again.stderr
    result = invoke("datasets", "create", "pets", "--from-dir", image_tree, "--label-field", "truth",
                    "--overwrite", "--temporary")
    assert result.exit_code == 0, result.output
    assert "temporary" in result.stdout and "3 classes, 13 images, 1 unreadable" in result.stdout


def test_datasets_delete_asks_first(pets):
    refused = CliRunner().invoke(cli, ["datasets", "delete", "pets"], input="n\n")
    assert refused.exit_code == 1 and fo.dataset_exists("pets")
    confirmed = CliRunner().invoke(cli, ["datasets", "delete", "pets"], input="y\n")
    assert confirmed.exit_code == 0 and not fo.dataset_exists("pets")


# -- zoo --------------------------------------------------------------------------------------


def test_zoo_datasets_and_models_tables():
    import bakeoff.zoo as foz

    rows = json_of(invoke("zoo", "datasets", "--json"))
    assert [r["name"] for r in rows] == foz.list_zoo_datasets()
    assert all(r["local_copy"] is None for r in rows)  # a fresh home holds no copy
    text = invoke("zoo", "datasets").stdout
    assert all(name in text for name in foz.list_zoo_datasets())
    assert invoke("zoo", "list").stdout == text  # the argparse CLI's name, kept hidden

    models = json_of(invoke("zoo", "models", "--json"))
    assert [m["name"] for m in models] == foz.list_zoo_models()
    library = {m["name"]: m["library"] for m in models}
    assert library["demo-clip"] == "transformers" and library["demo-openclip"] == "open_clip"
    assert library["altclip"] == "transformers" and library["dfn-vit-b16-dfn2b"] == "open_clip"
    assert [m["name"] for m in json_of(invoke("zoo", "models", "demo-*", "--json"))] == \
        ["demo-clip", "demo-openclip", "demo-siglip"]
    assert "no zoo model matches" in invoke("zoo", "models", "nothing*").stdout


def test_zoo_load_from_a_local_folder(image_tree):
    result = invoke("zoo", "load", "caltech101", "--dataset-dir", image_tree, "--max-samples", 5, "--shuffle",
                    "--seed", 1)
    assert result.exit_code == 0, result.output
    dataset = fo.load_dataset("caltech101-5")
    assert dataset.persistent and len(dataset) == 5
    assert "Name:        caltech101-5" in result.stdout


# -- apply, evaluate, compare -----------------------------------------------------------------


def test_apply_writes_predictions_and_a_model_run(pets, tiny_model_args):
    result = invoke("apply", "pets", *tiny_model_args, "--field", "clip", "--classes", "cat, dog,horse",
                    "--prompt", "a picture of a", "--batch-size", 4, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "into field 'clip' (3 classes)" in result.stdout and "1 failed" in result.stdout
    assert set(pets.distinct("clip.label")) <= {"cat", "dog", "horse"} and pets.count("clip") == 12
    run = pets.get_model_run_info("clip")
    assert run["config"]["classes"] == ["cat", "dog", "horse"]
    assert run["config"]["prompts"][0] == ["a picture of a cat"]

    # run again with --json: resumes (nothing left to do) and prints JSON only
    report = json_of(invoke("apply", "pets", *tiny_model_args, "--field", "clip", "--classes", "cat,dog,horse",
                            "--prompt", "a picture of a", "--json"))
    assert report["num_samples"] == 13 and report["failed"] == 1 and len(report["failures"]) == 1
    assert report["model_args"]["pretrained"] == ""  # an empty value stays a string


def test_apply_classes_file_and_templates(pets, tiny_model_args, tmp_path):
    classes = tmp_path / "classes.txt"
    classes.write_text("# animals\ncat\n\ndog\n")
    result = invoke("apply", "pets", *tiny_model_args, "--field", "two", "--classes-file", classes,
                    "--templates", "a {} in the wild", "--no-progress")
    assert result.exit_code == 0, result.output
    assert set(pets.distinct("two.label")) <= {"cat", "dog"}
    assert pets.get_model_run_info("two")["config"]["prompts"][1] == ["a dog in the wild"]


@pytest.mark.filterwarnings("ignore:1 predictions have no logits")  # the unreadable image
def test_evaluate_prints_accuracy_and_stores_results(applied):
    result = invoke("evaluate", "pets", "a")
    assert result.exit_code == 0, result.output
    counts = applied.count_values("a_eval")
    accuracy = counts.get(True, 0) / len(applied)
    assert f"accuracy {accuracy * 100:.1f}%" in result.stdout
    assert "precision" in result.stdout and "recall" in result.stdout  # the per-class report

    data = json_of(invoke("evaluate", "pets", "b", "--eval-key", "b_top2", "--method", "top-k", "-k", 2, "--json"))
    assert data["eval_key"] == "b_top2" and "top_2_accuracy" in data["metrics"]
    assert data["counts"] == {str(k): v for k, v in applied.count_values("b_top2").items()}
    assert "cat" in data["report"]

    binary = json_of(invoke("evaluate", "pets", "a", "--method", "binary", "--classes", "dog,cat", "--json"))
    assert set(binary["counts"]) <= {"TP", "FP", "FN", "TN"}


def test_compare_table_json_and_report(applied, tmp_path):
    result = invoke("compare", "pets")
    assert result.exit_code == 0, result.output
    assert "a vs b" in result.stdout and "only one right" in result.stdout
    data = json_of(invoke("compare", "pets", "--fields", "b,a", "--report", tmp_path / "r.html", "--json"))
    assert data["models"] == ["b", "a"] and data["num_samples"] == 13
    expected = fo.compare(applied, pred_fields=["b", "a"])
    assert data["table"][0]["accuracy"] == pytest.approx(expected.table[0]["accuracy"])
    assert (tmp_path / "r.html").read_text().startswith("<!doctype html>")


def test_info_lists_model_runs_and_evaluations(applied):
    assert invoke("evaluate", "pets", "a").exit_code == 0
    info = json_of(invoke("datasets", "info", "pets", "--json"))
    assert set(info["model_runs"]) == {"a", "b"} and info["model_runs"]["a"]["failed"] == 1
    assert info["evaluations"]["a_eval"]["pred_field"] == "a"
    text = invoke("datasets", "info", "pets").stdout
    assert "Model runs:" in text and "a_eval" in text


# -- demo and app -----------------------------------------------------------------------------


class FakeSession:
    url = "http://127.0.0.1:5151/"

    def __init__(self, dataset, **kwargs):
        self.dataset, self.kwargs, self.calls = dataset, kwargs, []

    def wait(self):
        self.calls.append("wait")
        raise KeyboardInterrupt  # what Ctrl-C does to a waiting command

    def close(self):
        self.calls.append("close")


@pytest.fixture
def fake_app(monkeypatch):
    sessions: list[FakeSession] = []

    def launch_app(dataset_or_view=None, **kwargs):
        sessions.append(FakeSession(dataset_or_view, **kwargs))
        return sessions[-1]

    monkeypatch.setattr(fo, "launch_app", launch_app, raising=False)
    return sessions


@pytest.fixture
def small_demo(monkeypatch):
    """The demo on one image per class (64 images) instead of 20."""
    import dataclasses

    from bakeoff.demo.shapes import write_dataset
    from bakeoff.zoo import datasets as zoo_datasets

    small = dataclasses.replace(zoo_datasets.ZOO_DATASETS["demo-shapes"],
                                generate=lambda folder: write_dataset(folder, per_class=1, seed=0, size=64))
    monkeypatch.setitem(zoo_datasets.ZOO_DATASETS, "demo-shapes", small)


def test_demo_report_and_app(small_demo, fake_app, tmp_path):
    result = invoke("demo", "--report", tmp_path / "demo.html")
    assert result.exit_code == 0, result.output
    dataset = fo.load_dataset("demo-shapes")
    assert len(dataset) == 64 and "percent correct" in result.stdout
    assert "bakeoff app demo-shapes" in result.stdout and (tmp_path / "demo.html").is_file()
    assert fake_app == []

    again = invoke("demo", "--no-report", "--app")
    assert again.exit_code == 0, again.output
    assert "report:" not in again.stdout and f"App: {FakeSession.url}" in again.stdout
    assert fake_app[0].dataset.name == "demo-shapes" and fake_app[0].calls == ["wait", "close"]


def test_app_command_passes_its_options(pets, fake_app):
    result = invoke("app", "pets", "--port", 6000, "--address", "0.0.0.0", "--remote")
    assert result.exit_code == 0, result.output
    session = fake_app[0]
    assert session.dataset.name == "pets"
    assert session.kwargs == {"port": 6000, "address": "0.0.0.0", "remote": True, "auto": True}
    assert invoke("app", "--no-open").exit_code == 0 and fake_app[1].dataset is None
    assert fake_app[1].kwargs["auto"] is False


def test_app_without_its_dependencies_is_one_clear_error(pets, monkeypatch):
    def launch_app(*args, **kwargs):
        raise ImportError("No module named 'fastapi'")

    monkeypatch.setattr(fo, "launch_app", launch_app, raising=False)
    result = invoke("app", "pets")
    assert result.exit_code == 1
    assert result.stderr == "error: the App cannot start: No module named 'fastapi'; pip install fastapi uvicorn\n"


# -- errors -----------------------------------------------------------------------------------

MODEL = ["--model", "demo-clip", "--field", "x"]

ERRORS = [
    (["datasets", "info", "pest"], 1, "no dataset named 'pest'. Did you mean 'pets'?"),
    (["datasets", "delete", "pest", "--yes"], 1, "Did you mean 'pets'?"),
    (["datasets", "create", "new", "--from-dir", "/no/such/folder"], 1, "is not a folder"),
    (["apply", "pest", *MODEL, "--classes", "a"], 1, "Did you mean 'pets'?"),
    (["apply", "pets", "--model", "demo-clipp", "--field", "x", "--classes", "a"], 1, "no zoo model named 'demo-clipp'"),
    (["apply", "pets", *MODEL], 2, "give exactly one of --classes-from, --classes, --classes-file (got none)"),
    (["apply", "pets", *MODEL, "--classes", "a", "--classes-from", "ground_truth"], 2, "--classes-from and --classes"),
    (["apply", "pets", *MODEL, "--classes", " , "], 2, "--classes"),
    (["apply", "pets", *MODEL, "--classes-from", "ground_truht"], 2, "Did you mean 'ground_truth'?"),
    (["apply", "pets", *MODEL, "--classes-file", "/no/such/file"], 2, "--classes-file"),
    (["apply", "pets", *MODEL, "--classes", "a", "--model-arg", "pretrained"], 2, "--model-arg"),
    (["apply", "pets", *MODEL, "--classes", "a", "--model-arg", "2x=1"], 2, "key=value"),
    (["apply", "pets", *MODEL, "--classes", "a", "--model-arg", "no_such_arg=1"], 1, "does not take argument"),
    (["apply", "pets", *MODEL, "--classes", "a", "--templates", "simpel"], 2, "unknown template set 'simpel'"),
    (["apply", "pets", "--field", "x", "--classes", "a"], 2, "Missing option '--model'. (see 'bakeoff apply --help')"),
    (["evaluate", "pets", "nope"], 1, "no prediction field 'nope'"),
    (["evaluate", "pets", "ground_truth", "--method", "binary"], 2, "NEG,POS"),
    (["evaluate", "pets", "ground_truth", "--method", "top-k", "--eval-key", "top"], 1, "class order"),
    (["compare", "pets"], 1, "nothing to compare"),
    (["zoo", "load", "caltech102"], 1, "Did you mean 'caltech101'"),
    (["no-such-command"], 2, "No such command"),
]


@pytest.mark.parametrize(("args", "code", "message"), ERRORS, ids=[" ".join(e[0][:3]) for e in ERRORS])
def test_user_errors_are_one_line_without_traceback(pets, tmp_path, args, code, message):
    result = invoke(*args)
    assert result.exit_code == code, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.output


def test_empty_classes_file_names_the_option(pets, tmp_path):
    empty = tmp_path / "classes.txt"
    empty.write_text("# nothing here\n\n")
    result = invoke("apply", "pets", *MODEL, "--classes-file", empty)
    assert result.exit_code == 2 and "--classes-file" in result.stderr and "no class names" in result.stderr


def test_debug_reraises_bakeoff_errors():
    result = invoke("--debug", "datasets", "info", "nope")
    assert isinstance(result.exception, fo.DatasetNotFoundError)


def test_ctrl_c_is_reported_as_interrupted(monkeypatch):
    def interrupted(name):
        raise KeyboardInterrupt

    monkeypatch.setattr(fo, "load_dataset", interrupted)
    result = invoke("datasets", "info", "pets")
    assert result.exit_code == 130 and result.stderr.strip() == "error: interrupted"


def test_main_returns_exit_codes(capsys):
    assert main(["datasets", "list"]) == 0
    assert main(["datasets", "info", "nope"]) == 1
    assert main(["--help"]) == 0
    assert capsys.readouterr().err.startswith("error: no dataset named 'nope'")


@pytest.mark.parametrize("command", ["datasets list", "datasets info", "datasets create", "datasets delete",
                                     "zoo datasets", "zoo models", "zoo load", "apply", "evaluate", "compare",
                                     "demo", "app"])
def test_every_command_has_help_with_an_example(command):
    result = invoke(*command.split(), "--help")
    assert result.exit_code == 0 and "Example:" in result.stdout and f"bakeoff {command.split()[0]}" in result.stdout


@pytest.mark.parametrize(("text", "expected"), [
    ("pretrained=", ("pretrained", "")),
    ("pretrained=openai", ("pretrained", "openai")),
    ("quick_gelu=True", ("quick_gelu", True)),
    ("quick_gelu=false", ("quick_gelu", False)),
    ("device=None", ("device", None)),
    ("text_batch_size=64", ("text_batch_size", 64)),
    ("scale=-1.5e-2", ("scale", -0.015)),
    ("pretrained='2'", ("pretrained", "2")),
    ('preprocess_cfg={"size": 224}', ("preprocess_cfg", {"size": 224})),
    ("clip_model=local-dir:/a=b", ("clip_model", "local-dir:/a=b")),
    ("name_or_path=1e", ("name_or_path", "1e")),
])
def test_model_arg_values(text, expected):
    assert parse_model_arg(text) == expected


@pytest.mark.parametrize("text", ["pretrained", "=x", "a b=1", "cfg={bad json"])
def test_model_arg_syntax_errors(text):
    with pytest.raises(ValueError):
        parse_model_arg(text)


@pytest.mark.timeout(10)
def test_datasets_create_says_what_it_skipped_and_what_is_unreadable(image_tree):
    os.mkfifo(image_tree / "cat" / "pipe.jpg")
    os.symlink(image_tree / "cat" / "gone.jpg", image_tree / "cat" / "dangling.jpg")
    (image_tree / "dog" / "album.jpg").mkdir()
    (image_tree / "dog" / "album.jpg" / "x.jpg").write_bytes(b"")
    (image_tree / "dog" / "text.jpg").write_text("not a jpeg")
    result = invoke("datasets", "create", "pets", "--from-dir", image_tree)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "3 classes, 16 images, 4 unreadable" in out
    assert "Skipped 2 entries of the class folders (not samples):" in out
    assert re.search(r"folder named like an image\s+1\n", out) and re.search(r"not an image file name\s+1\n", out)
    assert "Unreadable: 4 images" in out
    assert "cat/pipe.jpg: ImageDecodeError: not a regular file (named pipe)" in out
    assert "cat/dangling.jpg: ImageDecodeError: dangling symlink" in out
    assert "horse/broken.jpg: " in out
    assert "dog/text.jpg: UnidentifiedImageError: cannot identify image file\n" in out  # the path once, not twice


def test_apply_never_overwrites_ground_truth_or_other_data_without_asking(pets, tiny_model_args):
    truth = pets.values("ground_truth.label")
    args = [*tiny_model_args, "--classes", "cat,dog,horse", "--no-progress"]
    result = invoke("apply", "pets", *args, "--field", "ground_truth")
    assert result.exit_code == 2 and "--overwrite" in result.output and "Traceback" not in result.output
    assert pets.values("ground_truth.label") == truth
    assert invoke("apply", "pets", *args, "--field", "p").exit_code == 0
    pets.evaluate_classifications("p", gt_field="ground_truth", eval_key="p_eval")
    result = invoke("apply", "pets", *args, "--field", "ground_truth", "--overwrite")
    assert result.exit_code == 2 and "ground truth of evaluation(s) ['p_eval']" in result.output
    assert pets.values("ground_truth.label") == truth
    # the same model and classes again: fine (resume / nothing to do); other classes need --overwrite
    assert invoke("apply", "pets", *args, "--field", "p").exit_code == 0
    other = [*tiny_model_args, "--classes", "cat,dog", "--no-progress", "--field", "p"]
    assert invoke("apply", "pets", *other).exit_code == 2
    assert invoke("apply", "pets", *other, "--overwrite").exit_code == 0
    assert set(pets.distinct("p.label")) <= {"cat", "dog"}
