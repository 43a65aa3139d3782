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

from bakeoff.errors import BakeoffError, suggest
from bakeoff.models.errors import UnknownModelError

if TYPE_CHECKING:  # pragma: no cover
    from bakeoff.models.base import ZeroShotModel

COMMON_ARGS = ("classes", "text_prompt", "templates", "class_prompts", "clean_class_names",
               "device", "precision", "text_batch_size", "cache", "progress")


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
    weights_repo: str | None = None
    """The Hub repository of an open_clip weights tag's files (open_clip's ``hf_hub``), so that
    :func:`zoo_model_offline` can look for them without importing open_clip (and torch)."""

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
                   base: str | None = None, weights_repo: str | None = None) -> ZooEntry:
    """Add a zoo entry (or replace one of that name) and return it.

    Example::

        register_model("my-clip", _load_open_clip, ("clip_model", "pretrained"),
                       {"clip_model": "ViT-B-32", "pretrained": "/models/ft.safetensors"})
    """
    entry = ZooEntry(name, loader, tuple(arguments), MappingProxyType(dict(defaults or {})), description, base,
                     weights_repo)
    _REGISTRY[name] = entry
    return entry


def _alias(name: str, base: str, description: str, weights_repo: str | None = None, **defaults: Any) -> None:
    entry = _REGISTRY[base]
    register_model(name, entry.loader, entry.arguments, {**entry.defaults, **defaults}, description, base,
                   weights_repo or (entry.weights_repo if not defaults else None))


_OPEN_CLIP_ARGS = ("clip_model", "pretrained", "quick_gelu", "preprocess_cfg")
_OPENAI_B32 = "timm/vit_base_patch32_clip_224.openai"
register_model("clip-vit-base32-torch", _load_open_clip, _OPEN_CLIP_ARGS,
               {"clip_model": "ViT-B-32", "pretrained": "openai"},
               "OpenAI CLIP ViT-B/32 (WIT-400M), through open_clip's 'openai' weights", weights_repo=_OPENAI_B32)
register_model("open-clip-torch", _load_open_clip, _OPEN_CLIP_ARGS,
               {"clip_model": "ViT-B-32", "pretrained": "openai"},
               "any open_clip model: clip_model= architecture or hf-hub:/local-dir: name, pretrained= tag or file",
               weights_repo=_OPENAI_B32)
register_model("zero-shot-classification-transformer-torch", _load_transformers, ("name_or_path",),
               {"name_or_path": "openai/clip-vit-large-patch14"},
               "any transformers dual encoder (CLIP, AltCLIP, ALIGN, SigLIP, SigLIP2): name_or_path= Hub id or folder")

# The eight configurations of FiftyOne's zero-shot classification tutorial.
_alias("clip-vit-b32-openai", "clip-vit-base32-torch", "OpenAI CLIP ViT-B/32")
_alias("clipa-vit-l14-datacomp1b", "open-clip-torch", "CLIPA ViT-L/14 (DataComp-1B)",
       clip_model="hf-hub:UCSC-VLAA/ViT-L-14-CLIPA-datacomp1B", pretrained="")
_alias("dfn-vit-b16-dfn2b", "open-clip-torch", "DFN ViT-B/16 (DFN-2B), QuickGELU",
       weights_repo="apple/DFN2B-CLIP-ViT-B-16", clip_model="ViT-B-16", pretrained="dfn2b")
_alias("eva02-clip-vit-b16", "open-clip-torch", "EVA02-CLIP B/16 (Merged-2B)",
       weights_repo="timm/eva02_base_patch16_clip_224.merged2b_s8b_b131k",
       clip_model="EVA02-B-16", pretrained="merged2b_s8b_b131k")
