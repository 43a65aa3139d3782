"""Images for the page: originals and cached thumbnails, served by sample id only.

A request names a dataset and a sample id, never a path, so no request can
reach a file that is not a sample of the dataset. The file is then checked to
be a regular image file (a sample whose path was turned into a symlink to some
other file is refused unless that file really is an image), and sent with
``nosniff`` so a browser never runs it as anything else.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from PIL import Image

from bakeoff._config import config
from bakeoff.media.decode import ImageDecodeError, load_image
from bakeoff.media.files import is_url, media_identity, read_media

router = APIRouter(tags=["media"])

_MIME = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif", "WEBP": "image/webp", "BMP": "image/bmp",
         "TIFF": "image/tiff", "MPO": "image/jpeg"}
_BROWSER_SAFE = {"image/jpeg", "image/png", "image/gif", "image/webp", "image/bmp"}
_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, max-age=60"}


def _sample_file(request: Request, dataset: str, sample_id: str) -> str:
    """The sample's file: a resolved local path, or its URL (``s3://``, ``memory://``...)."""
    sample = request.app.state.bakeoff.dataset(dataset)[sample_id]  # SampleNotFoundError -> 404
    if is_url(sample.filepath):
        return sample.filepath
    path = os.path.realpath(sample.filepath)
    if not os.path.isfile(path):
        raise HTTPException(404, f"the image of sample {sample_id} is missing: {sample.filepath!r}")
    return path


def _image_format(source, filepath: str) -> str:
    try:
        with Image.open(source) as image:
            return image.format or ""
    except OSError as error:  # Pillow's UnidentifiedImageError included: the server answers 415
        raise ImageDecodeError(filepath, f"not a readable image: {error}") from None


@router.get("/media/{dataset}/{sample_id}", summary="The sample's original image")
def media(request: Request, dataset: str, sample_id: str) -> Response:
    path = _sample_file(request, dataset, sample_id)
    if is_url(path):
        data = _read(path)
        mime = _MIME.get(_image_format(io.BytesIO(data), path))
        if mime not in _BROWSER_SAFE:
            return _render(path, 2048)
        return Response(data, media_type=mime, headers=_HEADERS)
    mime = _MIME.get(_image_format(path, path))
    if mime not in _BROWSER_SAFE:
        return _render(path, 2048)  # TIFF and friends: send a JPEG the browser can show
    return FileResponse(path, media_type=mime, headers=_HEADERS)


def _read(url: str) -> bytes:
    try:
        return read_media(url)
    except FileNotFoundError:
        raise HTTPException(404, f"the image is missing: {url!r}") from None
    except OSError as error:
        raise HTTPException(502, f"cannot read {url!r}: {error}") from None


@router.get("/thumbnails/{dataset}/{sample_id}", summary="A JPEG thumbnail, made once and cached")
def thumbnail(request: Request, dataset: str, sample_id: str, size: int = Query(256, ge=32, le=1024)) -> Response:
    path = _sample_file(request, dataset, sample_id)
    try:
        length, stamp = media_identity(path)
    except FileNotFoundError:
        raise HTTPException(404, f"the image is missing: {path!r}") from None
    key = hashlib.sha1(f"{path}|{length}|{stamp}|{size}".encode()).hexdigest()
    cached = thumbnail_dir() / key[:2] / f"{key}.jpg"
    if not cached.is_file():
        image = _decode(path, size)
        image.thumbnail((size, size))
        cached.parent.mkdir(parents=True, exist_ok=True)
        # a temp file of its own per request (threads of one process race for the same thumbnail), then an
        # atomic rename: concurrent requests never see half a file, and the last rename wins with the same bytes
        descriptor, partial = tempfile.mkstemp(dir=cached.parent, prefix=f"{key}.", suffix=".part")
        try:
            with os.fdopen(descriptor, "wb") as out:
                image.save(out, "JPEG", quality=82)
            os.replace(partial, cached)
        except BaseException:
            Path(partial).unlink(missing_ok=True)
            raise
    return FileResponse(cached, media_type="image/jpeg", headers=_HEADERS)


def thumbnail_dir() -> Path:
    return config.home / "thumbnails"


#: the thumbnail cache is trimmed to this size (oldest first) when an App starts
THUMBNAIL_CACHE_BYTES = 2 * 1024**3


def prune_thumbnails(limit_bytes: int = THUMBNAIL_CACHE_BYTES) -> int:
    """Delete the least recently written thumbnails until the cache fits ``limit_bytes``; returns files deleted."""
    folder = thumbnail_dir()
    if not folder.is_dir():
        return 0
    files = []
    for path in folder.glob("*/*.jpg"):
        try:
            stat = path.stat()
        except FileNotFoundError:
            continue
        files.append((stat.st_mtime, stat.st_size, path))
    total = sum(size for _, size, _ in files)
    deleted = 0
    for _, size, path in sorted(files):
        if total <= limit_bytes:
            break
        path.unlink(missing_ok=True)
        total -= size
        deleted += 1
    return deleted


def _decode(path: str, size: int) -> Image.Image:
    return load_image(path, draft_size=size)  # ImageDecodeError: the server answers 415 with the reason


def _render(path: str, size: int) -> Response:
    image = _decode(path, size)
    image.thumbnail((size, size))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return Response(buffer.getvalue(), media_type="image/jpeg", headers=_HEADERS)
