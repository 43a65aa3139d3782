"""The model zoo: names -> loaders, with FiftyOne's names and arguments.

Three loaders, as in FiftyOne:

- ``clip-vit-base32-torch``: OpenAI CLIP ViT-B/32 (open_clip's ``openai`` weights);
- ``open-clip-torch``: any open_clip model (``clip_model=``, ``pretrained=``);
- ``zero-shot-classification-transformer-torch``: any transformers dual encoder
  (``name_or_path=``: a Hub id or local folder).

plus short aliases for the eight models of FiftyOne's zero-shot tutorial, e.g.
``"dfn-vit-b16-dfn2b"`` = ``open-clip-torch`` with ``clip_model="ViT-B-16",
pretrained="dfn2b"``.

Name grammar (one parser, :func:`parse_model_name`)::

    NAME                                   a loader or alias: 'open-clip-torch', 'altclip'
    open-clip-torch:ARCH@TAG               'open-clip-torch:ViT-B-16@dfn2b' (also 'open_clip:...')
    open-clip-torch:hf-hub:ORG/REPO        or just 'hf-hub:ORG/REPO' / 'local-dir:/path'
    zero-shot-classification-transformer-torch:ID_OR_PATH    (also 'transformers:BAAI/AltCLIP')

Example::

    >>> import bakeoff.zoo as foz
    >>> model = foz.load_zoo_model("open-clip-torch", clip_model="ViT-B-16",
    ...                            pretrained="dfn2b", classes=["cat", "dog"])   # doctest: +SKIP
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from bakeoff.errors import suggest
from bakeoff.models.errors import UnknownModelError

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.models.base import ZeroShotModel

COMMON_ARGS = ("classes", "text_prompt", "templates", "class_prompts", "clean_class_names",
               "device", "precision", "text_batch_size", "cache")


def _load_open_clip(**kwargs: Any) -> ZeroShotModel:
    from bakeoff.models.open_clip_adapter import load_open_clip

    return load_open_clip(**kwargs)


def _load_transformers(**kwargs: Any) -> ZeroShotModel:
    from bakeoff.models.transformers_adapter import load_transformers_model

    return load_transformers_model(**kwargs)


@dataclass(frozen=True)
class ZooEntry:
    """A registered model: a loader, its arguments' defaults and what it is."""

    name: str
    loader: Callable[..., ZeroShotModel]
    arguments: tuple[str, ...]
    defaults: Mapping[str, Any] = field(default_factory=dict)
    description: str = ""
    base: str | None = None
    """For aliases: the loader entry they configure."""

    def spec_kwargs(self, spec: str) -> dict[str, Any]:
        """Arguments encoded in a ``NAME:SPEC`` model name."""
        if "name_or_path" in self.arguments:
            return {"name_or_path": spec}
        if spec.startswith(("hf-hub:", "local-dir:")):
            return {"clip_model": spec, "pretrained": ""}
        arch, _, tag = spec.partition("@")
        return {"clip_model": arch, "pretrained": tag or None}


_REGISTRY: dict[str, ZooEntry] = {}
_PREFIXES: dict[str, str] = {"open_clip": "open-clip-torch", "transformers": "zero-shot-classification-transformer-torch",
                             "hf-hub": "open-clip-torch", "local-dir": "open-clip-torch"}


def register_model(name: str, loader: Callable[..., ZeroShotModel], arguments: Sequence[str],
                   defaults: Mapping[str, Any] | None = None, description: str = "",
                   base: str | None = None) -> ZooEntry:
    """Add a zoo entry (or replace one of that name) and return it.

    Example::

        register_model("my-clip", _load_open_clip, ("clip_model", "pretrained"),
                       {"clip_model": "ViT-B-32", "pretrained": "/models/ft.safetensors"})
    """
    entry = ZooEntry(name, loader, tuple(arguments), MappingProxyType(dict(defaults or {})), description, base)
    _REGISTRY[name] = entry
    return entry


def _alias(name: str, base: str, description: str, **defaults: Any) -> None:
    entry = _REGISTRY[base]
    register_model(name, entry.loader, entry.arguments, {**entry.defaults, **defaults}, description, base)


_OPEN_CLIP_ARGS = ("clip_model", "pretrained", "quick_gelu", "preprocess_cfg")
register_model("clip-vit-base32-torch", _load_open_clip, _OPEN_CLIP_ARGS,
               {"clip_model": "ViT-B-32", "pretrained": "openai"},
               "OpenAI CLIP ViT-B/32 (WIT-400M), through open_clip's 'openai' weights")
