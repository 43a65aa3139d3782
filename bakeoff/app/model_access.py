"""What a job started from the App may load: zoo names, Hub ids and folders the user allowed.

In Python and on the command line you name the files you load. In the App,
whoever can reach it names them, so a model argument that is a path must lie
(after resolving symlinks) under ``bakeoff.config.app_model_dirs`` (default:
the model zoo folder and the Hugging Face cache). The check looks at the text
of the request only and refuses before touching the file system, so a refusal
says nothing about which paths exist. Relative paths mean "in the model zoo
folder", never the App's working directory.

Example::

    >>> resolve_model_request("demo-clip", {})
    ('demo-clip', {})
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from bakeoff._config import config
from bakeoff.errors import ModelAccessError, brief
from bakeoff.models.errors import UnknownModelError
from bakeoff.models.zoo import parse_model_name

#: model arguments a job may set (the rest, such as ``cache``, are for Python)
JOB_MODEL_ARGS = ("clip_model", "pretrained", "quick_gelu", "name_or_path", "device", "precision",
                  "text_batch_size", "clean_class_names")
_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
_ARCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@+-]*(/[A-Za-z0-9_.@+-]+)?$")
_SCHEMAS = ("local-dir:", "hf-hub:")


def resolve_model_request(model: str, model_args: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(zoo entry name, loader arguments)`` for a job's model, with paths made absolute and checked.

    Raises :class:`~bakeoff.errors.ModelAccessError` (403) for a path outside
    the allowed folders, :class:`~bakeoff.models.errors.UnknownModelError` (400)
    for an unknown name or argument.
    """
    entry, from_name = parse_model_name(model)
    unknown = [k for k in model_args if k not in JOB_MODEL_ARGS]
    if unknown:
        raise UnknownModelError(f"the App's jobs do not take model argument(s) {unknown}; they take "
                                f"{list(JOB_MODEL_ARGS)} (load other models in Python)")
    requested = {**from_name, **model_args}
    checked = dict(requested)
    if "clip_model" in requested:
        checked["clip_model"] = _clip_model(requested["clip_model"])
    if requested.get("pretrained"):
        checked["pretrained"] = _pretrained(requested["pretrained"], checked.get("clip_model")
                                            or entry.defaults.get("clip_model"))
    if "name_or_path" in requested:
        checked["name_or_path"] = _name_or_path(requested["name_or_path"])
    return entry.name, checked


def _clip_model(value: Any) -> str:
    text = _text("clip_model", value)
    if text.startswith("local-dir:"):
        return "local-dir:" + str(_allowed_path("clip_model", text.removeprefix("local-dir:")))
    if text.startswith("hf-hub:"):
        if not _HUB_ID.match(text.removeprefix("hf-hub:")):
            raise UnknownModelError(f"clip_model={brief(text)} is not a Hugging Face id like 'hf-hub:org/name'")
        return text
    if not _ARCH.match(text) or ".." in text:
        raise UnknownModelError(f"clip_model={brief(text)} is not an open_clip architecture name such as 'ViT-B-16'")
    return text


def _pretrained(value: Any, clip_model: str | None) -> str:
    text = _text("pretrained", value)
    if clip_model and not clip_model.startswith(_SCHEMAS):
        import open_clip

        if text in open_clip.list_pretrained_tags_by_model(clip_model.replace("/", "-")):
            return text  # a weights tag, fetched from the Hub or the zoo folder
    return str(_allowed_path("pretrained", text))


def _name_or_path(value: Any) -> str:
    text = _text("name_or_path", value)
    if _HUB_ID.match(text) and ".." not in text:
        if Path(text).exists():  # the loader would take a folder of that name in the App's working directory
            raise ModelAccessError(f"name_or_path={brief(text)} is ambiguous here; give the Hub id's folder under "
                                   "the model zoo folder or an absolute path under bakeoff.config.app_model_dirs")
        return text
    return str(_allowed_path("name_or_path", text))


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value or "\x00" in value or len(value) > 4096:
        raise UnknownModelError(f"model argument {name}={brief(value)} must be a non-empty name or path")
    return value


def _allowed_path(name: str, text: str) -> Path:
    """``text`` as an absolute path inside an allowed folder (relative: inside the model zoo folder)."""
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = config.model_zoo_dir / path
    real = Path(os.path.realpath(path))
    for folder in config.app_model_dirs:
        root = Path(os.path.realpath(folder))
        if real == root or root in real.parents:
            return real
    raise ModelAccessError(
        f"the App loads models only from zoo names, Hugging Face Hub ids and folders under "
        f"bakeoff.config.app_model_dirs; {name}={brief(text)} is outside them. Copy the model into the model zoo "
        f"folder, set bakeoff.config.app_model_dirs (or BAKEOFF_APP_MODEL_DIRS) before launching the App, "
        f"or load it in Python"
    )
