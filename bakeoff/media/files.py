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

import errno
import hashlib
import io
import os
import re
import stat
from datetime import datetime
from typing import IO

from bakeoff.errors import BakeoffError, ImageDecodeError

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


_KINDS = ((stat.S_ISFIFO, "named pipe"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "character device"),
          (stat.S_ISBLK, "block device"))


def _not_regular_reason(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "it is a folder, not a file"
    kind = next((name for test, name in _KINDS if test(mode)), "special file")
    return f"not a regular file ({kind}); only regular files are read as images, so point the sample at the image file"


def _link_target(filepath: str | os.PathLike[str]) -> str | None:
    try:
        return os.readlink(filepath)
    except OSError:
        return None


def regular_file_stat(filepath: str | os.PathLike[str]) -> os.stat_result:
    """``os.stat`` of a local path that must be a regular file (symlinks followed), checked without opening it.

    Opening a named pipe blocks until a writer comes, and a device or socket is no image either, so
    every local read of media starts here. Raises :class:`ImageDecodeError` with the reason for a
    dangling symlink, a symlink loop, a folder, a named pipe, a socket or a device;
    ``FileNotFoundError`` (as before) when there is nothing at the path.
    """
    try:
        info = os.stat(filepath)
    except FileNotFoundError:
        target = _link_target(filepath)
        if target is None:
            raise  # nothing at the path: FileNotFoundError, as everywhere else
        raise ImageDecodeError(os.fspath(filepath), f"dangling symlink: its target {target!r} does not exist; "
                                                    "restore the target or remove the link") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ImageDecodeError(os.fspath(filepath), "symlink loop: following the link never reaches a "
                                                        "file; point it at the image file or remove it") from None
        raise
    if not stat.S_ISREG(info.st_mode):
        raise ImageDecodeError(os.fspath(filepath), _not_regular_reason(info.st_mode))
    return info


def open_regular_file(filepath: str | os.PathLike[str]) -> IO[bytes]:
    """Open a local regular file for reading; anything else raises before a read can block.

    The path is checked first (:func:`regular_file_stat`), then opened with ``O_NONBLOCK`` and the
    open descriptor checked again, so a file swapped for a named pipe in between cannot hang the
    caller either.
    """
    regular_file_stat(filepath)
    file = open(filepath, "rb", opener=_open_nonblocking)  # noqa: SIM115 - returned to the caller, who closes it
    try:
        mode = os.fstat(file.fileno()).st_mode
        if not stat.S_ISREG(mode):
            raise ImageDecodeError(os.fspath(filepath), _not_regular_reason(mode))
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(file.fileno(), True)  # reads of a regular file never block; be plain anyway
        return file
    except BaseException:
        file.close()
        raise


def _open_nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def open_media(filepath: str) -> IO[bytes]:
    """A binary file object for a local path or a URL (``FileNotFoundError`` if it is not there).

    Local paths must be regular files (:func:`open_regular_file`): a named pipe, socket, device,
    folder, dangling symlink or symlink loop raises :class:`ImageDecodeError` instead of blocking.
    """
    if not is_url(filepath):
        return open_regular_file(filepath)
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
        raise ImageDecodeError(filepath, "it is a folder, not a file")
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
    """What Pillow should open: the path itself for local regular files (lazy reads), else the bytes in memory.

    A local path that is no regular file raises :class:`ImageDecodeError` (see :func:`regular_file_stat`).
    """
    if is_url(filepath):
        return io.BytesIO(read_media(filepath))
    regular_file_stat(filepath)
    return filepath
