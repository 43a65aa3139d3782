"""Where images live: local paths or fsspec URLs (``s3://``, ``gs://``, ``https://``, ``file://``, ``memory://``).

One place decides how a sample's ``filepath`` is opened and identified, for
folder import, metadata, ``apply_model`` and the App. Credentials come from the
usual environment of each filesystem (``AWS_*``, ``GOOGLE_APPLICATION_CREDENTIALS``,
``~/.aws``…) and are never stored by bakeoff.

Example::

    dataset.add_sample(fo.Sample(filepath="s3://bucket/cats/001.jpg"))   # needs `pip install s3fs`
    with open_media(sample.filepath) as f:
        header = f.read(16)
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from datetime import datetime
from typing import IO

from bakeoff.errors import BakeoffError

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
_MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "modified", "created", "ETag", "etag", "md5Hash")


def is_url(filepath: str) -> bool:
    """True for ``scheme://...`` (any fsspec protocol), False for local paths."""
    return bool(_URL.match(filepath))


def _filesystem(url: str):
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec is a dependency
        raise BakeoffError(f"reading {url!r} needs fsspec: pip install fsspec") from None
    try:
        return fsspec.core.url_to_fs(url)
    except (ImportError, ValueError) as error:  # a protocol whose package is missing, e.g. s3fs, gcsfs, aiohttp
        raise BakeoffError(f"cannot open {url!r}: {error}") from None


def open_media(filepath: str) -> IO[bytes]:
    """A binary file object for a local path or a URL (``FileNotFoundError`` if it is not there)."""
    if not is_url(filepath):
        return open(filepath, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    fs, path = _filesystem(filepath)
    return fs.open(path, "rb")


def read_media(filepath: str) -> bytes:
    """All bytes of a local file or a URL."""
    with open_media(filepath) as f:
        return f.read()


def media_identity(filepath: str) -> tuple[int, int]:
    """``(size in bytes, modification stamp)``: a changed file gets a new identity.

    Local files: ``(st_size, st_mtime_ns)``. URLs: the size and the store's modification
    time (or ETag/hash when it has none), turned into an integer.
    """
    if not is_url(filepath):
        stat = os.stat(filepath)
        return stat.st_size, stat.st_mtime_ns
    fs, path = _filesystem(filepath)
    info = fs.info(path)
    if info.get("type") == "directory":
        raise IsADirectoryError(filepath)
    stamp = next((info[k] for k in _MTIME_KEYS if info.get(k) is not None), None)
    return int(info.get("size") or 0), _stamp(stamp)


def _stamp(value) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return int(value.timestamp() * 1e9)
    if isinstance(value, int | float):
        return int(value * 1e9) if value < 1e12 else int(value)
    return int(hashlib.sha1(str(value).encode()).hexdigest()[:15], 16)


def list_folder(url: str) -> list[tuple[str, bool]]:
    """``[(url, is_folder), ...]`` directly inside a folder URL, as full URLs."""
    fs, path = _filesystem(url)
    try:
        entries = fs.ls(path, detail=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"no folder at {url!r}") from None
    return [(fs.unstrip_protocol(e["name"]), e.get("type") == "directory") for e in entries
            if e["name"].rstrip("/") != path.rstrip("/")]


def local_or_buffer(filepath: str):
    """What Pillow should open: the path itself for local files (lazy reads), else the bytes in memory."""
    return filepath if not is_url(filepath) else io.BytesIO(read_media(filepath))