register_model("open-clip-torch", _load_open_clip, _OPEN_CLIP_ARGS,
               {"clip_model": "ViT-B-32", "pretrained": "openai"},
               "any open_clip model: clip_model= architecture or hf-hub:/local-dir: name, pretrained= tag or file")
register_model("zero-shot-classification-transformer-torch", _load_transformers, ("name_or_path",),
               {"name_or_path": "openai/clip-vit-large-patch14"},
               "any transformers dual encoder (CLIP, AltCLIP, ALIGN, SigLIP, SigLIP2): name_or_path= Hub id or folder")

# The eight configurations of FiftyOne's zero-shot classification tutorial.
_alias("clip-vit-b32-openai", "clip-vit-base32-torch", "OpenAI CLIP ViT-B/32")
_alias("clipa-vit-l14-datacomp1b", "open-clip-torch", "CLIPA ViT-L/14 (DataComp-1B)",
       clip_model="hf-hub:UCSC-VLAA/ViT-L-14-CLIPA-datacomp1B", pretrained="")
_alias("dfn-vit-b16-dfn2b", "open-clip-torch", "DFN ViT-B/16 (DFN-2B), QuickGELU",
       clip_model="ViT-B-16", pretrained="dfn2b")
_alias("eva02-clip-vit-b16", "open-clip-torch", "EVA02-CLIP B/16 (Merged-2B)",
       clip_model="EVA02-B-16", pretrained="merged2b_s8b_b131k")
_alias("metaclip-vit-b32-400m", "open-clip-torch", "MetaCLIP ViT-B/32 (400M), QuickGELU",
       clip_model="ViT-B-32-quickgelu", pretrained="metaclip_400m")
_alias("siglip-vit-b16", "open-clip-torch", "SigLIP ViT-B/16 (WebLI), sigmoid scoring",
       clip_model="hf-hub:timm/ViT-B-16-SigLIP", pretrained="")
_alias("altclip", "zero-shot-classification-transformer-torch", "AltCLIP (BAAI), multilingual text tower",
       name_or_path="BAAI/AltCLIP")
_alias("align-base", "zero-shot-classification-transformer-torch", "ALIGN base (Kakao Brain), temperature scoring",
       name_or_path="kakaobrain/align-base")

# bakeoff's own demo models: tiny, trained on synthetic shapes, shipped in the package (see bakeoff/demo/models)
_DEMO_MODELS = Path(__file__).resolve().parents[1] / "demo" / "models"
_alias("demo-clip", "zero-shot-classification-transformer-torch",
       "bakeoff's demo CLIP (1M parameters, 64 px), trained on synthetic coloured shapes; works offline",
       name_or_path=str(_DEMO_MODELS / "demo-clip"))
_alias("demo-siglip", "zero-shot-classification-transformer-torch",
       "bakeoff's demo SigLIP (0.5M parameters, 64 px, sigmoid scoring), trained on synthetic coloured shapes",
       name_or_path=str(_DEMO_MODELS / "demo-siglip"))
_alias("demo-openclip", "open-clip-torch",
       "bakeoff's demo OpenCLIP (0.3M parameters, 64 px), an open_clip local-dir: folder with its own tokenizer",
       clip_model=f"local-dir:{_DEMO_MODELS / 'demo-openclip'}", pretrained="")


def list_zoo_models(pattern: str | None = None) -> list[str]:
    """Registered model names (loaders and aliases), optionally filtered by a wildcard pattern.

    Example::

        >>> list_zoo_models("*clip-torch")
        ['open-clip-torch']
    """
    names = sorted(_REGISTRY)
    return [n for n in names if pattern is None or fnmatch.fnmatch(n, pattern)]


