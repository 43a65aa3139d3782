"""Image metadata (size, type, dimensions), read from file headers in threads."""

from __future__ import annotations

import io
import mimetypes
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from bakeoff.core.document import EmbeddedDocument
from bakeoff.core.fields import IntField, StringField


class ImageMetadata(EmbeddedDocument):
    """``size_bytes``, ``mime_type``, ``width``, ``height``, ``num_channels`` of an image file."""

    _fields = {
        "size_bytes": IntField(),
        "mime_type": StringField(),
        "width": IntField(),
        "height": IntField(),
        "num_channels": IntField(),
    }

    @classmethod
    def build_for(cls, filepath: str) -> ImageMetadata:
        """Read the header of ``filepath`` (no full decode). Raises OSError if unreadable."""
        from PIL import Image

        from bakeoff.core.media import is_url, open_media

        if is_url(filepath):
            with open_media(filepath) as f:
                data = f.read()
            size, source = len(data), io.BytesIO(data)
        else:
            size, source = os.path.getsize(filepath), filepath
        with Image.open(source) as image:
            width, height = image.size
            channels = len(image.getbands())
            mime = Image.MIME.get(image.format or "") or mimetypes.guess_type(filepath)[0]
        return cls(size_bytes=size, mime_type=mime, width=width, height=height, num_channels=channels)


Metadata = ImageMetadata


def read_metadata(filepaths: Sequence[str], num_workers: int | None = None) -> Iterator[tuple[ImageMetadata | None, str | None]]:
    """``(metadata, error)`` for each path, in order; header reads run in threads."""

    def one(path: str):
        try:
            return ImageMetadata.build_for(path), None
        except Exception as error:  # noqa: BLE001 - any decoder failure is recorded, not raised
            return None, f"{type(error).__name__}: {error}"

    workers = num_workers or min(8, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(one, filepaths, chunksize=64)
