"""Decoding image files into RGB PIL images the way every model expects them.

- JPEG draft mode: a large JPEG is decoded at a reduced scale (a power of
  two, never below ``draft_size`` on either side) — far faster, and the model
  resizes to its input size anyway.
- EXIF orientation is applied.
- Greyscale, CMYK, palette, 16-bit and float images become 8-bit RGB; alpha
  is composited onto white.
- Decompression bombs: images above ``max_pixels`` are refused from the header,
  before any pixel is decoded.

Every failure raises :class:`ImageDecodeError` naming the file and the reason.
"""

from __future__ import annotations

import os

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from bakeoff.core.media import local_or_buffer, media_identity
from bakeoff.errors import BakeoffError

#: Images with more pixels than this are refused (about 15,000 x 15,000).
DEFAULT_MAX_PIXELS = 250_000_000
#: JPEGs are decoded at the smallest power-of-two scale that keeps both sides at least this large.
DEFAULT_DRAFT_SIZE = 512


class ImageDecodeError(BakeoffError, OSError):
    """An image file could not be read or decoded."""

    def __init__(self, filepath: str, reason: str) -> None:
        super().__init__(f"cannot read image {filepath!r}: {reason}")
        self.filepath, self.reason = filepath, reason


def file_identity(filepath: str) -> tuple[int, int]:
    """``(size in bytes, modification stamp)``: a changed file gets a new identity (local path or URL)."""
    return media_identity(filepath)


def load_image(filepath: str, max_pixels: int = DEFAULT_MAX_PIXELS, draft_size: int | None = DEFAULT_DRAFT_SIZE
               ) -> Image.Image:
    """Decode ``filepath`` into an 8-bit RGB image; raises :class:`ImageDecodeError`.

    Example::

        image = load_image("/data/horse.jpg")
        model.predict([image])
    """
    try:
        source = local_or_buffer(filepath)
        if (os.path.getsize(source) if isinstance(source, str) else source.getbuffer().nbytes) == 0:
            raise ImageDecodeError(filepath, "the file is empty (0 bytes)")
        with Image.open(source) as image:
            width, height = image.size
            if width * height > max_pixels:
                raise ImageDecodeError(
                    filepath, f"{width}x{height} = {width * height:,} pixels is above the limit of {max_pixels:,} "
                              "(a possible decompression bomb); raise max_pixels if the image is genuine")
            if draft_size and image.format == "JPEG" and min(width, height) >= 2 * draft_size:
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            image = ImageOps.exif_transpose(image)
            return to_rgb(image)
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
    except (OSError, SyntaxError, ValueError) as error:  # truncated or corrupt data
        raise ImageDecodeError(filepath, f"{type(error).__name__}: {error}") from None


def to_rgb(image: Image.Image) -> Image.Image:
    """8-bit RGB from any Pillow mode (alpha composited onto white, 16-bit and float rescaled)."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or array.max(initial=0) > 255 else 255.0
        if mode == "F":
            low, top = array.min(initial=0.0), max(array.max(initial=1.0), 1e-12)
            array = (array - low) / (top - low or 1.0) * 255.0
        else:
            array = array / top * 255.0
        return Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), mode="L").convert("RGB")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
        mode = image.mode
    if mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")  # L, 1, CMYK, YCbCr, LAB, HSV
