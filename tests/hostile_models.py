"""Hostile model folders for the security tests: each plants a payload that creates ``marker`` if it ever runs.

An attacker with another account on a shared machine can leave a model folder in ``/tmp`` and get a
user to load it. Every builder here copies a legitimate ``template`` folder (a tiny model from
``tests/tiny_models.py``) to ``folder`` and adds one attack; the payload's only effect is to create
``marker``, so a test proves nothing ran by checking ``not marker.exists()``.

Payloads:

- :func:`plant_module`: a ``.py`` file that creates the marker when imported (what ``auto_map`` or
  ``trust_remote_code`` would import);
- :func:`write_pickle_weights`: a ``torch.save`` archive whose pickle calls ``exec`` on load
  (``fmt="raw"``: a bare pickle, no zip);
- :func:`write_pickled_npz`: a numpy ``.npz`` holding a pickled object array that calls ``exec``;
- :func:`write_fallback_pickle`: a pickle that the ``weights_only`` unpickler rejects with a
  ``TypeError`` (not an ``UnpicklingError``) and that runs ``exec`` under plain pickle. open_clip 3.3.0
  retries a failed ``torch.load`` without ``weights_only``, which ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``
  turns into a full unpickle.

Folders (all ``(folder, marker, template) -> folder``):

- open_clip: :func:`open_clip_remote_code_folder`, :func:`open_clip_text_tower_folder`,
  :func:`open_clip_pickle_folder`;
- transformers: :func:`transformers_config_auto_map_folder`,
  :func:`transformers_tokenizer_auto_map_folder`, :func:`transformers_processor_auto_map_folder`,
  :func:`transformers_remote_code_flag_folder`, :func:`transformers_pickle_folder`.
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path


def _code(marker: Path) -> str:
    return f"open({str(marker)!r}, 'w').close()"


def plant_module(folder: Path, name: str, marker: Path, body: str = "") -> Path:
    """``folder/name.py``: creates ``marker`` when imported; ``body`` adds class definitions."""
    path = folder / f"{name}.py"
    path.write_text(f"{_code(marker)}\n{body}\n")
    return path


class _Exec:
    """Pickles as ``exec(code)``: what a hostile ``pytorch_model.bin`` does on ``torch.load``."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):
        return exec, (self.code,)


def write_pickle_weights(path: Path, marker: Path, fmt: str = "zip") -> Path:
    """A weights file whose unpickling creates ``marker``: a ``torch.save`` archive, or ``fmt="raw"`` pickle."""
    import pickle

    import torch

    payload = {"weight": _Exec(_code(marker))}
    if fmt == "raw":
        path.write_bytes(pickle.dumps(payload, protocol=2))
    else:
        torch.save(payload, path)
    return path


def write_pickled_npz(path: Path, marker: Path, key: str = "img/embedding/kernel") -> Path:
    """An ``.npz`` whose array ``key`` is a pickled object array that creates ``marker`` when unpickled.

    ``img/embedding/kernel`` is the first array open_clip's big_vision (SigLIP) loader reads.
    """
    import numpy as np

    array = np.empty(1, dtype=object)
    array[0] = _Exec(_code(marker))
    np.savez(path, **{key: array})
    return path


def write_fallback_pickle(path: Path, marker: Path) -> Path:
    """A ``torch.save`` archive that fails ``weights_only`` with a TypeError and runs ``exec`` without it.

    The pickle builds an empty ``torch.Tensor`` and sets its state to ``(False, None, None)``: the
    weights-only unpickler calls ``tensor.set_(False, None, None)`` (a TypeError), plain pickle calls
    ``Tensor.__setstate__``, which accepts it, and goes on to the ``exec``.
    """
    import torch

    code = _code(marker).encode()
    data = (b"\x80\x02ctorch\nTensor\n)\x81\x89NN\x87b0"       # Tensor.__new__(Tensor); BUILD (False, None, None); POP
            b"cbuiltins\nexec\nX" + len(code).to_bytes(4, "little") + code + b"\x85R.")  # exec(code)
    template = path.with_name(path.name + ".template")
    torch.save({"weight": torch.zeros(1)}, template)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as dst:
        for name in src.namelist():
            dst.writestr(name, data if name.endswith("/data.pkl") else src.read(name))
    template.unlink()
    return path


def _copy(template: Path, folder: Path) -> Path:
    shutil.copytree(template, folder, dirs_exist_ok=True)
    return folder


def _edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text()) if path.is_file() else {}
    change(data)
    path.write_text(json.dumps(data, indent=1))


# ---- open_clip ---------------------------------------------------------------------------------

def open_clip_remote_code_folder(folder: Path, marker: Path, template: Path, builtin_class: bool = True) -> Path:
    """``text_cfg.tokenizer_kwargs.trust_remote_code: true`` plus a tokenizer_config.json ``auto_map``
    naming a planted ``tokenization_evil.py``. ``template``: an open_clip folder with an HF tokenizer.

    ``builtin_class=True`` keeps the template's ``tokenizer_class`` (a class transformers has);
    ``False`` removes it, so only the planted code could build the tokenizer.
    """
    _copy(template, folder)

    def config(cfg: dict) -> None:
        text = cfg["model_cfg"]["text_cfg"]
        text.setdefault("hf_tokenizer_name", "local-dir")
        text.setdefault("tokenizer_kwargs", {})["trust_remote_code"] = True

    def tokenizer_config(cfg: dict) -> None:
        cfg.update(auto_map={"AutoTokenizer": [None, "tokenization_evil.EvilTokenizer"]}, trust_remote_code=True)
        if not builtin_class:
            cfg.pop("tokenizer_class", None)

    _edit_json(folder / "open_clip_config.json", config)
    _edit_json(folder / "tokenizer_config.json", tokenizer_config)
    plant_module(folder, "tokenization_evil", marker,
                 "from transformers import PreTrainedTokenizerFast\n"
                 "class EvilTokenizer(PreTrainedTokenizerFast):\n    pass\n")
    return folder


