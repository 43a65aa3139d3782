"""Decoding image files into RGB PIL images the way every model expects them.

- Only regular files are read: a named pipe, socket, device, folder, dangling
  symlink or symlink loop is a failure with its reason, never a hang.
- JPEG draft mode: a large JPEG is decoded at a reduced scale (a power of
  two, never below ``draft_size`` on either side) — far faster, and the model
  resizes to its input size anyway.
- 16-bit and 32-bit (integer or float) images are reduced right after decoding
  (a box average over an integer factor, never below ``draft_size`` on either
  side) and scaled to 8 bits in bands of rows, so they never take more memory
  than the 8-bit image of the same size would; Pillow cannot draft them.
- EXIF orientation is applied.
- Greyscale, CMYK, palette, 16-bit and float images become 8-bit RGB; alpha
  is composited onto white.
- Memory is bounded in bytes, not pixels: before any pixel is decoded, the
  bytes the decode will hold (the pixels at their bit depth and bands as Pillow
  stores them, plus the 8-bit RGB result) are estimated from the header, and
  images above ``max_decoded_bytes`` (:data:`DEFAULT_MAX_DECODED_BYTES`, 1 GiB)
  are refused.
- Decompression bombs: images above ``max_pixels`` are refused from the header,
  and Pillow's own check (``PIL.Image.MAX_IMAGE_PIXELS``) still applies.

Every failure raises :class:`ImageDecodeError` naming the file and the reason.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, cast

import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from bakeoff.media.files import ImageDecodeError, is_url, media_identity, open_media, read_media

__all__ = ["DEFAULT_DRAFT_SIZE", "DEFAULT_MAX_DECODED_BYTES", "DEFAULT_MAX_PIXELS", "ImageDecodeError",
           "decoded_bytes_per_pixel", "estimate_decoded_bytes", "file_identity", "load_image", "to_rgb"]

#: Images with more pixels than this are refused (about 15,000 x 15,000).
DEFAULT_MAX_PIXELS = 250_000_000
#: JPEGs are decoded at the smallest power-of-two scale that keeps both sides at least this large.
DEFAULT_DRAFT_SIZE = 512
#: The most memory one image may take while it is decoded, in bytes (see :func:`estimate_decoded_bytes`).
#: Read on every call of :func:`load_image` that passes no ``max_decoded_bytes``, so setting
#: ``bakeoff.media.decode.DEFAULT_MAX_DECODED_BYTES`` changes it for apply_model and the App alike.
#: 1 GiB admits every 8-bit RGB image under the pixel limit and every image Pillow's own bomb check lets
#: through in the common modes, while apply_model's 8 decoding threads stay within about 8 GiB.
DEFAULT_MAX_DECODED_BYTES = 1 << 30

#: Modes with more than 8 bits per sample: scaled to 8 bits (and reduced) in bands, never as one float copy.
DEEP_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I", "F"})
#: Pixels per band when a deep image is scaled to 8 bits (a band's float64 copy is 16 MiB).
_BAND_PIXELS = 1 << 21

_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


def file_identity(filepath: str) -> tuple[int, int]:
    """``(size in bytes, modification stamp)``: a changed file gets a new identity (local path or URL)."""
    return media_identity(filepath)


def decoded_bytes_per_pixel(mode: str) -> int:
    """Bytes Pillow holds per pixel of ``mode``: 1 for ``1``/``L``/``P``, 2 for 16-bit greyscale, else 4.

    RGB takes 4 bytes like RGBA, CMYK, ``I`` and ``F`` (Pillow pads 3 bands to 4).
    """
    if mode in ("1", "L", "P"):
        return 1
    if mode.startswith("I;16") or mode in ("BGR;15", "BGR;16"):
        return 2
    return 3 if mode == "BGR;24" else 4


def estimate_decoded_bytes(mode: str, size: tuple[int, int], reduce: int = 1) -> int:
    """The bytes :func:`load_image` holds for an image of ``mode`` and ``size`` (after any JPEG draft).

    The decoded pixels at their bit depth and bands, plus the 8-bit RGB result (4 bytes a pixel,
    at the size after a ``reduce`` factor) unless the image is RGB already.

    Example::

        >>> estimate_decoded_bytes("I;16", (12_000, 12_000))   # 16-bit pixels + the RGB result
        864000000
    """
    width, height = size
    total = width * height * decoded_bytes_per_pixel(mode)
    if mode != "RGB":
        total += -(-width // reduce) * -(-height // reduce) * 4
    return total


def load_image(filepath: str | os.PathLike[str], max_pixels: int = DEFAULT_MAX_PIXELS,
               draft_size: int | None = DEFAULT_DRAFT_SIZE, max_decoded_bytes: int | None = None) -> Image.Image:
    """Decode ``filepath`` into an 8-bit RGB image; raises :class:`ImageDecodeError`.

    ``max_decoded_bytes`` defaults to :data:`DEFAULT_MAX_DECODED_BYTES` (read at call time).

    Example::

        image = load_image("/data/horse.jpg")
        model.predict([image])
    """
    filepath = os.fspath(filepath)
    limit = DEFAULT_MAX_DECODED_BYTES if max_decoded_bytes is None else max_decoded_bytes
    try:
        with _open(filepath) as (source, size):
            if size == 0:
                raise ImageDecodeError(filepath, "the file is empty (0 bytes)")
            with Image.open(source) as image:
                return _decode(filepath, image, max_pixels, draft_size, limit)
    except ImageDecodeError:
        raise
    except FileNotFoundError:
        raise ImageDecodeError(filepath, "the file does not exist") from None
    except IsADirectoryError:
        raise ImageDecodeError(filepath, "it is a folder, not a file") from None
    except PermissionError:
        raise ImageDecodeError(filepath, "permission denied") from None
    except UnidentifiedImageError:
        raise ImageDecodeError(filepath, "not an image Pillow can identify (wrong extension or corrupt)") from None
    except Image.DecompressionBombError as error:
        raise ImageDecodeError(filepath, f"decompression bomb refused by Pillow: {error}") from None
    except MemoryError:
        raise ImageDecodeError(filepath, "out of memory while decoding; lower max_decoded_bytes or decode "
                                         "fewer images at once") from None
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageDecodeError(filepath, f"{type(error).__name__}: {error}") from None


@contextmanager
def _open(filepath: str) -> Iterator[tuple[IO[bytes], int]]:
    """``(file, size)``: a regular local file, opened without blocking (see ``open_media``), or a URL's bytes."""
    if is_url(filepath):
        data = read_media(filepath)
        yield io.BytesIO(data), len(data)
        return
    with open_media(filepath) as file:
        yield file, os.fstat(file.fileno()).st_size


