"""Hugging Face transformers models (CLIP, AltCLIP, ALIGN, SigLIP, SigLIP2, ...) as :class:`ZeroShotModel` s.

``name_or_path`` is a Hub id (``"BAAI/AltCLIP"``) or a local folder made by
``save_pretrained``. Any model whose class has ``get_image_features`` and
``get_text_features`` works; the scorer follows ``config.model_type``:

- ``align``: ``softmax(cos / temperature)``;
- ``siglip``, ``siglip2``: ``sigmoid(exp(logit_scale) * cos + logit_bias)``, text
  padded to 64 tokens with no attention mask, as the models were trained;
- everything else (``clip``, ``altclip``, ...): ``softmax(exp(logit_scale) * cos)``.

transformers 5 returns output objects from ``get_*_features`` (4.x returned
tensors); :func:`_features` accepts both.

Nothing in the folder runs as code (see :mod:`bakeoff.models.safety`): every
``from_pretrained`` gets ``trust_remote_code=False``, the config is loaded once,
cleaned of ``auto_map`` and handed to the other loaders, and pickle weights
(``pytorch_model.bin``) are read by transformers with ``weights_only=True``.
"""

from __future__ import annotations

import logging
import pickle
from pathlib import Path
from typing import Any

import torch

from bakeoff.errors import UnsafeModelError
from bakeoff.models.base import ZeroShotModel, resolve_device, resolve_precision
from bakeoff.models.errors import ModelConfigError, ModelNotFoundError, tokenizer_dependency_error
from bakeoff.models.library_output import token_id_warnings
from bakeoff.models.offline import file_identity, find_hub_folder, require_network
from bakeoff.models.safety import (
    NO_REMOTE_CODE,
    reject_remote_code_argument,
    remote_code_error,
    strip_remote_code_attributes,
    unsafe_weights_error,
    warn_remote_code_files,
)
from bakeoff.models.scoring import (
    Scorer,
    SigmoidScorer,
    SoftmaxScorer,
    TemperatureScorer,
)

logger = logging.getLogger(__name__)

SIGLIP_TYPES = ("siglip", "siglip2")
SIGLIP_TEXT_LENGTH = 64
_PICKLE_WEIGHTS = ("*.bin", "*.pt", "*.pth", "*.ckpt")
_TORCH_LOAD_FILES = (("torch", "serialization.py"), ("torch", "_weights_only_unpickler.py"))


def _features(output: Any) -> torch.Tensor:
    """The projected embeddings from a ``get_*_features`` result (tensor in 4.x, output object in 5.x)."""
    if isinstance(output, torch.Tensor):
        return output
    pooled = getattr(output, "pooler_output", None)
    if not isinstance(pooled, torch.Tensor):
        raise ModelConfigError(
            f"get_*_features returned {type(output).__name__} without pooler_output; "
            "this model is not a dual-encoder bakeoff can score"
        )
    return pooled


def resolve_path(name_or_path: str | Path) -> tuple[str, str]:
    """``(where to load from, identity)`` for a Hub id or local folder; offline-aware.

    Example::

        >>> resolve_path("/models/my-clip")      # doctest: +SKIP
        ('/models/my-clip', 'my-clip-3f2a...')
    """
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelConfigError(
                f"name_or_path={str(name_or_path)!r} is a folder without config.json; "
                "save the model there with model.save_pretrained(folder) and processor.save_pretrained(folder)"
            )
        return str(path), f"{path.name}-{file_identity(path)}"
    repo_id = str(name_or_path)
    if repo_id.startswith((".", "/", "~")) or repo_id.count("/") > 1:
        raise ModelNotFoundError(f"name_or_path={repo_id!r}: no such folder (and it is not a Hub id 'org/name'); "
                                 "give an existing folder or a Hub id such as 'openai/clip-vit-base-patch32'")
    folder = find_hub_folder(repo_id, "config.json")
    if folder is not None:
        # a Hub cache snapshot folder is named by its commit: part of the weights identity
        return str(folder), f"{repo_id}@{folder.name}" if len(folder.name) == 40 else f"{repo_id}-{file_identity(folder)}"
    require_network(f"zero-shot-classification-transformer-torch {repo_id!r}", repo_id,
                    "config.json, weights, tokenizer and preprocessor files")
    return repo_id, repo_id


