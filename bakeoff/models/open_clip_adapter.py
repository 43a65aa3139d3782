"""open_clip models (OpenAI CLIP, DFN, EVA-CLIP, MetaCLIP, CLIPA, SigLIP...) as :class:`ZeroShotModel` s.

``clip_model`` / ``pretrained`` follow open_clip's grammar:

- ``clip_model="ViT-B-16", pretrained="dfn2b"``: a built-in architecture and a weights tag;
- ``clip_model="ViT-B-16", pretrained="/path/weights.safetensors"``: a local file (a
  relative name is also looked for in the model zoo folder);
- ``clip_model="hf-hub:timm/ViT-B-16-SigLIP", pretrained=""``: config and weights from the Hub;
- ``clip_model="local-dir:/path/folder"``: ``open_clip_config.json`` plus weights in a folder.

Traps handled here: weights trained with QuickGELU (OpenAI, DFN, MetaCLIP) never
load silently into a GELU architecture; local SigLIP/CLIPA files get their own
preprocessing; CLIP-family text is encoded at the prompt's length, not the full
77-token context, wherever that is exact (causal mask and end-token pooling).

Nothing in a model folder runs as code (see :mod:`bakeoff.models.safety`):
bakeoff reads ``open_clip_config.json`` once, cleans it, and open_clip builds
from that dict (never from the file again, which its owner may have changed
meanwhile); bakeoff reads the weights itself (safetensors, or
``torch.load(weights_only=True)`` without open_clip's retry) and hands the
tensors over.
"""

from __future__ import annotations

import copy
import json
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import open_clip
import torch
from open_clip.transformer import TextTransformer, text_global_pool

from bakeoff._config import config
from bakeoff.errors import suggest
from bakeoff.models.base import ZeroShotModel, resolve_device, resolve_precision
from bakeoff.models.errors import (
    ModelConfigError,
    ModelNotAvailableOfflineError,
    ModelNotFoundError,
    UnknownModelError,
    tokenizer_dependency_error,
)
from bakeoff.models.offline import (
    file_identity,
    find_hub_file,
    find_hub_folder,
    hub_reachable,
    require_network,
)
from bakeoff.models.safety import (
    NO_REMOTE_CODE,
    load_weights_file,
    numpy_pickle_error,
    open_numpy_weights,
    reject_remote_code_argument,
    remote_code_error,
    remote_code_prompts_refused,
    strip_remote_code,
    warn_remote_code_files,
)
from bakeoff.models.scoring import SigmoidScorer, SoftmaxScorer

logger = logging.getLogger(__name__)

_PREPROCESS_KEYS = ("mean", "std", "interpolation", "resize_mode")
# what a folder's preprocess_cfg may set; "size" always comes from the vision tower, as in open_clip
_FOLDER_PREPROCESS_KEYS = ("mode", "mean", "std", "interpolation", "resize_mode", "fill_color")
_WEIGHT_SUFFIXES = (".bin", ".safetensors", ".pt", ".pth", ".npz")
# the weights file open_clip picks in a folder, best first (open_clip 3.3.0's _find_checkpoint_in_dir)
_FOLDER_WEIGHTS = ("open_clip_model.safetensors", "open_clip_pytorch_model.safetensors", "open_clip_pytorch_model.bin",
                   "open_clip_pytorch_model.pth", "model.safetensors", "pytorch_model.bin", "pytorch_model.pth",
                   "model.pth")


@dataclass
class _Source:
    """What to hand open_clip, decided before anything is built."""

    model_name: str
    pretrained: str | None
    """A local weights file, or a weights tag of ``model_name`` still to download."""
    identity: str
    model_cfg: dict[str, Any]
    """The architecture open_clip builds: a built-in config, or a folder's cleaned ``model_cfg``."""
    folder: Path | None = None
    quick_gelu: bool = False
    preprocess: dict[str, Any] = field(default_factory=dict)
    hub_id: str | None = None
    """For ``hf-hub:`` names: the repository to download the weights from when ``folder`` lacks them."""


def _arch_config(arch: str) -> dict[str, Any]:
    cfg: dict[str, Any] | None = open_clip.get_model_config(arch)
    if cfg is None:
        raise UnknownModelError(
            f"open_clip has no architecture {arch!r}.{suggest(arch, open_clip.list_models())} "
            "See open_clip.list_models(), or use 'hf-hub:org/repo' or 'local-dir:/path'."
        )
    return cfg


