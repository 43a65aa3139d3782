"""Finding weights without the network: the model zoo folder, then the Hugging Face cache.

The model zoo folder (``bakeoff.config.model_zoo_dir``, default
``~/.bakeoff/models``) mirrors Hugging Face Hub ids::

    ~/.bakeoff/models/
        BAAI/AltCLIP/                         config.json, model.safetensors, tokenizer files...
        timm/vit_base_patch32_clip_224.openai/open_clip_pytorch_model.bin
        timm/ViT-B-16-SigLIP/                 open_clip_config.json, open_clip_model.safetensors

so a copy made on a connected machine (``hf download REPO
--local-dir ~/.bakeoff/models/REPO``) is found offline. When nothing is found and
the network is unreachable (or ``HF_HUB_OFFLINE=1``), loaders raise
:class:`~bakeoff.models.errors.ModelNotAvailableOfflineError` within seconds,
naming the repository and file and where to put them.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

from bakeoff._config import config
from bakeoff.models.errors import ModelNotAvailableOfflineError

logger = logging.getLogger(__name__)

_TRUE = ("1", "true", "yes", "on")


def zoo_path(repo_id: str) -> Path:
    """Where the model zoo folder keeps ``repo_id``.

    Example::

        >>> zoo_path("BAAI/AltCLIP").parts[-2:]
        ('BAAI', 'AltCLIP')
    """
    return config.model_zoo_dir / repo_id


def offline_requested() -> bool:
    """True when ``HF_HUB_OFFLINE``, ``TRANSFORMERS_OFFLINE`` or ``BAKEOFF_OFFLINE`` is set."""
    return any(
        os.environ.get(name, "").strip().lower() in _TRUE
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "BAKEOFF_OFFLINE")
    )


@functools.lru_cache(maxsize=4)
def _reachable(host: str, port: int, timeout: float) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub answers a TCP connection (cached for the process)."""
    if offline_requested():
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    return _reachable(url.hostname or "huggingface.co", url.port or 443, timeout)


def find_hub_file(repo_id: str, filenames: Sequence[str]) -> Path | None:
    """The first of ``filenames`` of ``repo_id`` in the zoo folder or the HF cache, else ``None``."""
    for name in filenames:
        local = zoo_path(repo_id) / name
        if local.is_file():
            return local
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:  # pragma: no cover - huggingface_hub comes with transformers/open_clip
        return None
    for name in filenames:
        hit = try_to_load_from_cache(repo_id, name)
        if isinstance(hit, str):
            return Path(hit)
    return None


def find_hub_folder(repo_id: str, marker: str) -> Path | None:
    """A folder holding ``repo_id`` (recognized by file ``marker``): the zoo folder, then the HF cache."""
    local = zoo_path(repo_id)
    if (local / marker).is_file():
        return local
    try:
        from huggingface_hub import snapshot_download
    except ImportError:  # pragma: no cover
        return None
    try:
        path = Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # noqa: BLE001 - any miss (not cached, bad id) means "not here"
        return None
    return path if (path / marker).is_file() else None


def require_network(model: str, repo_id: str, files: Sequence[str] | str) -> None:
    """Raise :class:`ModelNotAvailableOfflineError` unless the Hub can be reached.

    Called only after :func:`find_hub_file` / :func:`find_hub_folder` missed.

    Example::

        require_network("open-clip-torch ViT-B-32/openai",
                        "timm/vit_base_patch32_clip_224.openai", "open_clip_pytorch_model.bin")
    """
    if hub_reachable():
        return
    what = files if isinstance(files, str) else " or ".join(files)
    why = "offline mode is set (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE/BAKEOFF_OFFLINE)" if offline_requested() \
        else "huggingface.co cannot be reached"
    raise ModelNotAvailableOfflineError(
        f"cannot load {model}: it needs {what} from the Hugging Face repository {repo_id!r}, "
        f"which is neither in the model zoo folder nor in the Hugging Face cache, and {why}. "
        f"On a connected machine run `hf download {repo_id} --local-dir "
        f"{zoo_path(repo_id)}` (or copy the files there), or pass a local path instead."
    )


def file_identity(path: Path) -> str:
    """A cheap, stable identity of a weights file or folder: names, sizes and a hash of the edges.

    Hashing the first and last MiB of each file (not the whole file) keeps this
    fast for multi-GB checkpoints while changing when the weights change.
    """
    import hashlib

    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for f in files:
        if f.suffix not in (".bin", ".safetensors", ".pt", ".pth", ".json", ".npz"):
            continue
        size = f.stat().st_size
        digest.update(f"{f.name}:{size}".encode())
        with open(f, "rb") as fh:
            digest.update(fh.read(1 << 20))
            if size > 2 << 20:
                fh.seek(-(1 << 20), os.SEEK_END)
                digest.update(fh.read())
    return digest.hexdigest()[:16]