def _scorer(model: Any) -> Scorer:
    model_type = model.config.model_type
    if model_type == "align":
        return TemperatureScorer(temperature=float(model.temperature.detach().float()))
    scale = getattr(model, "logit_scale", None)
    if scale is None:
        raise ModelConfigError(f"{type(model).__name__} has no logit_scale; bakeoff cannot turn its similarities into logits")
    scale = float(scale.detach().float().exp().reshape(-1)[0])
    if model_type in SIGLIP_TYPES:
        return SigmoidScorer(logit_scale=scale, logit_bias=float(model.logit_bias.detach().float().reshape(-1)[0]))
    return SoftmaxScorer(logit_scale=scale)


class TransformersZeroShotModel(ZeroShotModel):
    """A transformers dual encoder; build it with :func:`load_transformers_model` (or the zoo)."""

    library = "transformers"
    #: CLIPModel, SiglipModel, AlignModel...: they share get_image_features/get_text_features but no typed base
    model: Any

    def __init__(self, model: Any, image_processor: Any, tokenizer: Any, identity: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model.eval()
        self.image_processor = image_processor
        self.tokenizer = tokenizer
        self.model_type = model.config.model_type
        self.identity = f"{self.model_type}:{identity}"
        self.scorer = _scorer(model)
        text_cfg = getattr(model.config, "text_config", model.config)
        limit = getattr(text_cfg, "max_position_embeddings", None) or 512
        if self.model_type in SIGLIP_TYPES:
            self._text_kwargs = {"padding": "max_length", "max_length": min(SIGLIP_TEXT_LENGTH, limit)}
        else:
            self._text_kwargs = {"padding": True, "max_length": min(limit, tokenizer.model_max_length)}

    def preprocess(self, image: Any) -> torch.Tensor | dict[str, torch.Tensor]:
        out = self.image_processor(images=image, return_tensors="pt")
        if set(out.keys()) == {"pixel_values"}:
            pixels: torch.Tensor = out["pixel_values"][0]
            return pixels
        return {k: v[0] for k, v in out.items()}  # e.g. SigLIP2 NaFlex: pixel_attention_mask, spatial_shapes

    def _image_features(self, pixels: Any) -> torch.Tensor:
        if isinstance(pixels, dict):
            return _features(self.model.get_image_features(**pixels))
        return _features(self.model.get_image_features(pixel_values=pixels))

    def _text_features(self, prompts: list[str]) -> torch.Tensor:
        inputs = self.tokenizer(prompts, truncation=True, return_tensors="pt", **self._text_kwargs)
        kwargs = {"input_ids": inputs["input_ids"].to(self.device)}
        if self.model_type not in SIGLIP_TYPES and "attention_mask" in inputs:
            kwargs["attention_mask"] = inputs["attention_mask"].to(self.device)
        if "token_type_ids" in inputs and self.model_type == "align":
            kwargs["token_type_ids"] = inputs["token_type_ids"].to(self.device)
        return _features(self.model.get_text_features(**kwargs))


def load_transformers_model(
    name_or_path: str | Path,
    *,
    device: str | None = None,
    precision: str | None = None,
    **kwargs: Any,
) -> TransformersZeroShotModel:
    """Load a transformers dual encoder from a Hub id or a local ``save_pretrained`` folder.

    ``kwargs`` are the prompt/class arguments of :class:`ZeroShotModel`.

    Example::

        >>> model = load_transformers_model("kakaobrain/align-base", classes=["cat", "dog"])  # doctest: +SKIP
        >>> model.scorer.describe()                                                          # doctest: +SKIP
        'softmax(cos / 0.0100)'
    """
    reject_remote_code_argument(kwargs, "load_transformers_model")
    source, identity = resolve_path(name_or_path)  # before importing transformers: offline errors come fast
    from transformers import AutoImageProcessor, AutoTokenizer

    device = resolve_device(device)
    precision = resolve_precision(device, precision)
    with token_id_warnings() as held:  # transformers 5 warns about its own default SigLIP config on every load
        config = _load_config(source)
        model = _load_model(source, config)
    held.release(config)
    for name in ("get_image_features", "get_text_features"):
        if not hasattr(model, name):
            raise ModelConfigError(
                f"{name_or_path!r} loads as {type(model).__name__}, which has no {name}(); "
                "zero-shot classification needs a dual encoder such as CLIP, AltCLIP, ALIGN or SigLIP"
            )
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[precision]
    model = model.to(device=device, dtype=dtype)
    warn_remote_code_files(Path(source))
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, config=config, **NO_REMOTE_CODE)
    except (ImportError, ValueError) as exc:
        clear = tokenizer_dependency_error(exc, repr(str(name_or_path))) or remote_code_error(exc, "the tokenizer", source)
        if clear is not None:
            raise clear from exc
        raise
    try:
        image_processor = AutoImageProcessor.from_pretrained(source, config=config, **NO_REMOTE_CODE)
    except ValueError as exc:
        clear = remote_code_error(exc, "the image processor", source)
        if clear is not None:
            raise clear from exc
        raise
    return TransformersZeroShotModel(model, image_processor, tokenizer, identity,
                                     device=device, precision=precision, **kwargs)