_alias("metaclip-vit-b32-400m", "open-clip-torch", "MetaCLIP ViT-B/32 (400M), QuickGELU",
       weights_repo="timm/vit_base_patch32_clip_224.metaclip_400m",
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


def library_of(entry: ZooEntry) -> str:
    """The library an entry loads through: ``"open_clip"`` or ``"transformers"`` (``"other"`` for own loaders)."""
    base = _REGISTRY.get(entry.base or entry.name, entry)
    if base.loader is _load_open_clip:
        return "open_clip"
    return "transformers" if base.loader is _load_transformers else "other"


def load_zoo_model(name: str, classes: Sequence[str] | None = None, text_prompt: str | None = None,
                   progress: bool | None = None, **kwargs: Any) -> ZeroShotModel:
    """Load a zero-shot classifier by zoo name, with FiftyOne's arguments.

    ``text_prompt`` keeps FiftyOne's meaning (``"A photo of"`` + " " + class;
    the default). Other keyword arguments: the loader's own (``clip_model``,
    ``pretrained``, ``quick_gelu``, ``name_or_path``...) and ``templates``,
    ``class_prompts``, ``clean_class_names``, ``device``, ``precision``,
    ``text_batch_size``, ``cache``. ``classes=None`` is fine for embeddings.
    ``progress=False`` turns off the libraries' own bars while loading (default:
    ``config.show_progress_bars``).

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
    from bakeoff._config import config
    from bakeoff.models.library_output import library_progress

    with library_progress(library_of(entry), config.show_progress_bars if progress is None else bool(progress)):
        return entry.loader(classes=classes, text_prompt=text_prompt, **arguments)


def zoo_model_info(name: str) -> dict[str, Any]:
    """What a name resolves to: entry, base loader, defaults, arguments, description.

    Example::

        >>> zoo_model_info("altclip")["defaults"]
        {'name_or_path': 'BAAI/AltCLIP'}
    """
    entry, from_name = parse_model_name(name)
    return {"name": entry.name, "base": entry.base or entry.name, "library": library_of(entry),
            "defaults": {**entry.defaults, **from_name}, "arguments": list(entry.arguments + COMMON_ARGS),
            "description": entry.description}


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
    library = library_of(entry)
    if library == "other":
        return True, "a loader registered by register_model(): not checked"
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
    except (OSError, BakeoffError) as error:  # a missing folder, a bad argument: not available, and why
        return False, f"{type(error).__name__}: {error}"
    return True, ("downloads its weights on first use" if remote else "")


#: the weights files of an open_clip weights tag on the Hub (open_clip's names)
_OPEN_CLIP_WEIGHTS = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


def zoo_model_offline(name: str) -> tuple[bool | None, str]:
    """``(offline, where)``: whether ``name``, with its defaults, loads without a network; imports no torch.

    ``True`` with where the files are, ``False`` with what the first load downloads,
    ``None`` when only the library can tell (an open_clip tag bakeoff has no repository
    for, a loader registered by :func:`register_model`). Fast enough to run for every
    row of ``bakeoff zoo models``; :func:`zoo_model_status` checks more, by loading
    the library.

    Example::

        >>> zoo_model_offline("demo-clip")[0]
        True
    """
    import importlib.util

    from bakeoff.models.offline import find_hub_file, find_hub_folder

    entry, from_name = parse_model_name(name)
    library = library_of(entry)
    if library == "other":
        return None, "a loader registered by register_model()"
    if importlib.util.find_spec(library) is None:
        return False, f"needs the {library!r} package: pip install 'bakeoff[models]'"
    arguments = {**entry.defaults, **from_name}
    if library == "transformers":
        path = Path(str(arguments["name_or_path"])).expanduser()
        if path.is_dir():
            return (path / "config.json").is_file(), f"folder {str(path)!r}"
        folder = find_hub_folder(str(arguments["name_or_path"]), "config.json")
        return (True, str(folder)) if folder else (False, f"downloads {arguments['name_or_path']} on first use")
    clip_model, pretrained = str(arguments["clip_model"]), arguments.get("pretrained")
    schema, _, ident = clip_model.partition(":")
    if schema == "local-dir":
        folder = Path(ident).expanduser()
        return (folder / "open_clip_config.json").is_file(), f"folder {str(folder)!r}"
    if schema == "hf-hub":
        folder = find_hub_folder(ident, "open_clip_config.json")
        if folder is not None and any(folder.glob(p) for p in ("*.safetensors", "*.bin", "*.pth")):
            return True, str(folder)
        return False, f"downloads {ident} on first use"
    if pretrained and Path(str(pretrained)).expanduser().is_file():
        return True, f"file {str(pretrained)!r}"
    repo = entry.weights_repo if not from_name else None
    if repo is None:
        return None, "open_clip tells at load time"
    local = find_hub_file(repo, _OPEN_CLIP_WEIGHTS)
    return (True, str(local)) if local else (False, f"downloads {repo} on first use")