def _arch_preprocess(arch: str) -> dict[str, Any]:
    """The preprocessing all of ``arch``'s known weights share (e.g. SigLIP's 0.5 mean/std, squash)."""
    cfgs = [open_clip.get_pretrained_cfg(arch, t) for t in open_clip.list_pretrained_tags_by_model(arch)]
    seen = {tuple(str(c.get(k)) for k in _PREPROCESS_KEYS) for c in cfgs}
    if len(seen) == 1:
        return {k: cfgs[0][k] for k in _PREPROCESS_KEYS if k in cfgs[0]}
    return {}


def _resolve_quick_gelu(arch: str, arch_qg: bool, weights_qg: bool | None, what: str) -> bool:
    if weights_qg is None:
        if arch_qg or open_clip.get_model_config(f"{arch}-quickgelu") is None:
            return arch_qg
        raise ModelConfigError(
            f"cannot tell whether {what} was trained with QuickGELU (OpenAI, DFN, MetaCLIP weights) or "
            f"GELU (LAION, DataComp weights), and loading it into the wrong one gives wrong outputs "
            f"without any error; pass quick_gelu=True or quick_gelu=False (or clip_model='{arch}-quickgelu')"
        )
    if arch_qg and not weights_qg:
        raise ModelConfigError(
            f"{what} was trained with GELU but {arch!r} uses QuickGELU; "
            f"use clip_model={arch.removesuffix('-quickgelu')!r}"
        )
    return weights_qg


def _resolve_tag(arch: str, tag: str, quick_gelu: bool | None) -> _Source:
    cfg = _arch_config(arch)
    pcfg = open_clip.get_pretrained_cfg(arch, tag)
    if not pcfg:
        tags = open_clip.list_pretrained_tags_by_model(arch)
        raise UnknownModelError(
            f"pretrained={tag!r} is neither a weights tag of {arch!r} nor an existing file."
            f"{suggest(tag, tags)} Tags of {arch}: {tags}; or pass a path to a .bin/.safetensors file."
        )
    weights_qg = bool(pcfg.get("quick_gelu", False))
    if quick_gelu is not None and quick_gelu != weights_qg:
        raise ModelConfigError(
            f"quick_gelu={quick_gelu} contradicts the {arch}/{tag} weights, which were trained with "
            f"quick_gelu={weights_qg}; drop the quick_gelu argument"
        )
    qg = _resolve_quick_gelu(arch, bool(cfg.get("quick_gelu")), weights_qg, f"{arch}/{tag}")
    preprocess = {k: pcfg[k] for k in _PREPROCESS_KEYS if k in pcfg}
    identity = f"{arch}{'-quickgelu' if qg and not arch.endswith('quickgelu') else ''}:{tag}"
    source = _Source(arch, tag, identity, cfg, quick_gelu=qg, preprocess=preprocess)
    hub = pcfg.get("hf_hub", "")
    if hub:
        repo_id, filename = hub.rsplit("/", 1)  # open_clip's form: 'org/repo/' or 'org/repo/file.bin'
        names = [filename] if filename else ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
        if filename.endswith((".bin", ".pth")):
            names.insert(0, filename[:-4] + ".safetensors")
        local = find_hub_file(repo_id, names)
        if local is not None:
            source.pretrained = str(local)
        else:
            require_network(f"open-clip-torch {arch!r} with pretrained={tag!r}", repo_id, names)
    elif pcfg.get("url"):  # weights outside the Hub: the zoo folder keeps them by file name
        local = config.model_zoo_dir / pcfg["url"].rsplit("/", 1)[-1]
        if local.is_file():
            source.pretrained = str(local)
        elif not hub_reachable():
            raise ModelNotAvailableOfflineError(
                f"cannot load open-clip-torch {arch!r} with pretrained={tag!r}: it needs {pcfg['url']} "
                f"and there is no network; download it on a connected machine to {str(local)!r}"
            )
    return source