def _decode(filepath: str, image: Image.Image, max_pixels: int, draft_size: int | None, limit: int) -> Image.Image:
    width, height = image.size
    if width * height > max_pixels:
        raise ImageDecodeError(
            filepath, f"{width}x{height} = {width * height:,} pixels is above the limit of {max_pixels:,} "
                      "(a possible decompression bomb); raise max_pixels if the image is genuine")
    if draft_size and image.format == "JPEG" and min(width, height) >= 2 * draft_size:
        image.draft("RGB", (draft_size, draft_size))
    reduce = 1
    if draft_size and image.mode in DEEP_MODES and min(image.size) >= 2 * draft_size:
        reduce = min(image.size) // draft_size
    needed = estimate_decoded_bytes(image.mode, image.size, reduce)
    if needed > limit:
        raise ImageDecodeError(
            filepath, f"decoding it needs about {_mib(needed)} ({image.size[0]}x{image.size[1]} pixels in mode "
                      f"{image.mode!r}, {decoded_bytes_per_pixel(image.mode)} bytes each, plus the 8-bit RGB copy), "
                      f"above the limit of {_mib(limit)}; raise max_decoded_bytes "
                      "(bakeoff.media.decode.DEFAULT_MAX_DECODED_BYTES) if this machine has the memory")
    image.load()
    if image.mode not in DEEP_MODES:
        ImageOps.exif_transpose(image, in_place=True)  # no copy unless the image is rotated
        return to_rgb(image)
    transpose = _TRANSPOSE.get(image.getexif().get(ExifTags.Base.Orientation, 1))
    grey = _deep_to_grey(image, reduce)
    image.close()  # frees the deep pixels before the RGB copy is made
    return to_rgb(grey.transpose(transpose) if transpose is not None else grey)


def _mib(n: int) -> str:
    """``"1.00 GiB"``, ``"824 MiB"``, or exact bytes below 10 MiB (``"960,000 bytes"``)."""
    if n >= 2**30:
        return f"{n / 2**30:.2f} GiB"
    return f"{n / 2**20:,.0f} MiB" if n >= 10 * 2**20 else f"{n:,} bytes"


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from any Pillow mode (alpha composited onto white, 16-bit and float rescaled)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in DEEP_MODES:
        return _deep_to_grey(image).convert("RGB")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV


def _deep_to_grey(image: Image.Image, reduce: int = 1) -> Image.Image:
    """An 8-bit ``L`` image from a 16-bit, ``I`` or ``F`` one, ``reduce`` times smaller (box average).

    16-bit values scale from 0..65535, ``I`` from 0..255 (or 0..65535 when any value is above 255),
    ``F`` from its own range (stretched to include 0..1). Rows are converted a band at a time: only
    the 8-bit result and one band's float copy exist besides the decoded image.
    """
    mode = image.mode
    # Pillow types getextrema() for every mode; these one-band modes give (min, max), not one pair per band
    low, high = cast("tuple[float, float]", image.getextrema())
    if mode == "F":
        low, top = min(low, 0.0), max(high, 1.0)
    else:
        low, top = 0, 65535.0 if mode.startswith("I;16") or high > 255 else 255.0
    span = (top - low) or 1.0
    width, height = image.size
    out = np.empty((-(-height // reduce), -(-width // reduce)), dtype=np.uint8)
    rows = max(reduce, _BAND_PIXELS // max(width, 1) // reduce * reduce)
    for first in range(0, height, rows):
        band = np.asarray(image.crop((0, first, width, min(height, first + rows))), dtype=np.float64)
        if reduce > 1:
            band = _box_mean(band, reduce)
        band = (band - low) / span * 255.0 if mode == "F" else band / top * 255.0
        np.nan_to_num(band, copy=False, nan=0.0)
        np.clip(band, 0, 255, out=band)
        out[first // reduce:first // reduce + band.shape[0]] = band  # truncates, as the full-image conversion did
    return Image.fromarray(out)  # 2-D uint8: mode L


def _box_mean(band: np.ndarray, factor: int) -> np.ndarray:
    """The mean of each ``factor`` x ``factor`` block (partial blocks at the edges average what they hold)."""
    height, width = band.shape
    rows, cols = np.arange(0, height, factor), np.arange(0, width, factor)
    sums = np.add.reduceat(np.add.reduceat(band, rows, axis=0), cols, axis=1)
    counts = np.outer(np.diff(np.append(rows, height)), np.diff(np.append(cols, width)))
    return sums / counts
