"""Issue 16 as a user meets it on the command line: one-line errors in the CLI's words, failures by path,
English prompts recorded in the run info, the import check agreeing with apply, the zoo's offline column."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

import bakeoff as fo
from bakeoff.cli.main import cli
from bakeoff.cli.spelling import to_cli


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def one_line_error(result, code: int = 1) -> str:
    """The error line of a failed command: exit ``code``, one 'error: ...' line on stderr, no traceback."""
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


@pytest.fixture
def pets(image_tree):
    return fo.Dataset.from_dir(image_tree, name="pets", persistent=True)


@pytest.fixture
def tiny_args(tiny_model_dir):
    folder = tiny_model_dir("open_clip", "clip")
    return ["--model", "open-clip-torch", "--model-arg", f"clip_model=local-dir:{folder}", "--model-arg", "pretrained=",
            "--no-progress"]


# -- item 7: the CLI's spelling, one line ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("python", "cli_words"),
    [
        ("list_datasets() shows the 2 dataset(s) in x.db", "'bakeoff datasets list' shows the 2 dataset(s) in x.db"),
        ("load it with bakeoff.load_dataset('pets'), pick another name, or pass overwrite=True to replace it",
         "load it with 'bakeoff datasets info pets', pick another name, or pass --overwrite to replace it"),
        ("apply a model first or pass pred_fields=[...]", "apply a model first or pass --fields A,B"),
        ("method='binary' needs classes=(negative, positive), got None", "--method binary needs --classes NEG,POS, got None"),
        ("needs the class order of 'clip''s logits: pass classes=[...]", "needs the class order of 'clip''s logits: pass --classes A,B"),
        ("Apply the models again with store_logits=True (CLI: --store-logits; the App stores them)",
         "Apply the models again with store_logits=True (CLI: --store-logits; the App stores them)"),  # has both
        ("it stores no logits (apply the model with store_logits=True)", "it stores no logits (apply the model with --store-logits)"),
        ("pass quick_gelu=True or quick_gelu=False (or clip_model='ViT-B-32-quickgelu')",
         "pass --model-arg quick_gelu=True or --model-arg quick_gelu=False (or --model-arg clip_model='ViT-B-32-quickgelu')"),
        ("see list_zoo_models()", "see 'bakeoff zoo models'"),
        ("give them distinct prompts with class_prompts= or merge them",
         "give them distinct prompts with --model-arg class_prompts= or merge them"),
        ("no field 'x' of dataset 'pets'", "no field 'x' of dataset 'pets'"),  # nothing Python: unchanged
    ],
)
def test_python_spellings_become_the_cli_ones(python, cli_words):
    assert to_cli(python) == cli_words


def test_errors_speak_the_cli(pets, image_tree):
    assert "'bakeoff datasets list' shows" in one_line_error(invoke("datasets", "info", "pest"))
    again = one_line_error(invoke("datasets", "create", "pets", "--from-dir", image_tree))
    assert "--overwrite" in again and "overwrite=True" not in again and "'bakeoff datasets info pets'" in again
    nothing = one_line_error(invoke("compare", "pets"))
    assert "--fields A,B" in nothing and "pred_fields" not in nothing


def test_the_field_hint_lists_classification_fields_only(pets):
    pets.compute_metadata()
    line = one_line_error(invoke("evaluate", "pets", "clip"))
    assert "Classification fields: ['ground_truth']" in line and "metadata" not in line


@pytest.mark.parametrize(
    ("option", "value", "where"),
    [("--classes-file", "cat\n# a comment\ndog\ncat\n", "'cat' (lines 1, 4)"),
     ("--classes", "cat,dog,cat,dog", "'cat' (2 times); 'dog' (2 times)")],
)
def test_a_class_given_twice_is_a_one_line_usage_error(pets, tiny_args, tmp_path, option, value, where):
    if option == "--classes-file":
        (tmp_path / "classes.txt").write_text(value)
        value = tmp_path / "classes.txt"
    line = one_line_error(invoke("apply", "pets", *tiny_args, "--field", "p", option, value), code=2)
    assert f"a class is given more than once: {where}" in line


def test_compare_takes_fields_as_the_cli_does(pets):
    pets.set_values("copy", [None if v is None else fo.Classification(label=v) for v in pets.values("ground_truth.label")])
    assert fo.compare(pets, fields=["copy"]).models == ["copy"]
    assert fo.compare(pets, fields="copy").models == ["copy"]
    assert fo.compare(pets, pred_fields=["copy"]).models == ["copy"]
    with pytest.raises(ValueError, match="give one of them"):
        fo.compare(pets, pred_fields=["copy"], fields=["copy"])


# -- items 8 and 9: failures by path, English prompts in the run info -------------------------------------------


def test_apply_lists_failures_by_path_and_records_english_prompts(image_tree, tiny_args):
    (image_tree / "car_side").mkdir()
    for name in ("000.jpg", "001.jpg"):
        (image_tree / "car_side" / name).write_bytes((image_tree / "cat" / name).read_bytes())
    fo.Dataset.from_dir(image_tree, name="cal", persistent=True)
    result = invoke("apply", "cal", *tiny_args, "--field", "p", "--classes-from", "ground_truth")
    assert result.exit_code == 0, result.output
    broken = str(image_tree / "horse" / "broken.jpg")
    assert f"failed {broken}: " in result.stdout
    assert "prompts: 'A photo of car side', 'A photo of cat', 'A photo of dog', ..." in result.stdout
    config = fo.load_dataset("cal").get_model_run_info("p")["config"]
    assert config["prompts"][0] == ["A photo of car side"] and config["classes"][0] == "car_side"

    report = json.loads(invoke("apply", "cal", *tiny_args, "--field", "raw", "--classes-from", "ground_truth",
                               "--raw-class-names", "--json").stdout)
    assert list(report["failures"]) == [broken]
    assert report["prompts"]["car_side"] == ["A photo of car_side"]
    assert set(fo.load_dataset("cal").distinct("raw.label")) <= {"car_side", "cat", "dog", "horse"}  # labels as given

    # other prompts into a field holding this model's predictions: not without --overwrite
    line = one_line_error(invoke("apply", "cal", *tiny_args, "--field", "p", "--classes-from", "ground_truth",
                                 "--raw-class-names"), code=2)
    assert "with other prompts" in line and "--overwrite" in line


def test_import_and_apply_count_the_same_unreadable_images(image_tree, tiny_args, make_image):
    damaged = make_image(image_tree / "cat" / "damaged.png", size=(64, 64), fmt="PNG")
    data = bytearray(damaged.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 8] = bytes(8)  # damage inside: the file still ends with IEND
    damaged.write_bytes(bytes(data))
    (image_tree / "dog" / "truncated.jpg").write_bytes((image_tree / "dog" / "000.jpg").read_bytes()[:300])

    created = invoke("datasets", "create", "pets", "--from-dir", image_tree)
    assert created.exit_code == 0, created.output
    assert "Unreadable: 3 images" in created.stdout and "cat/damaged.png" in created.stdout
    assert "'bakeoff apply' decodes every pixel" in created.stdout
    report = json.loads(invoke("apply", "pets", *tiny_args, "--field", "p", "--classes-from", "ground_truth",
                               "--json").stdout)
    assert report["failed"] == 3 == len(fo.load_dataset("pets").exists("media_error"))


# -- item 12: which zoo models work offline ---------------------------------------------------------------


def test_zoo_models_says_which_work_offline():
    result = invoke("zoo", "models", "demo-*")
    assert result.exit_code == 0, result.output
    header, *rows = result.stdout.splitlines()
    assert header.split()[:3] == ["name", "library", "offline"]
    assert all(row.split()[2] == "yes" for row in rows) and len(rows) == 3
    listed = {row["name"]: row for row in json.loads(invoke("zoo", "models", "--json").stdout)}
    assert listed["demo-clip"]["offline"] is True and listed["demo-clip"]["library"] == "transformers"
    assert listed["demo-openclip"]["library"] == "open_clip"


# -- item 10 (part): commands import only what they need ------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "absent"),
    [(["datasets", "list"], ("torch", "transformers", "open_clip", "sklearn")),
     (["zoo", "models"], ("torch", "transformers", "open_clip")),
     (["apply", "pets", "--model", "demo-clip", "--field", "c", "--classes", "cat,dog"], ("open_clip",))],
)
def test_commands_import_only_the_libraries_they_need(pets, bakeoff_home, args, absent):
    code = ("import atexit, sys\n"
            f"atexit.register(lambda: print('IMPORTED', [m for m in {absent!r} if m in sys.modules]))\n"
            "from bakeoff.cli.main import main\n"
            f"sys.exit(main({args!r}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={"BAKEOFF_HOME": str(bakeoff_home), "BAKEOFF_SHOW_PROGRESS_BARS": "0",
                               "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr
    assert "IMPORTED []" in done.stdout
