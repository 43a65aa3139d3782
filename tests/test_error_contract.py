"""The error contract: every error a user can cause is a bakeoff class, importable from ``bakeoff.errors``.

A bakeoff class also subclasses the builtin a caller would catch (``ValueError``, ``TypeError``,
``KeyError``...) and knows its HTTP status; a builtin raised by bakeoff is a bug (the App answers
500). The scan below reads the source of :data:`SCANNED_PACKAGES` with ``ast`` and fails on any
``raise <builtin exception>`` that :data:`ALLOWED` does not list with its reason.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from pathlib import Path

import pytest

import bakeoff.errors
import bakeoff.models.errors
from bakeoff.errors import BakeoffError

PACKAGE = Path(bakeoff.errors.__file__).parent

#: the subpackages of bakeoff whose raises are checked; extend it as each package is converted
SCANNED_PACKAGES = ("inference", "models", "zoo", "cli", "evaluation", "demo")

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


def scanned_raises() -> list[tuple[str, str, int]]:
    """``(path::function, builtin, line)`` over the scanned packages."""
    out = []
    for package in SCANNED_PACKAGES:
        for path in sorted((PACKAGE / package).rglob("*.py")):
            relative = path.relative_to(PACKAGE).as_posix()
            out += [(f"{relative}::{where}", name, line) for where, name, line in builtin_raises(path.read_text())]
    return out


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
    ]


@pytest.mark.parametrize("call, cls, builtin, fragment", _user_mistakes())
def test_user_mistakes_raise_bakeoff_errors_that_are_also_the_builtin(call, cls, builtin, fragment):
    with pytest.raises(cls, match=fragment) as caught:
        call()
    assert isinstance(caught.value, BakeoffError) and isinstance(caught.value, builtin)
