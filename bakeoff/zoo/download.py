"""Downloading and unpacking zoo archives: progress bar, checksum, safe extraction."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from bakeoff.errors import ZooDownloadError

logger = logging.getLogger(__name__)

#: Seconds to wait for a server before giving up (offline machines fail at once on DNS).
CONNECT_TIMEOUT = 15


def offline() -> bool:
    """True when ``BAKEOFF_OFFLINE`` forbids downloads (``HF_HUB_OFFLINE`` governs only Hugging Face)."""
    return os.environ.get("BAKEOFF_OFFLINE", "").lower() in ("1", "true", "yes")


def md5sum(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, destination: Path, md5: str | None = None, progress: bool = True,
             where_to_put: str = "") -> Path:
    """Download ``url`` to ``destination`` (via a ``.part`` file), checking ``md5`` if given."""
    from tqdm.auto import tqdm

    destination.parent.mkdir(parents=True, exist_ok=True)
    fix = where_to_put or f"download {url} on a connected machine and put it at {destination}"
    if offline():
        raise ZooDownloadError(f"cannot download {url}: offline mode is on (BAKEOFF_OFFLINE); {fix}")
    partial = destination.with_name(destination.name + ".part")
    try:
        request = urllib.request.Request(url, headers={"User-Agent": "bakeoff"})
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=destination.name, disable=not progress) as bar:
                while block := response.read(1 << 20):
                    out.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        partial.unlink(missing_ok=True)
        reason = getattr(error, "reason", error)
        raise ZooDownloadError(f"cannot download {url} ({reason}); {fix}") from error
    if md5 is not None:
        actual = md5sum(partial)
        if actual != md5:
            partial.unlink(missing_ok=True)
            raise ZooDownloadError(
                f"checksum mismatch for {url}: expected md5 {md5}, got {actual}; the download was "
                f"corrupt or the file changed upstream. Retry, or {fix}"
            )
    os.replace(partial, destination)
    return destination


def extract(archive: Path, target: Path) -> None:
    """Unpack a .tar/.tar.gz/.zip archive into ``target``, refusing paths that escape it."""
    target.mkdir(parents=True, exist_ok=True)
    name = archive.name.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(archive) as zf:
            root = target.resolve()
            for member in zf.namelist():
                if not (target / member).resolve().is_relative_to(root):
                    raise ZooDownloadError(f"refusing to extract {member!r} from {archive}: it points outside {target}")
            zf.extractall(target)
    elif ".tar" in name or name.endswith(".tgz"):
        with tarfile.open(archive) as tf:
            tf.extractall(target, filter="data")
    else:
        raise ZooDownloadError(f"do not know how to unpack {archive}; expected .zip, .tar, .tar.gz or .tgz")


def move_into_place(source: Path, destination: Path) -> None:
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(str(source), str(destination))