def parse_model_name(name: str) -> tuple[ZooEntry, dict[str, Any]]:
    """The zoo entry a model name refers to and the arguments the name itself carries.

    Example::

        >>> entry, kwargs = parse_model_name("open_clip:ViT-B-16@dfn2b")
        >>> entry.name, kwargs
        ('open-clip-torch', {'clip_model': 'ViT-B-16', 'pretrained': 'dfn2b'})
    """
    if not isinstance(name, str) or not name:
        raise UnknownModelError(f"model name must be a non-empty string, not {name!r}; see list_zoo_models()")
    if name in _REGISTRY:
        return _REGISTRY[name], {}
    if name.lower() in _REGISTRY:
        return _REGISTRY[name.lower()], {}
    prefix, sep, spec = name.partition(":")
    base = _PREFIXES.get(prefix.lower(), prefix.lower() if prefix.lower() in _REGISTRY else None)
    if sep and spec and base is not None:
        entry = _REGISTRY[base]
        spec = name if prefix.lower() in ("hf-hub", "local-dir") else spec
        return entry, entry.spec_kwargs(spec)
    raise UnknownModelError(
        f"no zoo model named {name!r}.{suggest(name, _REGISTRY)} Known models: {list_zoo_models()}; "
        "or use 'open-clip-torch' with clip_model=/pretrained=, or "
        "'zero-shot-classification-transformer-torch' with name_or_path="
    )


def load_zoo_model(name: str, classes: Sequence[str] | None = None, text_prompt: str | None = None,
                   **kwargs: Any) -> ZeroShotModel:
    """Load a zero-shot classifier by zoo name, with FiftyOne's arguments.

    ``text_prompt`` keeps FiftyOne's meaning (``"A photo of"`` + " " + class;
    the default). Other keyword arguments: the loader's own (``clip_model``,
    ``pretrained``, ``quick_gelu``, ``name_or_path``...) and ``templates``,
    ``class_prompts``, ``clean_class_names``, ``device``, ``precision``,
    ``text_batch_size``, ``cache``. ``classes=None`` is fine for embeddings.

    Example::

        >>> model = load_zoo_model("zero-shot-classification-transformer-torch",
        ...                        name_or_path="BAAI/AltCLIP", classes=["cat", "dog"])   # doctest: +SKIP
        >>> model.predict([image]).labels                                               # doctest: +SKIP
        ['cat']
    """
    entry, from_name = parse_model_name(name)
    allowed = entry.arguments + COMMON_ARGS
    unknown = [k for k in kwargs if k not in allowed]
    if unknown:
        raise UnknownModelError(
            f"{name!r} does not take argument(s) {unknown}.{suggest(unknown[0], allowed)} "
            f"It takes: {list(allowed)}"
        )
    arguments = {**entry.defaults, **from_name, **kwargs}
    return entry.loader(classes=classes, text_prompt=text_prompt, **arguments)


def zoo_model_info(name: str) -> dict[str, Any]:
    """What a name resolves to: entry, base loader, defaults, arguments, description.

    Example::

        >>> zoo_model_info("altclip")["defaults"]
        {'name_or_path': 'BAAI/AltCLIP'}
    """
    entry, from_name = parse_model_name(name)
    return {"name": entry.name, "base": entry.base or entry.name, "defaults": {**entry.defaults, **from_name},
            "arguments": list(entry.arguments + COMMON_ARGS), "description": entry.description}


def zoo_model_status(name: str, **kwargs: Any) -> tuple[bool, str]:
    """``(loadable, why)``: whether ``name`` can be loaded here, without building the model.

    Checks that the library is installed and that the weights are on disk (model
    zoo folder, Hugging Face cache, a local path) or the Hub can be reached.
    ``why`` is ``""`` when the weights are local, else what is missing or what
    the first load will download.

    Example::

        >>> zoo_model_status("demo-clip")
        (True, '')
    """
    import importlib.util

    from bakeoff.models.errors import ModelNotAvailableOfflineError

    entry, from_name = parse_model_name(name)
    base = entry.base or entry.name
    library = "open_clip" if _REGISTRY[base].loader is _load_open_clip else "transformers"
    for module in ("torch", library):
        if importlib.util.find_spec(module) is None:
            return False, f"needs the {module!r} package: pip install 'bakeoff[models]'"
    arguments = {**entry.defaults, **from_name, **kwargs}
    try:
        if library == "open_clip":
            from bakeoff.models.open_clip_adapter import resolve_source

            source = resolve_source(arguments["clip_model"], arguments.get("pretrained"), arguments.get("quick_gelu"))
            local = source.folder or (Path(source.pretrained) if source.pretrained else None)
            remote = local is None or not local.exists()
        else:
            from bakeoff.models.transformers_adapter import resolve_path

            where, _ = resolve_path(arguments["name_or_path"])
            remote = not Path(where).is_dir()
    except ModelNotAvailableOfflineError as error:
        return False, str(error)
    except (OSError, ValueError, KeyError) as error:
        return False, f"{type(error).__name__}: {error}"
    return True, ("downloads its weights on first use" if remote else "")
