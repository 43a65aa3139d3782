"""bakeoff's one policy on model files: nothing that comes with a model ever runs as code.

A model folder can be planted by someone else (another account on a shared
machine, a downloaded archive), so bakeoff treats every file in it as data:

- **Configs.** :func:`strip_remote_code` drops every ``trust_remote_code`` and
  ``auto_map`` key from a config dict bakeoff reads before anything is built
  from it (:func:`strip_remote_code_attributes` does the same to a loaded
  transformers config), and logs a warning naming the file.
- **Custom code.** Every ``from_pretrained`` call bakeoff makes passes
  ``trust_remote_code=False`` (:data:`NO_REMOTE_CODE`); transformers then uses
  its own class for the ``model_type`` or raises, which
  :func:`remote_code_error` turns into a :class:`ModelConfigError`.
  :func:`remote_code_prompts_refused` covers calls made inside open_clip, which
  pass no ``trust_remote_code`` at all.
- **Weights.** :func:`load_weights_file` reads safetensors, or a PyTorch pickle
  with ``torch.load(weights_only=True)`` and no retry without it;
  :func:`open_numpy_weights` checks that numpy refuses pickled arrays.
  A file that cannot be read that way raises :class:`UnsafeModelError`.
- **Arguments.** :func:`reject_remote_code_argument` refuses a
  ``trust_remote_code=`` keyword given to a loader.
"""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any, BinaryIO

from bakeoff.errors import UnsafeModelError, brief
from bakeoff.models.errors import ModelConfigError

logger = logging.getLogger(__name__)

#: config keys that make transformers import Python files shipped with a model
REMOTE_CODE_KEYS = ("trust_remote_code", "auto_map")

#: the keyword every transformers ``from_pretrained`` call of bakeoff gets (read-only: the policy is fixed)
NO_REMOTE_CODE = MappingProxyType({"trust_remote_code": False})

#: where a loaded transformers config keeps config.json's attn_implementation / experts_implementation
_KERNEL_ATTRIBUTES = ("_attn_implementation_internal", "_experts_implementation_internal")

#: the tokenizer and processor configs transformers reads from a model folder itself
SIDE_CONFIGS = ("tokenizer_config.json", "preprocessor_config.json", "processor_config.json")

_CONVERT = ("convert it to safetensors once (torch.load(..., weights_only=False), then "
            "safetensors.torch.save_file(state_dict, 'open_clip_model.safetensors'))")