def _read_config(path: Path) -> dict[str, Any]:
    """``open_clip_config.json`` parsed once and cleaned of remote-code keys; everything later uses this dict."""
    try:
        cfg = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelConfigError(f"{str(path)!r} is not a valid open_clip_config.json ({exc})") from exc
    if not isinstance(cfg, dict):
        raise ModelConfigError(f"{str(path)!r} holds {type(cfg).__name__}, not the JSON object of an open_clip config")
    return strip_remote_code(cfg, str(path))


def _resolve_file(arch: str, path: Path, quick_gelu: bool | None) -> _Source:
    cfg = _arch_config(arch)
    sidecar = path.parent / "open_clip_config.json"
    preprocess = _arch_preprocess(arch)
    if sidecar.is_file():
        side = _read_config(sidecar)
        if quick_gelu is None:
            quick_gelu = bool(side.get("model_cfg", {}).get("quick_gelu", False))
        preprocess.update({k: v for k, v in side.get("preprocess_cfg", {}).items() if k in _PREPROCESS_KEYS})
    qg = _resolve_quick_gelu(arch, bool(cfg.get("quick_gelu")), quick_gelu, f"the weights file {str(path)!r}")
    identity = f"{arch}{'-quickgelu' if qg and not arch.endswith('quickgelu') else ''}:{path.name}-{file_identity(path)}"
    return _Source(arch, str(path), identity, cfg, quick_gelu=qg, preprocess=preprocess)


def _resolve_folder(folder: Path, identity: str, hub_id: str | None = None) -> _Source:
    cfg_path = folder / "open_clip_config.json"
    if not cfg_path.is_file():
        raise ModelConfigError(f"{str(folder)!r} has no open_clip_config.json; it is not an open_clip model folder")
    cfg = _read_config(cfg_path)
    model_cfg = cfg.get("model_cfg", cfg)
    if not isinstance(model_cfg, dict) or not all(isinstance(model_cfg.get(k), dict) for k in ("vision_cfg", "text_cfg")):
        raise ModelConfigError(f"{str(cfg_path)!r} has no model_cfg with vision_cfg and text_cfg objects; "
                               "it is not an open_clip config")
    pre = cfg.get("preprocess_cfg")
    if not isinstance(pre, dict):
        pre = {}
    return _Source(f"local-dir:{folder}", None, identity, model_cfg, folder,
                   quick_gelu=bool(model_cfg.get("quick_gelu", False)),
                   preprocess={k: v for k, v in pre.items() if k in _FOLDER_PREPROCESS_KEYS}, hub_id=hub_id)


def resolve_source(clip_model: str, pretrained: str | None, quick_gelu: bool | None = None) -> _Source:
    """Decide config, weights, QuickGELU and preprocessing for ``clip_model``/``pretrained``; no model is built.

    Needs the weights locally (zoo folder, HF cache) or the network. Example::

        >>> resolve_source("ViT-B-16", "dfn2b").quick_gelu     # doctest: +SKIP
        True
    """
    schema, ident = open_clip.factory.parse_model_name(clip_model)
    if schema is not None and pretrained:
        raise ModelConfigError(
            f"pretrained={pretrained!r} cannot be used with clip_model={clip_model!r}: '{schema}:' names "
            "carry their own weights; pass pretrained=''"
        )
    if schema == "local-dir":
        folder = Path(ident).expanduser()
        if not folder.is_dir():
            raise ModelNotFoundError(f"clip_model={clip_model!r}: folder {str(folder)!r} does not exist; "
                                     "give the folder that holds open_clip_config.json and the weights")
        return _resolve_folder(folder, f"local-dir:{folder.name}-{file_identity(folder)}")
    if schema == "hf-hub":
        hub_folder = find_hub_folder(ident, "open_clip_config.json")
        if hub_folder is None:
            require_network(f"open-clip-torch {clip_model!r}", ident, "open_clip_config.json and weights")
            from huggingface_hub import hf_hub_download

            hub_folder = Path(hf_hub_download(ident, "open_clip_config.json")).parent  # the weights come at build time
        return _resolve_folder(hub_folder, f"hf-hub:{ident}", hub_id=ident)
    arch = clip_model.replace("/", "-")
    if not pretrained:
        raise ModelConfigError(
            f"clip_model={clip_model!r} needs weights: pass pretrained=<tag> (one of "
            f"{open_clip.list_pretrained_tags_by_model(arch)}) or a path to a weights file"
        )
    if pretrained in open_clip.list_pretrained_tags_by_model(arch):
        return _resolve_tag(arch, pretrained, quick_gelu)  # a tag is a tag, whatever files the working directory has
    path = Path(pretrained).expanduser()
    if not path.is_file() and not path.is_absolute() and (config.model_zoo_dir / path).is_file():
        path = config.model_zoo_dir / path  # a file name relative to the model zoo folder
    if path.is_file() or path.suffix in _WEIGHT_SUFFIXES:
        if not path.is_file():
            raise ModelNotFoundError(
                f"pretrained={pretrained!r}: no such weights file here or in the model zoo folder "
                f"{str(config.model_zoo_dir)!r}; check the path, or put the file in that folder"
            )
        return _resolve_file(arch, path, quick_gelu)
    return _resolve_tag(arch, pretrained, quick_gelu)


