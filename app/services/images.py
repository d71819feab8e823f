"""Profile pictures: accept only real JPEG, PNG or WEBP images and re-encode them clean.

The format is decided by the bytes (Pillow's detection), never by the file name or the
client's Content-Type. Every accepted picture is decoded fully, turned upright, downscaled
and re-encoded from a fresh image, so no EXIF (GPS, camera serials), XMP, comments or
other metadata of the upload survives.

Status choices: a body over `max_bytes`, and an image whose declared dimensions exceed
`max_pixels` (a decompression bomb), are both `PayloadTooLarge` (413): the picture is too
big, in bytes or in pixels. Anything that is not a decodable JPEG, PNG or WEBP is
`UnsupportedMediaType` (415).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.errors import PayloadTooLarge, UnsupportedMediaType

logger = logging.getLogger(__name__)

MAX_PICTURE_BYTES = 5 * 1024 * 1024
MAX_PICTURE_PIXELS = 40_000_000
MAX_PICTURE_SIDE = 1024

# Pillow format name -> (content type, file extension). Only these plugins are ever tried.
_ACCEPTED_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
_SAVE_OPTIONS = {
    "JPEG": {"quality": 85, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 85, "method": 4},
}
_NOT_AN_IMAGE = "The file must be a JPEG, PNG or WEBP image."
_UNREADABLE = "The image could not be read; it may be corrupt or truncated."


@dataclass(frozen=True)
class ProcessedImage:
    data: bytes
    content_type: str
    extension: str


def process_profile_picture(
    fileobj: BinaryIO,
    *,
    max_bytes: int = MAX_PICTURE_BYTES,
    max_pixels: int = MAX_PICTURE_PIXELS,
    max_side: int = MAX_PICTURE_SIDE,
) -> ProcessedImage:
    """Validate an upload; return it re-encoded: upright, metadata-free, at most `max_side` wide and high."""
    body = _read_at_most(fileobj, max_bytes + 1)  # one byte more than allowed tells us it is too big
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"The picture must be at most {max_bytes} bytes.")
    if not body:
        raise UnsupportedMediaType(_NOT_AN_IMAGE)

    image = _open_checked(body, max_pixels)
    image_format = image.format
    try:
        image.load()  # decode everything now, so truncated or corrupt data fails here
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image)
        image = _convert_mode(image, image_format)
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        # A fresh image carries pixels only: no info dict, EXIF, ICC, XMP or text chunks.
        clean = Image.frombytes(image.mode, image.size, image.tobytes())
        output = io.BytesIO()
        clean.save(output, format=image_format, **_SAVE_OPTIONS[image_format])
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError) as error:
        logger.info("Rejected unreadable %s picture: %s", image_format, error)
        raise UnsupportedMediaType(_UNREADABLE) from None

    content_type, extension = _ACCEPTED_FORMATS[image_format]
    return ProcessedImage(data=output.getvalue(), content_type=content_type, extension=extension)


def _read_at_most(fileobj: BinaryIO, limit: int) -> bytes:
    """Up to `limit` bytes; loops because a raw stream (a socket, say) may return short reads."""
    chunks, remaining = [], limit
    while remaining > 0:
        chunk = fileobj.read(min(remaining, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def _open_checked(body: bytes, max_pixels: int) -> Image.Image:
    """Identify the image from its header, and refuse it before decoding if it has too many pixels."""
    try:
        image = Image.open(io.BytesIO(body), formats=tuple(_ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fired on the header (far beyond our cap, or warnings are errors).
        raise PayloadTooLarge(f"The picture must have at most {max_pixels} pixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsupportedMediaType(_NOT_AN_IMAGE) from None
    width, height = image.size
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"The picture must have at most {max_pixels} pixels; this one is {width}x{height}."
        )
    if width == 0 or height == 0:
        raise UnsupportedMediaType(_UNREADABLE)
    return image


def _to_srgb(image: Image.Image) -> Image.Image:
    """Bake an embedded colour profile into sRGB pixels, so dropping the profile keeps the colours."""
    icc_profile = image.info.get("icc_profile")
    if not icc_profile or image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as error:
        logger.info("Ignoring an unusable colour profile: %s", error)
        return image


def _convert_mode(image: Image.Image, image_format: str) -> Image.Image:
    """The mode the output format can hold: RGB or L for JPEG; keep transparency for PNG and WEBP."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if image_format == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if image_format == "PNG" and image.mode in ("RGB", "RGBA", "L", "LA"):
        return image
    if image_format == "WEBP" and image.mode in ("RGB", "RGBA"):
        return image
    return image.convert("RGBA" if has_alpha else "RGB")
