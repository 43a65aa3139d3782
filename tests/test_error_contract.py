"""The error contract: every error a user can cause is a bakeoff class, importable from ``bakeoff.errors``.

A bakeoff class also subclasses the builtin a caller would catch (``ValueError``, ``TypeError``,
``KeyError``...) and knows its HTTP status; a builtin raised by bakeoff is a bug (the App answers
500). The scan below reads the source of every module under ``bakeoff/`` (a new subpackage
included) with ``ast`` and fails on any ``raise <builtin exception>`` that :data:`ALLOWED` does
not list with its reason.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import uuid
from pathlib import Path

import pytest

import bakeoff as fo
import bakeoff.errors
import bakeoff.models.errors
from bakeoff import ViewField as F
from bakeoff.errors import BakeoffError

PACKAGE = Path(bakeoff.errors.__file__).parent

#: ``"path/under/bakeoff.py::Qualified.function": builtin`` -> why it stays a builtin (no user can cause it)
ALLOWED: dict[tuple[str, str], str] = {
    ("models/base.py::ZeroShotModel.preprocess", "NotImplementedError"):
        "an adapter's hook: only a subclass that forgot to implement it can reach it",
    ("models/base.py::ZeroShotModel._image_features", "NotImplementedError"):
        "an adapter's hook: only a subclass that forgot to implement it can reach it",
    ("models/base.py::ZeroShotModel._text_features", "NotImplementedError"):
        "an adapter's hook: only a subclass that forgot to implement it can reach it",
    ("models/scoring.py::Scorer.score", "NotImplementedError"):
        "a scorer's hook: only a subclass that forgot to implement it can reach it",
    ("models/scoring.py::Scorer.describe", "NotImplementedError"):
        "a scorer's hook: only a subclass that forgot to implement it can reach it",
    ("core/stages.py::ViewStage.kwargs", "NotImplementedError"):
        "a view stage's hook: only a subclass that forgot to implement it can reach it",
    ("core/collection.py::SampleCollection._root", "NotImplementedError"):
        "the dataset or view behind a collection: Dataset and DatasetView implement it, nothing else is a collection",
    ("core/collection.py::SampleCollection.__getattr__", "AttributeError"):
        "Python's attribute protocol for dunder names (copy, pickle, numpy probe __array__ ...): hasattr() must "
        "see a plain AttributeError; a misspelt public name raises UnknownAttributeError",
    ("core/sample.py::Sample.__getattr__", "AttributeError"):
        "Python's attribute protocol for dunder names (copy, pickle ...): hasattr() must see a plain "
        "AttributeError; a missing field raises UnknownAttributeError through get_field",
    ("core/expressions.py::ViewExpression.__bool__", "TypeError"):
        "Python's truth protocol, as numpy's and polars': only Python code (`and`/`or`/`if` on an expression) "
        "reaches it; the App and the CLI build views from JSON and never call bool()",
    ("media/files.py::list_folder", "FileNotFoundError"):
        "fsspec's own error with the URL put in; the one caller (importing._scan_url_tree) turns it into "
        "DatasetImportError",
    ("core/metadata.py::_verify_png", "OSError"):
        "stands in for Pillow's decoder OSError on a damaged PNG (Pillow says SyntaxError), as ImageMetadata."
        "build_for lets Pillow's own OSErrors through; compute_metadata records it per sample or raises "
        "ImageDecodeError",
    ("storage/engine.py::json_date", "TypeError"):
        "json.dumps' default= hook: TypeError is how the hook says 'not serializable'",
    ("app/jobs.py::ClassesSpec._exactly_one", "ValueError"):
        "a pydantic validator: pydantic turns its ValueError into a ValidationError, which the App answers with 422",
}

BUILTIN_ERRORS = frozenset(name for name, value in vars(builtins).items()
                           if isinstance(value, type) and issubclass(value, BaseException))


def builtin_raises(source: str) -> list[tuple[str, str, int]]:
    """``(qualified function, builtin, line)`` of every ``raise Builtin`` / ``raise Builtin(...)`` in ``source``."""
    found: list[tuple[str, str, int]] = []

    def visit(node: ast.AST, scope: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                visit(child, (*scope, child.name))
                continue
            if isinstance(child, ast.Raise) and child.exc is not None:
                target = child.exc.func if isinstance(child.exc, ast.Call) else child.exc
                if isinstance(target, ast.Name) and target.id in BUILTIN_ERRORS:
                    found.append((".".join(scope) or "<module>", target.id, child.lineno))
            visit(child, scope)

    visit(ast.parse(source), ())
    return found


def scanned_files() -> list[Path]:
    """Every module of bakeoff: the top-level ones and each (sub)package's, however new."""
    return sorted(PACKAGE.rglob("*.py"))


def scanned_raises() -> list[tuple[str, str, int]]:
    """``(path::function, builtin, line)`` over every module of bakeoff."""
    out = []
    for path in scanned_files():
        relative = path.relative_to(PACKAGE).as_posix()
        out += [(f"{relative}::{where}", name, line) for where, name, line in builtin_raises(path.read_text())]
    return out