def _make_tokenizer(source: _Source) -> Any:
    """The tokenizer the config names, found locally when possible."""
    text_cfg = source.model_cfg.get("text_cfg", {})
    context_length = text_cfg.get("context_length", 77)
    hf_name = text_cfg.get("hf_tokenizer_name")
    if not hf_name:
        if source.folder is None and "siglip" in source.model_name.lower():
            return open_clip.get_tokenizer(source.model_name)
        return open_clip.SimpleTokenizer(context_length=context_length, **text_cfg.get("tokenizer_kwargs", {}))
    tokenizer_source = hf_name
    if source.folder is not None and any((source.folder / f).is_file() for f in ("tokenizer.json", "tokenizer_config.json")):
        tokenizer_source = str(source.folder)
        warn_remote_code_files(source.folder, ("tokenizer_config.json",))
    else:
        found = find_hub_folder(hf_name, "tokenizer_config.json")
        if found is not None:
            tokenizer_source = str(found)
        else:
            require_network(f"the tokenizer of {source.identity}", hf_name, "tokenizer files")
    try:
        return open_clip.tokenizer.HFTokenizer(  # its kwargs go to AutoTokenizer.from_pretrained
            tokenizer_source,
            context_length=context_length,
            tokenizer_mode=text_cfg.get("tokenizer_mode"),
            **text_cfg.get("tokenizer_kwargs", {}),
            **NO_REMOTE_CODE,
        )
    except (ImportError, ValueError) as exc:
        clear = tokenizer_dependency_error(exc, source.identity) or remote_code_error(
            exc, f"the tokenizer of {source.identity}", tokenizer_source)
        if clear is not None:
            raise clear from exc
        raise


def _folder_weights(folder: Path) -> Path | None:
    """The weights file open_clip would pick in ``folder``: a preferred name, else safetensors, else a pickle."""
    for name in _FOLDER_WEIGHTS:
        if (folder / name).is_file():
            return folder / name
    others = sorted(folder.glob("*.safetensors")) or sorted([*folder.glob("*.bin"), *folder.glob("*.pth")])
    return others[0] if others else None


def _weights_file(source: _Source) -> Path:
    """The local weights file of ``source``, downloaded first when it is a Hub repository or tag not here yet."""
    if source.folder is not None:
        found = _folder_weights(source.folder)
        if found is None and source.hub_id is not None and hub_reachable():
            found = Path(open_clip.pretrained.download_pretrained_from_hf(source.hub_id))  # prefers safetensors
        if found is None:
            raise ModelConfigError(f"{str(source.folder)!r} has no weights file; put open_clip_model.safetensors "
                                   "next to its open_clip_config.json")
        return found
    if source.pretrained and Path(source.pretrained).is_file():
        return Path(source.pretrained)
    return Path(open_clip.download_pretrained(open_clip.get_pretrained_cfg(source.model_name, source.pretrained)))