def open_clip_text_tower_folder(folder: Path, marker: Path, template: Path) -> Path:
    """``text_cfg.hf_model_name`` pointing at ``folder/text``, a transformers folder of an unknown
    ``model_type`` whose config.json ``auto_map`` names a planted ``configuration_evil.py``."""
    _copy(template, folder)
    text = folder / "text"
    text.mkdir()
    plant_module(text, "configuration_evil", marker,
                 "from transformers import PretrainedConfig\n"
                 "class EvilConfig(PretrainedConfig):\n    model_type = 'evil'\n")
    plant_module(text, "modeling_evil", marker)
    (text / "config.json").write_text(json.dumps({
        "model_type": "evil", "hidden_size": 32,
        "auto_map": {"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "modeling_evil.EvilModel"}}))

    def config(cfg: dict) -> None:
        cfg["model_cfg"]["text_cfg"] = {"hf_model_name": str(text), "hf_tokenizer_name": str(text),
                                        "hf_proj_type": "linear", "hf_pooler_type": "mean_pooler",
                                        "context_length": 16}

    _edit_json(folder / "open_clip_config.json", config)
    return folder


def open_clip_pickle_folder(folder: Path, marker: Path, template: Path, fallback: bool = False) -> Path:
    """The template's config with ``open_clip_pytorch_model.bin`` (a pickle that runs code) as its only weights.

    ``fallback=True`` writes :func:`write_fallback_pickle`'s archive instead.
    """
    _copy(template, folder)
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    (write_fallback_pickle if fallback else write_pickle_weights)(folder / "open_clip_pytorch_model.bin", marker)
    return folder


# ---- transformers ------------------------------------------------------------------------------

def transformers_config_auto_map_folder(folder: Path, marker: Path, template: Path, known_type: bool = True) -> Path:
    """config.json ``auto_map`` naming planted ``configuration_evil.py`` / ``modeling_evil.py``.

    ``known_type=True`` keeps the template's ``model_type`` (transformers has a class of its own for
    it); ``False`` makes it ``"evil"``, which only the planted code could load.
    """
    _copy(template, folder)
    plant_module(folder, "configuration_evil", marker)
    plant_module(folder, "modeling_evil", marker)

    def config(cfg: dict) -> None:
        cfg["auto_map"] = {"AutoConfig": "configuration_evil.EvilConfig", "AutoModel": "modeling_evil.EvilModel"}
        if not known_type:
            cfg["model_type"] = "evil"

    _edit_json(folder / "config.json", config)
    return folder


def transformers_tokenizer_auto_map_folder(folder: Path, marker: Path, template: Path) -> Path:
    """tokenizer_config.json ``auto_map`` naming a planted ``tokenization_evil.py`` (and no ``tokenizer_class``)."""
    _copy(template, folder)
    plant_module(folder, "tokenization_evil", marker)

    def config(cfg: dict) -> None:
        cfg.pop("tokenizer_class", None)
        cfg["auto_map"] = {"AutoTokenizer": ["tokenization_evil.EvilTokenizer", "tokenization_evil.EvilTokenizerFast"]}

    _edit_json(folder / "tokenizer_config.json", config)
    return folder


def transformers_processor_auto_map_folder(folder: Path, marker: Path, template: Path) -> Path:
    """preprocessor_config.json ``auto_map`` naming a planted ``image_processing_evil.py`` of an unknown type."""
    _copy(template, folder)
    plant_module(folder, "image_processing_evil", marker)

    def config(cfg: dict) -> None:
        cfg["image_processor_type"] = "EvilImageProcessor"
        cfg["auto_map"] = {"AutoImageProcessor": "image_processing_evil.EvilImageProcessor"}

    _edit_json(folder / "preprocessor_config.json", config)
    return folder


def transformers_remote_code_flag_folder(folder: Path, marker: Path, template: Path) -> Path:
    """``"trust_remote_code": true`` in config.json and tokenizer_config.json, plus an ``auto_map`` in each
    naming planted modules: a folder that asks to be trusted."""
    transformers_config_auto_map_folder(folder, marker, template, known_type=True)
    plant_module(folder, "tokenization_evil", marker)
    _edit_json(folder / "config.json", lambda c: c.update(trust_remote_code=True))
    _edit_json(folder / "tokenizer_config.json", lambda c: c.update(
        trust_remote_code=True, auto_map={"AutoTokenizer": [None, "tokenization_evil.EvilTokenizerFast"]}))
    return folder


def transformers_pickle_folder(folder: Path, marker: Path, template: Path, fallback: bool = False) -> Path:
    """The template with ``pytorch_model.bin`` (a pickle that runs code) instead of ``model.safetensors``."""
    _copy(template, folder)
    for weights in folder.glob("*.safetensors"):
        weights.unlink()
    (write_fallback_pickle if fallback else write_pickle_weights)(folder / "pytorch_model.bin", marker)
    return folder