def test_the_scan_reads_every_module_of_bakeoff():
    scanned = {path.relative_to(PACKAGE).as_posix() for path in scanned_files()}
    assert {"__init__.py", "_config.py", "errors.py", "types.py"} <= scanned
    packages = {path.parent.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("__init__.py")} - {"."}
    assert {"app", "cli", "core", "demo", "evaluation", "inference", "models", "storage", "zoo"} <= packages
    for package in packages:  # a package added later (bakeoff/brain/, ...) is read from day one
        modules = {p.relative_to(PACKAGE).as_posix() for p in (PACKAGE / package).glob("*.py")}
        assert modules <= scanned, package


def test_the_scan_finds_builtin_raises_and_only_those():
    source = '''
class Model:
    def load(self, name):
        if not name:
            raise ValueError("no name")
        try:
            return open(name)
        except OSError as error:
            raise error
        raise KeyError
def parse(text):
    raise InvalidOptionError(text)
'''
    assert builtin_raises(source) == [("Model.load", "ValueError", 5), ("Model.load", "KeyError", 10)]


def test_no_user_caused_error_is_a_builtin():
    unlisted = [f"bakeoff/{where} (line {line}): raise {name}" for where, name, line in scanned_raises()
                if (where, name) not in ALLOWED]
    assert not unlisted, ("raise a bakeoff error class (bakeoff/errors.py; subclass the builtin a caller catches) "
                          "or, for an internal invariant, add it to ALLOWED with the reason:\n" + "\n".join(unlisted))


def test_every_allowed_raise_is_still_there():
    present = {(where, name) for where, name, _ in scanned_raises()}
    assert not set(ALLOWED) - present, f"stale ALLOWED entries: {sorted(set(ALLOWED) - present)}"
    assert all(reason.strip() for reason in ALLOWED.values())


def _error_classes(module) -> dict[str, type]:
    return {name: value for name, value in vars(module).items()
            if inspect.isclass(value) and issubclass(value, BakeoffError)}


def test_the_model_errors_are_the_ones_of_bakeoff_errors():
    models = _error_classes(bakeoff.models.errors)
    assert {"UnknownModelError", "ModelConfigError", "ModelNotAvailableOfflineError", "NoClassesError"} <= set(models)
    everywhere = _error_classes(bakeoff.errors)
    for name, cls in models.items():
        assert everywhere.get(name) is cls, f"bakeoff.models.errors.{name} is not bakeoff.errors.{name}"


@pytest.mark.parametrize("name, cls", sorted(_error_classes(bakeoff.errors).items()))
def test_each_error_class_knows_its_http_status_and_is_documented(name, cls):
    assert isinstance(cls.http_status, int) and 400 <= cls.http_status < 600
    assert cls.__module__ == "bakeoff.errors"
    assert name in bakeoff.errors.__doc__, f"{name} is missing from the tree in bakeoff/errors.py's docstring"
    if cls is not BakeoffError:
        assert cls.__doc__ and cls.__doc__ != BakeoffError.__doc__


def _user_mistakes():
    from bakeoff.cli.models import parse_model_arg
    from bakeoff.inference.options import RunOptions
    from bakeoff.models.base import resolve_precision
    from bakeoff.models.prompts import PromptSpec, ensemble
    from bakeoff.models.templates import as_templates, get_template_set

    return [
        (lambda: RunOptions.build(batch_size=0), bakeoff.errors.InvalidOptionError, ValueError, "batch_size=0"),
        (lambda: RunOptions.build(backend="spark"), bakeoff.errors.InvalidOptionError, ValueError, "'spark'"),
        (lambda: RunOptions.build(replicas=2), bakeoff.errors.UnknownOptionError, TypeError, "replicas"),
        (lambda: resolve_precision("cpu", "int4"), bakeoff.errors.InvalidOptionError, ValueError, "int4"),
        (lambda: PromptSpec.build(text_prompt=3), bakeoff.errors.PromptTypeError, TypeError, "text_prompt"),
        (lambda: PromptSpec.build(class_prompts={"cat": []}), bakeoff.errors.PromptError, ValueError, "cat"),
        (lambda: get_template_set("openai_imagent"), bakeoff.errors.PromptError, ValueError, "openai_imagenet"),
        (lambda: as_templates(["no braces"]), bakeoff.errors.PromptError, ValueError, "no braces"),
        (lambda: ensemble([[1.0, 0.0]], [2]), bakeoff.errors.PromptError, ValueError, "groups sum to 2"),
        (lambda: parse_model_arg("pretrained"), bakeoff.errors.InvalidOptionError, ValueError, "pretrained"),
        (lambda: fo.ImageMetadata(widht=640), bakeoff.errors.UnknownOptionError, TypeError, "widht"),
        (lambda: setattr(fo.Classification(label="cat"), "labl", "dog"), bakeoff.errors.UnknownAttributeError,
         AttributeError, "labl"),
        (lambda: fo.Classification(label="cat")["labl"], bakeoff.errors.UnknownFieldError, KeyError, "labl"),
        (lambda: setattr(F("label"), "op", "exists"), bakeoff.errors.UnknownAttributeError, AttributeError,
         "immutable"),
    ]