@contextmanager
def _registered_config(model_cfg: dict[str, Any]) -> Iterator[str]:
    """``model_cfg`` under a private name in open_clip's config registry, for one build.

    open_clip's ``create_model`` takes a config only by name; a ``local-dir:`` or
    ``hf-hub:`` name would make it read open_clip_config.json again, uncleaned.
    """
    name = f"bakeoff-{uuid.uuid4().hex}"

    def not_random_init(record: logging.LogRecord) -> bool:
        # open_clip warns that this name got "no pretrained weights": bakeoff loads them right after
        return not (name in str(record.msg) and "No pretrained weights" in str(record.msg))

    open_clip.factory._MODEL_CONFIGS[name] = copy.deepcopy(model_cfg)
    logging.getLogger().addFilter(not_random_init)  # open_clip logs with logging.warning(), on the root logger
    try:
        yield name
    finally:
        logging.getLogger().removeFilter(not_random_init)
        open_clip.factory._MODEL_CONFIGS.pop(name, None)


def _load_weights(model: Any, path: Path) -> None:
    """open_clip's ``load_checkpoint`` (3.3.0), with the file read by bakeoff.

    open_clip retries a ``torch.load`` that raised TypeError without
    ``weights_only``, and a crafted pickle raises exactly that;
    :func:`load_weights_file` never retries.
    """
    from open_clip.convert import convert_state_dict, load_big_vision_weights
    from open_clip.model import convert_to_custom_text_state_dict, resize_pos_embed, resize_text_pos_embed

    if path.suffix in (".npz", ".npy"):  # Google big_vision SigLIP weights
        with open_numpy_weights(path) as file:
            try:
                load_big_vision_weights(model, file)
            except ValueError as exc:
                clear = numpy_pickle_error(exc, path)
                if clear is not None:
                    raise clear from exc
                raise
        return
    checkpoint = load_weights_file(path)
    state = checkpoint["state_dict"] if isinstance(checkpoint, dict) and "state_dict" in checkpoint else checkpoint
    if not isinstance(state, dict) or not state or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelConfigError(f"{str(path)!r} holds no state dict of tensors; it is not an open_clip weights file")
    if next(iter(state)).startswith("module"):
        state = {k[7:]: v for k, v in state.items()}
    state = convert_state_dict(model, state)
    if "positional_embedding" in state and not hasattr(model, "positional_embedding"):
        state = convert_to_custom_text_state_dict(state)
    for key in ("logit_scale", "logit_bias"):  # scalar vs 1-d parameter
        param = getattr(model, key, None)
        if key in state and param is not None and param.ndim != state[key].ndim:
            state[key] = state[key].reshape(param.shape)
    if "logit_bias" not in state and getattr(model, "logit_bias", None) is not None:
        state["logit_bias"] = torch.zeros_like(state["logit_scale"])
    state.pop("text.transformer.embeddings.position_ids", None)  # dropped by transformers >= 4.31
    resize_pos_embed(state, model)
    resize_text_pos_embed(state, model)
    model.load_state_dict(state, strict=True)


def _build(source: _Source, device: str, precision: str, preprocess: dict[str, Any]) -> tuple[Any, Any]:
    """``(model, inference transform)`` from ``source``'s cleaned config and safely read weights."""
    from open_clip.transform import PreprocessCfg, image_transform_v2

    weights = _weights_file(source)
    # an hf_model_name text tower calls AutoConfig/AutoModel with no trust_remote_code: no prompt may ask
    with _registered_config(source.model_cfg) as name, remote_code_prompts_refused():
        try:
            model = open_clip.create_model(
                name, pretrained=None, precision=precision, device=device,
                force_quick_gelu=source.quick_gelu, force_preprocess_cfg=preprocess,
                pretrained_image=False, pretrained_text=False,  # no base-tower downloads: the weights cover both
            )
        except ValueError as exc:
            tower = source.model_cfg["text_cfg"].get("hf_model_name")
            clear = remote_code_error(exc, f"the text tower of {source.identity}", str(tower)) if tower else None
            if clear is not None:
                raise clear from exc
            raise
    _load_weights(model, weights)
    return model, image_transform_v2(PreprocessCfg(**model.visual.preprocess_cfg), is_train=False)