def strip_remote_code(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """A copy of ``cfg`` without ``trust_remote_code`` / ``auto_map`` keys at any depth; warns naming ``where``.

    Example::

        >>> strip_remote_code({"text_cfg": {"tokenizer_kwargs": {"trust_remote_code": True}}}, "cfg.json")
        {'text_cfg': {'tokenizer_kwargs': {}}}
    """
    removed: list[str] = []
    clean: dict[str, Any] = _strip(cfg, "", removed)
    _warn(where, removed)
    return clean


def _strip(value: Any, path: str, removed: list[str]) -> Any:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            key_path = f"{path}.{key}" if path else str(key)
            if key in REMOTE_CODE_KEYS:
                removed.append(f"{key_path}={brief(item, 80)}")
            else:
                out[key] = _strip(item, key_path, removed)
        return out
    if isinstance(value, list):
        return [_strip(item, f"{path}[{i}]", removed) for i, item in enumerate(value)]
    return value


def strip_remote_code_attributes(config: Any, where: str) -> Any:
    """Delete ``auto_map`` / ``trust_remote_code`` attributes from a transformers config and its sub-configs.

    transformers keeps a config.json's ``auto_map`` on the loaded config; an
    ``AutoModel``/``AutoTokenizer`` given that config would look there for code.
    An ``attn_implementation`` naming a Hub repository (a compiled kernel the
    ``kernels`` package would download and load) is reset to the default too.
    Returns ``config`` (changed in place); warns naming ``where``.
    """
    removed: list[str] = []
    _strip_attributes(config, "", removed, depth=0)
    _warn(where, removed)
    return config


def _strip_attributes(config: Any, path: str, removed: list[str], depth: int) -> None:
    attributes = vars(config)
    for key in REMOTE_CODE_KEYS:
        if key in attributes:
            removed.append(f"{path}{key}={brief(attributes[key], 80)}")
            delattr(config, key)
    for key in _KERNEL_ATTRIBUTES:  # "org/repo": compiled code the `kernels` package fetches from the Hub
        value = attributes.get(key)
        if "/" in str(value):
            removed.append(f"{path}{key.strip('_').removesuffix('_internal')}={brief(value, 80)}")
            setattr(config, key, None)  # None: transformers picks its own implementation, as for any folder
    if depth < 4:  # sub-configs (text_config, vision_config) are themselves configs
        for name, value in list(vars(config).items()):
            if hasattr(value, "to_json_string") and hasattr(value, "model_type"):
                _strip_attributes(value, f"{path}{name}.", removed, depth + 1)


def warn_remote_code_files(folder: Path, names: Sequence[str] = SIDE_CONFIGS) -> None:
    """Warn about ``auto_map`` / ``trust_remote_code`` in config files that transformers reads itself.

    bakeoff cannot hand transformers a cleaned tokenizer or processor config;
    with ``trust_remote_code=False`` transformers ignores their ``auto_map``
    (using its own class) or raises. The warning says which file asked.
    """
    for name in names:
        path = Path(folder) / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # transformers reports a broken file itself
        if isinstance(data, dict):
            strip_remote_code(data, str(path))


def _warn(where: str, removed: list[str]) -> None:
    if removed:
        logger.warning("%s: ignored %s; bakeoff never runs code that comes with a model "
                       "(trust_remote_code is always False)", where, ", ".join(removed))


def remote_code_error(exc: BaseException, what: str, where: str) -> ModelConfigError | None:
    """A clear error when transformers refused to load ``what`` because it needs the folder's own code, else None.

    transformers raises a ValueError ("... contains custom code which must be
    executed ...") when ``trust_remote_code`` is False and it has no class of
    its own for the model or tokenizer type.
    """
    text = str(exc)
    if not isinstance(exc, ValueError) or ("custom code" not in text and "trust_remote_code" not in text):
        return None
    asked = _auto_maps(Path(where))
    why = "; ".join(asked) if asked else "a model, tokenizer or processor type that transformers does not know"
    return ModelConfigError(
        f"cannot load {what} from {where!r}: it needs Python code shipped with the model ({why}), and "
        "bakeoff never runs code that comes with a model (trust_remote_code is always False). Use a model "
        "whose types transformers supports; if the folder also names a built-in class, delete its 'auto_map' entries"
    )


def _auto_maps(folder: Path) -> list[str]:
    """``"config.json auto_map={...}"`` for each config file in ``folder`` that names code to import."""
    found = []
    for name in ("config.json", *SIDE_CONFIGS):
        try:
            data = json.loads((folder / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and data.get("auto_map"):
            found.append(f"{name} auto_map={brief(data['auto_map'], 100)}")
    return found


@contextmanager
def remote_code_prompts_refused() -> Iterator[None]:
    """While inside, transformers raises instead of asking "Do you wish to run the custom code? [y/N]".

    transformers asks on stdin when a caller passes ``trust_remote_code=None``
    for a model with custom code; open_clip's Hugging Face text tower
    (``hf_model_name``) calls ``AutoConfig``/``AutoModel`` that way, and an
    answer of "y" would run the folder's code. With the prompt's timeout at 0
    transformers raises at once. The setting is restored on the way out, so
    other code in the process keeps transformers' own behaviour (another thread
    loading a remote-code model at that very moment would get an error, not a prompt).
    """
    import transformers.dynamic_module_utils as dynamic

    before = dynamic.TIME_OUT_REMOTE_CODE
    dynamic.TIME_OUT_REMOTE_CODE = 0
    try:
        yield
    finally:
        dynamic.TIME_OUT_REMOTE_CODE = before


def reject_remote_code_argument(kwargs: dict[str, Any], loader: str) -> None:
    """Refuse ``trust_remote_code=`` among a loader's keyword arguments (any value: the policy is not optional)."""
    if "trust_remote_code" in kwargs:
        raise UnsafeModelError(
            f"{loader} does not take trust_remote_code={kwargs['trust_remote_code']!r}: bakeoff never runs "
            "code that comes with a model; drop the argument, and use a model transformers/open_clip "
            "can build with their own classes"
        )


def load_weights_file(path: Path) -> Any:
    """The object in a weights file: safetensors, or a pickle read with ``torch.load(weights_only=True)``.

    There is no retry without ``weights_only`` (open_clip 3.3.0 retries after a
    TypeError, which ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` turns into a full
    unpickle); a pickle that holds anything but tensors and plain containers
    raises :class:`UnsafeModelError`.
    """
    path = Path(path)
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except OSError:
            raise
        except Exception as exc:  # noqa: BLE001 - SafetensorError and friends: a damaged file
            raise ModelConfigError(f"cannot read the safetensors weights file {str(path)!r}: {exc}") from exc
    import torch

    try:
        # weights_only=True passed explicitly: TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD cannot override it
        return torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - UnpicklingError (a forbidden object), TypeError, TorchScript, ...
        raise unsafe_weights_error(repr(str(path)), exc) from exc


def unsafe_weights_error(files: str, exc: BaseException, fix: str = "") -> UnsafeModelError:
    """The error for weights ``files`` that ``torch.load(weights_only=True)`` refused with ``exc``."""
    return UnsafeModelError(
        f"refusing the weights {files}: torch.load(weights_only=True) cannot read them as plain tensors "
        f"({type(exc).__name__}: {_reason(exc)}), and bakeoff never unpickles anything else, "
        f"since unpickling can run any code. If you trust the file and where it came from, "
        f"{fix or _CONVERT}, and load that instead"
    )


def _reason(exc: BaseException) -> str:
    """The informative part of a torch.load error: the weights-only one opens with a long disclaimer and
    ends by suggesting to allow the forbidden global, which is not advice bakeoff repeats."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    line = next((line for line in lines if "WeightsUnpickler error" in line), lines[0] if lines else "")
    line = line.split(" Please use `torch.serialization")[0].removeprefix("WeightsUnpickler error: ")
    return line if len(line) <= 200 else line[:200] + "..."


def open_numpy_weights(path: Path) -> BinaryIO:
    """``path`` opened for open_clip's big_vision ``.npz`` loader, which calls ``np.load(file)``.

    ``np.load`` refuses pickled object arrays unless ``allow_pickle=True``; its
    default has been False since numpy 1.16.3, and this checks that rather than
    assumes it. A pickled array then fails with a ValueError naming
    ``allow_pickle``, which :func:`numpy_pickle_error` turns into an
    :class:`UnsafeModelError`.
    """
    import numpy as np

    if inspect.signature(np.load).parameters["allow_pickle"].default is not False:  # pragma: no cover - numpy < 1.16.3
        raise UnsafeModelError(f"this numpy loads pickled arrays by default; refusing {str(path)!r}: upgrade numpy")
    return open(path, "rb")


def numpy_pickle_error(exc: BaseException, path: Path) -> UnsafeModelError | None:
    """An :class:`UnsafeModelError` when numpy refused a pickled array in ``path``, else None."""
    if isinstance(exc, ValueError) and "allow_pickle" in str(exc):
        return UnsafeModelError(
            f"refusing to load the weights file {str(path)!r}: it holds pickled Python objects, and "
            "unpickling them can run any code; save the weights as plain numeric arrays (np.savez) or safetensors"
        )
    return None