def _load_config(source: str) -> Any:
    """config.json as a transformers config of a built-in class, without ``auto_map`` / ``trust_remote_code``.

    Loaded once and passed to the model, tokenizer and image processor loaders,
    so none of them looks at config.json's ``auto_map`` again.
    """
    from transformers import AutoConfig

    try:
        config = AutoConfig.from_pretrained(source, **NO_REMOTE_CODE)
    except ValueError as exc:
        clear = remote_code_error(exc, "the model configuration", source)
        if clear is not None:
            raise clear from exc
        raise
    return strip_remote_code_attributes(config, f"{source}/config.json")


def _load_model(source: str, config: Any) -> Any:
    """``AutoModel`` of the built-in class for ``config``; pickle weights only through ``weights_only=True``."""
    from transformers import AutoModel

    try:
        return AutoModel.from_pretrained(source, config=config, weights_only=True, **NO_REMOTE_CODE)
    except Exception as exc:
        # UnpicklingError: the weights-only unpickler met a forbidden object; any other error raised inside
        # torch.load (TypeError, TorchScript, legacy tar) is a pickle it could not read as plain tensors
        if isinstance(exc, pickle.UnpicklingError) or _raised_in_torch_load(exc):
            raise _unsafe_weights(source, exc) from exc
        raise


def _raised_in_torch_load(exc: BaseException) -> bool:
    """Whether ``exc`` came out of ``torch.load`` (a frame of torch's serialization code on its traceback)."""
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).parts[-2:] in _TORCH_LOAD_FILES:
            return True
        tb = tb.tb_next
    return False


def _pickle_weights(source: str) -> list[Path]:
    """The pickle weights files transformers reads in a local folder without safetensors weights."""
    folder = Path(source)
    if not folder.is_dir() or any(folder.glob("*.safetensors")):
        return []
    return sorted(p for pattern in _PICKLE_WEIGHTS for p in folder.glob(pattern))


def _unsafe_weights(source: str, exc: BaseException) -> UnsafeModelError:
    names = ", ".join(p.name for p in _pickle_weights(source)) or "pickle weights"
    return unsafe_weights_error(f"of {source!r} ({names})", exc, fix="convert the model to safetensors once "
                                "(model.save_pretrained(folder, safe_serialization=True))")

