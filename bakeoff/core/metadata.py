"""Image metadata (size, type, dimensions), read from file headers in threads."""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import IntField, StringField
from bakeoff.errors import ImageDecodeError


class ImageMetadata(EmbeddedDocument):
    """``size_bytes``, ``mime_type``, ``width``, ``height``, ``num_channels`` of an image file."""

    _fields = {
        "size_bytes": IntField(),
        "mime_type": StringField(),
        "width": IntField(),
        "height": IntField(),
        "num_channels": IntField(),
    }
    size_bytes: int | None
    mime_type: str | None
    width: int | None
    height: int | None
    num_channels: int | None

    @classmethod
    def build_for(cls, filepath: str) -> ImageMetadata:
        """Read the header of ``filepath``; raises OSError if unreadable.

        Local paths must be regular files (a named pipe, socket, device, folder, dangling symlink or
        symlink loop raises :class:`~bakeoff.errors.ImageDecodeError` without being opened for a
        blocking read). A JPEG, PNG or GIF must also be complete: one that does not end with its end
        marker is decoded (a JPEG at 1/8 scale), so a truncated file fails here as it would in
        ``apply_model``; a PNG's chunk checksums are checked too (damage inside the file). Pixels
        are not decoded: damage only decoding finds shows up in ``apply_model``'s failures.
        """
        from PIL import Image, UnidentifiedImageError

        from bakeoff.media.files import is_url, open_media

        source: IO[bytes]
        with open_media(filepath) as f:
            if is_url(filepath):
                data = f.read()
                size, source = len(data), io.BytesIO(data)
            else:
                size, source = os.fstat(f.fileno()).st_size, f
            try:
                image = Image.open(source)
            except UnidentifiedImageError:  # Pillow would name the file object, not the path
                raise UnidentifiedImageError(f"cannot identify image file {filepath!r}") from None
            with image:
                width, height = image.size
                channels = len(image.getbands())
                mime = Image.MIME.get(image.format or "") or mimetypes.guess_type(filepath)[0]
                check_complete(image, source, size)
        return cls(size_bytes=size, mime_type=mime, width=width, height=height, num_channels=channels)


#: How the last 64 bytes of a complete file look: a JPEG's end-of-image marker (never inside entropy-coded
#: data), a PNG's IEND chunk, a GIF's block terminator and trailer at the very end.
_COMPLETE = {
    "JPEG": lambda tail: b"\xff\xd9" in tail,
    "MPO": lambda tail: b"\xff\xd9" in tail,
    "PNG": lambda tail: b"\x00\x00\x00\x00IEND\xaeB`\x82" in tail,
    "GIF": lambda tail: tail.endswith(b"\x00\x3b"),
}
_TAIL = 64


def check_complete(image, source, size: int) -> None:
    """Raise OSError (as the decoder would) if a JPEG, PNG or GIF is truncated or a PNG damaged; others pass.

    Cheap when the file ends as a complete one does: one read of the last 64 bytes, and for a PNG
    one pass over its chunks' CRC-32 checksums (a damaged PNG that still ends with IEND is refused
    by the decoder too). Otherwise the image is decoded: a JPEG at 1/8 scale, a PNG or GIF in full unless its pixels would exceed the
    decoder's ``DEFAULT_MAX_DECODED_BYTES`` (the decoder refuses such an image anyway).
    """
    looks_complete = _COMPLETE.get(image.format or "")
    if looks_complete is None:
        return
    source.seek(max(0, size - _TAIL))
    if looks_complete(source.read(_TAIL)):
        if image.format == "PNG":
            _verify_png(source)
        return
    if image.format in ("JPEG", "MPO"):
        image.draft(None, (1, 1))
    else:
        from bakeoff.media.decode import DEFAULT_MAX_DECODED_BYTES, decoded_bytes_per_pixel

        if image.size[0] * image.size[1] * decoded_bytes_per_pixel(image.mode) > DEFAULT_MAX_DECODED_BYTES:
            return
    image.load()


def _verify_png(source) -> None:
    """Pillow's ``verify()`` of a fresh read of ``source``: every chunk's CRC, without decoding pixels."""
    from PIL import Image

    source.seek(0)
    try:
        with Image.open(source) as fresh:
            fresh.verify()
    except SyntaxError as error:  # Pillow reports a bad checksum as a SyntaxError; the decoder raises OSError
        raise OSError(str(error)) from None


Metadata = ImageMetadata


def read_metadata(filepaths: Sequence[str], num_workers: int | None = None) -> Iterator[tuple[ImageMetadata | None, str | None]]:
    """``(metadata, error)`` for each path, in order; header reads run in threads."""

    def one(path: str):
        try:
            return ImageMetadata.build_for(path), None
        except ImageDecodeError as error:  # a dangling symlink, a named pipe...: the reason, without the path again
            return None, f"{type(error).__name__}: {error.reason}"
        except Exception as error:  # noqa: BLE001 - any decoder failure is recorded, not raised
            return None, f"{type(error).__name__}: {error}"

    workers = num_workers or min(8, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(one, filepaths, chunksize=64)
