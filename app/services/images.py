"""Profile pictures: accept only real JPEG, PNG or WEBP images and re-encode them clean.

The format is decided by the bytes (Pillow's detection), never by the file name or the
client's Content-Type. Every accepted picture is decoded whole (so corrupt data fails),
downscaled, turned upright and re-encoded from a fresh image, so no EXIF (GPS, camera
serials), XMP, comments or other metadata of the upload survives.

Status choices: a body over `max_bytes` is `PayloadTooLarge` (413); an image whose declared
dimensions exceed `max_pixels` or `max_dimension` a side (a decompression bomb) is `InvalidInput`
(422, field `file`), refused from its header before any pixel is decoded. Anything that is not a
decodable JPEG, PNG or WEBP is `UnsupportedMediaType` (415).

Memory: the caps bound a decode (16 MP of at most 4 bytes), and all that follows works on the
downscaled picture. JPEG is decoded straight at 1/2, 1/4 or 1/8 scale when that still covers the
output (`draft`). PNG and JPEG read only their header in `Image.open`. WEBP never reaches Pillow's
decoder: Pillow 13 drives every WEBP through libwebp's animation decoder, which allocates two canvases
of the picture already in `Image.open` (about 250 MB at the cap). A still WEBP is decoded by libwebp's
plain decoder (the `webp` package) into one array that Pillow then shares without a copy; an animated
WEBP still needs the animation decoder's two canvases for its first frame, so its cap is half the pixels.
Every format stays under about 150 MB at its cap (figures in docs/performance.md).
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import BinaryIO

import webp
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from app.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType

logger = logging.getLogger(__name__)

MAX_PICTURE_BYTES = 5 * 1024 * 1024
MAX_PICTURE_PIXELS = 16_000_000
MAX_PICTURE_DIMENSION = 8_000
MAX_PICTURE_SIDE = 1024

# Pillow format name -> (content type, file extension). WEBP is decoded by `_decode_webp`, never by Pillow.
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
# Modes that resize with LANCZOS as they are; any other (palette, 16-bit, ...) is converted first.
_RESAMPLED_MODES = ("RGB", "RGBA", "L", "LA", "CMYK")
_PILLOW_DECODED_FORMATS = ("JPEG", "PNG")
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
    max_dimension: int = MAX_PICTURE_DIMENSION,
    max_side: int = MAX_PICTURE_SIDE,
) -> ProcessedImage:
    """Validate an upload; return it re-encoded: upright, metadata-free, at most `max_side` wide and high."""
    body = _read_at_most(fileobj, max_bytes + 1)  # one byte more than allowed tells us it is too big
    if len(body) > max_bytes:
        raise PayloadTooLarge(f"The picture must be at most {max_bytes} bytes.")
    if not body:
        raise UnsupportedMediaType(_NOT_AN_IMAGE)

    try:
        if _is_webp(body):
            image_format = "WEBP"
            image, icc_profile = _decode_webp(body, max_pixels, max_dimension)
        else:
            image = _open_checked(body, max_pixels, max_dimension)
            image_format = image.format
            # Only an RGB profile can be baked into RGB pixels; decided on the upload's own mode.
            icc_profile = image.info.get("icc_profile") if image.mode in ("RGB", "RGBA") else None
            _draft(image, max_side)
            image.load()  # decode everything now, so truncated or corrupt data fails here
            # Let go of the file object and its decoder's buffers before the resize makes its working copies.
            image = image.copy()
        if image.mode not in _RESAMPLED_MODES:
            image = _convert_mode(image, image_format)
        # Downscale first: turning, colour conversion and re-encoding then work on at most max_side².
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
        image = ImageOps.exif_transpose(image)
        image = _to_srgb(image, icc_profile)
        image = _convert_mode(image, image_format)
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


def _open_checked(body: bytes, max_pixels: int, max_dimension: int) -> Image.Image:
    """Identify the image from its header, and refuse it before decoding if it has too many pixels."""
    try:
        image = Image.open(io.BytesIO(body), formats=_PILLOW_DECODED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own guard fired on the header (far beyond our cap, or warnings are errors).
        raise InvalidInput(f"The picture must have at most {max_pixels} pixels.", field="file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise UnsupportedMediaType(_NOT_AN_IMAGE) from None
    _check_dimensions(*image.size, max_pixels, max_dimension)
    return image


def _check_dimensions(width: int, height: int, max_pixels: int, max_dimension: int) -> None:
    if width * height > max_pixels or max(width, height) > max_dimension:
        raise InvalidInput(
            f"The picture must have at most {max_pixels} pixels and {max_dimension} pixels a side; "
            f"this one is {width}x{height}.",
            field="file",
        )
    if width == 0 or height == 0:
        raise UnsupportedMediaType(_UNREADABLE)


def _is_webp(body: bytes) -> bool:
    return body[:4] == b"RIFF" and body[8:12] == b"WEBP"


def _decode_webp(body: bytes, max_pixels: int, max_dimension: int) -> tuple[Image.Image, bytes | None]:
    """A WEBP's first frame as an RGB or RGBA image (with its EXIF in `info`), and its ICC profile.

    The size, alpha and animation come from libwebp's `WebPGetFeatures`, which reads the headers and
    allocates nothing; the caps are checked on them before any pixel is decoded.
    """
    data = webp.WebPData.from_buffer(body)
    features = webp.WebPDecoderConfig.new()
    try:
        features.read_features(data)
    except webp.WebPError:
        raise UnsupportedMediaType(_UNREADABLE) from None
    width, height = features.input.width, features.input.height
    animated = bool(features.input.has_animation)
    # The animation decoder holds two canvases besides the frame it returns.
    _check_dimensions(width, height, max_pixels // 2 if animated else max_pixels, max_dimension)
    mode = "RGBA" if features.input.has_alpha or animated else "RGB"
    try:
        if animated:
            options = webp.WebPAnimDecoderOptions.new(color_mode=webp.WebPColorMode.RGBA)
            pixels, _ = webp.WebPAnimDecoder.new(data, options).decode_frame()
        else:
            pixels = data.decode(webp.WebPColorMode[mode])
    except webp.WebPError:
        raise UnsupportedMediaType(_UNREADABLE) from None
    image = Image.fromarray(pixels)  # RGB or RGBA by the array's shape; shares its memory
    chunks = _riff_chunks(body)
    if b"EXIF" in chunks:
        image.info["exif"] = chunks[b"EXIF"]  # read by ImageOps.exif_transpose, dropped by the clean copy
    return image, chunks.get(b"ICCP")


def _riff_chunks(body: bytes) -> dict[bytes, bytes]:
    """The top-level chunks of a RIFF container (the first of each kind), by FourCC."""
    chunks: dict[bytes, bytes] = {}
    offset, end = 12, min(len(body), 8 + int.from_bytes(body[4:8], "little"))
    while offset + 8 <= end:
        kind, size = body[offset:offset + 4], int.from_bytes(body[offset + 4:offset + 8], "little")
        chunks.setdefault(kind, body[offset + 8:offset + 8 + size])
        offset += 8 + size + (size & 1)  # chunks are padded to an even length
    return chunks


def _draft(image: Image.Image, max_side: int) -> None:
    """Ask the decoder for a smaller picture that still covers the output (JPEG scales by 1/2, 1/4, 1/8)."""
    width, height = image.size
    scale = max_side / max(width, height)
    if scale < 1:
        image.draft(None, (max(1, int(width * scale)), max(1, int(height * scale))))


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Bake an embedded colour profile into sRGB pixels, so dropping the profile keeps the colours."""
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