class OpenClipModel(ZeroShotModel):
    """An open_clip model; build it with :func:`load_open_clip` (or the zoo)."""

    library = "open_clip"
    #: open_clip's CLIP or CustomTextCLIP (open_clip ships no type information)
    model: Any

    def __init__(self, model: Any, transform: Any, tokenizer: Any, identity: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.model = model.eval()
        self.transform = transform
        self.tokenizer = tokenizer
        self.identity = identity
        scale = float(model.logit_scale.detach().float().exp().reshape(-1)[0])
        if getattr(model, "logit_bias", None) is not None:
            bias = float(model.logit_bias.detach().float().reshape(-1)[0])
            self.scorer = SigmoidScorer(logit_scale=scale, logit_bias=bias)
        else:
            self.scorer = SoftmaxScorer(logit_scale=scale)
        self.short_text = self._short_text_is_exact()
        hf_tokenizer = getattr(tokenizer, "tokenizer", None)
        self._pad_id = int(getattr(hf_tokenizer, "pad_token_id", None) or 0)

    def preprocess(self, image: Any) -> torch.Tensor:
        pixels: torch.Tensor = self.transform(image)
        return pixels

    def _image_features(self, pixels: torch.Tensor) -> torch.Tensor:
        features: torch.Tensor = self.model.encode_image(pixels)
        return features

    def _short_text_is_exact(self) -> bool:
        """Truncating padding is exact only with a causal mask and end-token pooling."""
        text = getattr(self.model, "text", None)
        if isinstance(text, TextTransformer):
            return (text.attn_mask is not None and text.cls_emb is None and not text.use_pad_mask
                    and text.pool_type in ("argmax", "eos"))
        if text is None and hasattr(self.model, "token_embedding"):
            return getattr(self.model, "attn_mask", None) is not None and self.model.text_pool_type in ("argmax", "eos")
        return False

    def _text_features(self, prompts: list[str]) -> torch.Tensor:
        tokens = self.tokenizer(prompts).to(self.device)
        if not self.short_text:
            features: torch.Tensor = self.model.encode_text(tokens)
            return features
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        length = int(((tokens != self._pad_id) * positions).max()) + 1
        return self._encode_short(tokens[:, :length])

    def _encode_short(self, tokens: torch.Tensor) -> torch.Tensor:
        """open_clip's ``encode_text`` with positions and causal mask cut to ``tokens``' length."""
        n = tokens.shape[1]
        owner = self.model.text if isinstance(getattr(self.model, "text", None), TextTransformer) else self.model
        cast = owner.transformer.get_cast_dtype()
        x: torch.Tensor = owner.token_embedding(tokens).to(cast) + owner.positional_embedding[:n].to(cast)
        x = owner.transformer(x, attn_mask=owner.attn_mask[:n, :n])
        x = owner.ln_final(x)
        if owner is self.model:
            x = text_global_pool(x, tokens, owner.text_pool_type, eos_token_id=getattr(owner, "text_eos_id", None))
        else:
            x = text_global_pool(x, tokens, owner.pool_type, eos_token_id=owner.eos_id)
        proj: torch.nn.Linear | torch.Tensor | None = owner.text_projection
        if proj is None:
            return x
        return proj(x) if isinstance(proj, torch.nn.Linear) else x @ proj


def load_open_clip(
    clip_model: str = "ViT-B-32",
    pretrained: str | None = "openai",
    *,
    quick_gelu: bool | None = None,
    device: str | None = None,
    precision: str | None = None,
    preprocess_cfg: dict[str, Any] | None = None,
    **kwargs: Any,
) -> OpenClipModel:
    """Load an open_clip model as a :class:`ZeroShotModel`.

    ``kwargs`` are the prompt/class arguments of :class:`ZeroShotModel`.

    Example::

        >>> model = load_open_clip("ViT-B-16", "dfn2b", classes=["cat", "dog"])   # doctest: +SKIP
        >>> model.fingerprint                                                      # doctest: +SKIP
        'open_clip:ViT-B-16-quickgelu:dfn2b:fp32'
    """
    reject_remote_code_argument(kwargs, "load_open_clip")
    source = resolve_source(clip_model, pretrained, quick_gelu)
    device = resolve_device(device)
    precision = resolve_precision(device, precision)
    preprocess = {k: v for k, v in {**source.preprocess, **(preprocess_cfg or {})}.items()
                  if k in _FOLDER_PREPROCESS_KEYS and v is not None}
    model, transform = _build(source, device, precision, preprocess)
    return OpenClipModel(model, transform, _make_tokenizer(source), source.identity,
                         device=device, precision=precision, **kwargs)