@pytest.mark.parametrize("call, cls, builtin, fragment", _user_mistakes())
def test_user_mistakes_raise_bakeoff_errors_that_are_also_the_builtin(call, cls, builtin, fragment):
    with pytest.raises(cls, match=fragment) as caught:
        call()
    assert isinstance(caught.value, BakeoffError) and isinstance(caught.value, builtin)


@pytest.fixture
def pets(tmp_path, make_image):
    """A dataset of one labelled image and one file that is no image, and the folder tree they are in."""
    folder = tmp_path / "pets"
    make_image(folder / "cat" / "1.jpg")
    (folder / "dog").mkdir()
    (folder / "dog" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a jpeg")
    dataset = fo.Dataset()
    dataset.add_samples([fo.Sample(str(folder / "cat" / "1.jpg"), ground_truth=fo.Classification(label="cat"),
                                   note="not indexed"),
                         fo.Sample(str(folder / "dog" / "broken.jpg"))])
    return dataset, folder


def _memory_folder_identity():
    import fsspec

    from bakeoff.media.files import media_identity

    root = f"/bakeoff-{uuid.uuid4().hex[:8]}"
    fs = fsspec.filesystem("memory")
    fs.pipe(f"{root}/cats/1.jpg", b"x")
    try:
        return media_identity(f"memory://{root}/cats")
    finally:
        fs.rm(root, recursive=True)


DATASET_MISTAKES = {
    "save_view without a name": (lambda d, _: d.save_view(" ", d.limit(1)), bakeoff.errors.InvalidOptionError,
                                 ValueError, "saved view name"),
    "drop_index of a path without one": (lambda d, _: d.drop_index("note"),
                                         bakeoff.errors.UnknownFieldError, KeyError, "no index on"),
    "distinct of a document": (lambda d, _: d.distinct("ground_truth"), bakeoff.errors.FieldTypeError, TypeError,
                               "ground_truth.label"),
    "an expression stored into a document": (
        lambda d, _: d._set_field_from_expression("ground_truth", F("filepath") == "x"),
        bakeoff.errors.FieldTypeError, TypeError, "from an expression"),
    "get_field of a missing field": (lambda d, _: d.first().get_field("nope"), bakeoff.errors.UnknownAttributeError,
                                     AttributeError, "no field 'nope'"),
    "sample[missing field]": (lambda d, _: d.first()["nope"], bakeoff.errors.UnknownFieldError, KeyError, "nope"),
    "from_dir with max_samples < 0": (
        lambda _, folder: fo.Dataset.from_dir(folder, max_samples=-1, compute_metadata=False),
        bakeoff.errors.InvalidOptionError, ValueError, "max_samples"),
    "compute_metadata of a broken image, failures not skipped": (
        lambda d, _: d.compute_metadata(skip_failures=False), bakeoff.errors.ImageDecodeError, OSError, "broken.jpg"),
    "the identity of a folder URL": (lambda _d, _f: _memory_folder_identity(), bakeoff.errors.ImageDecodeError,
                                     OSError, "a folder, not a file"),
}


@pytest.mark.parametrize("case", sorted(DATASET_MISTAKES))
def test_dataset_mistakes_raise_bakeoff_errors_that_are_also_the_builtin(pets, case):
    call, cls, builtin, fragment = DATASET_MISTAKES[case]
    dataset, folder = pets
    with pytest.raises(builtin, match=fragment) as caught:
        call(dataset, folder)
    assert isinstance(caught.value, cls) and isinstance(caught.value, BakeoffError)


def test_drop_index_of_a_path_without_one_is_also_fiftyones_value_error(pets):
    with pytest.raises(ValueError, match="no index on"):
        pets[0].drop_index("nope")


def test_a_bad_integer_setting_in_the_environment_is_an_invalid_option(monkeypatch):
    from bakeoff._config import Config

    monkeypatch.setenv("BAKEOFF_DEFAULT_BATCH_SIZE", "many")
    with pytest.raises(ValueError, match="BAKEOFF_DEFAULT_BATCH_SIZE='many'") as caught:
        Config()
    assert isinstance(caught.value, bakeoff.errors.InvalidOptionError)


def test_the_attribute_protocol_still_answers_hasattr(pets):
    """The dunder names stay plain AttributeErrors, and misspelt names are AttributeErrors too: hasattr() works."""
    dataset, _ = pets
    sample, label = dataset.first(), fo.Classification(label="cat")
    for thing in (dataset, dataset.limit(1), sample, label, F("label")):
        assert not hasattr(thing, "__array__") and not hasattr(thing, "no_such_name")
    assert hasattr(sample, "ground_truth") and hasattr(label, "confidence")
