"""Profile picture processing: format by content, size and pixel limits, clean re-encoding."""

import io
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from app.errors import PayloadTooLarge, UnsupportedMediaType
from app.services.images import process_profile_picture


def encode(image, image_format, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def decode(data):
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_chunk(kind, payload):
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width, height):
    """A PNG that declares width x height but carries (almost) no pixel data."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    idat = zlib.compress(b"\x00" * 16)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


def exif_with_gps():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x0110] = "Model 7"  # Model
    exif[0x0131] = "Editor 1.0"  # Software
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS IFD
    return exif


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_accepts_each_supported_format_and_keeps_it(image_format, content_type, extension):
    original = Image.new("RGB", (64, 48), (200, 30, 30))
    result = process_profile_picture(io.BytesIO(encode(original, image_format)))
    assert (result.content_type, result.extension) == (content_type, extension)
    output = decode(result.data)
    assert output.format == image_format
    assert output.size == (64, 48)
    red, green, blue = output.convert("RGB").getpixel((32, 24))
    assert red > 150 and green < 80 and blue < 80


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_transparency_is_kept_for_png_and_webp(image_format):
    original = Image.new("RGBA", (20, 20), (0, 0, 255, 0))
    original.putpixel((5, 5), (0, 0, 255, 255))
    output = decode(process_profile_picture(io.BytesIO(encode(original, image_format, lossless=True))).data)
    assert output.mode == "RGBA"
    assert output.getpixel((0, 0))[3] == 0
    assert output.getpixel((5, 5))[3] == 255


def test_palette_png_with_transparency_keeps_it():
    original = Image.new("P", (10, 10), 0)
    original.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    original.putpixel((1, 1), 1)
    output = decode(process_profile_picture(io.BytesIO(encode(original, "PNG", transparency=0))).data)
    assert output.getpixel((0, 0))[3] == 0
    assert output.getpixel((1, 1)) == (0, 255, 0, 255)


def test_cmyk_jpeg_becomes_rgb():
    original = Image.new("CMYK", (10, 10), (0, 255, 255, 0))
    output = decode(process_profile_picture(io.BytesIO(encode(original, "JPEG"))).data)
    assert output.mode == "RGB"


def test_renamed_text_file_is_unsupported():
    upload = io.BytesIO(b"hello")
    upload.name = "x.png"
    with pytest.raises(UnsupportedMediaType):
        process_profile_picture(upload)


def test_empty_file_is_unsupported():
    with pytest.raises(UnsupportedMediaType):
        process_profile_picture(io.BytesIO(b""))


@pytest.mark.parametrize("image_format", ["GIF", "BMP", "TIFF"])
def test_other_image_formats_are_unsupported(image_format):
    with pytest.raises(UnsupportedMediaType, match="JPEG, PNG or WEBP"):
        process_profile_picture(io.BytesIO(encode(Image.new("RGB", (8, 8)), image_format)))


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_truncated_image_is_unsupported(image_format):
    noisy = Image.effect_noise((256, 256), 64).convert("RGB")
    data = encode(noisy, image_format)
    with pytest.raises(UnsupportedMediaType):
        process_profile_picture(io.BytesIO(data[: len(data) // 2]))


class TrickleReader(io.RawIOBase):
    """An endless upload that hands out at most 1000 bytes per read, like a slow socket."""

    def __init__(self):
        self.bytes_read = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        size = min(len(buffer), 1000)
        buffer[:size] = b"\xff" * size
        self.bytes_read += size
        return size


def test_body_over_five_megabytes_is_too_large():
    with pytest.raises(PayloadTooLarge):
        process_profile_picture(io.BytesIO(b"\xff" * (6 * 1024 * 1024)))


def test_size_check_reads_at_most_one_byte_past_the_limit():
    upload = TrickleReader()
    with pytest.raises(PayloadTooLarge):
        process_profile_picture(upload, max_bytes=50_000)
    assert upload.bytes_read == 50_001


def test_short_reads_do_not_hide_a_too_large_body():
    with pytest.raises(PayloadTooLarge):
        process_profile_picture(TrickleReader())


def test_body_of_exactly_max_bytes_is_not_too_large():
    data = encode(Image.new("RGB", (8, 8)), "PNG")
    assert process_profile_picture(io.BytesIO(data), max_bytes=len(data)).extension == "png"


def test_pixel_bomb_far_beyond_pillow_limits_is_too_large():
    with pytest.raises(PayloadTooLarge):
        process_profile_picture(io.BytesIO(png_header_only(50_000, 50_000)))


def test_image_over_the_pixel_cap_is_rejected_before_decoding():
    # 8000 x 8000 is under Pillow's own bomb threshold but over our 40-megapixel cap. The file
    # holds no real pixel data: had it been decoded, it would fail as truncated (415), not 413.
    with pytest.raises(PayloadTooLarge, match="8000x8000"):
        process_profile_picture(io.BytesIO(png_header_only(8000, 8000)))


def test_image_under_the_pixel_cap_is_decoded():
    # The same header-only trick under the cap is decoded, so it is caught as truncated.
    with pytest.raises(UnsupportedMediaType):
        process_profile_picture(io.BytesIO(png_header_only(100, 100)))


@pytest.mark.parametrize(("size", "expected"), [((3000, 1500), (1024, 512)), ((600, 2400), (256, 1024))])
def test_large_pictures_are_downscaled_to_max_side(size, expected):
    data = encode(Image.new("RGB", size, (10, 120, 10)), "JPEG")
    assert decode(process_profile_picture(io.BytesIO(data)).data).size == expected


def test_max_side_is_configurable():
    data = encode(Image.new("RGB", (400, 200)), "PNG")
    assert decode(process_profile_picture(io.BytesIO(data), max_side=100).data).size == (100, 50)


def test_small_pictures_are_not_enlarged():
    data = encode(Image.new("RGB", (30, 20)), "PNG")
    assert decode(process_profile_picture(io.BytesIO(data)).data).size == (30, 20)


def test_jpeg_exif_including_gps_is_stripped():
    data = encode(Image.new("RGB", (40, 30)), "JPEG", exif=exif_with_gps(), comment=b"secret comment")
    assert decode(data).getexif().get_ifd(0x8825)  # the fixture really carries GPS data
    result = process_profile_picture(io.BytesIO(data))
    output = decode(result.data)
    assert not output.getexif()
    assert "exif" not in output.info and "comment" not in output.info
    assert b"SpyCam" not in result.data and b"Exif" not in result.data


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_png_and_webp_metadata_is_stripped(image_format):
    data = encode(Image.new("RGB", (40, 30)), image_format, exif=exif_with_gps())
    result = process_profile_picture(io.BytesIO(data))
    assert b"SpyCam" not in result.data
    assert not decode(result.data).getexif()


def srgb_with_red_and_green_swapped():
    """An ICC profile in which the pixel value (255, 0, 0) means pure green."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    tag_count = struct.unpack(">I", profile[128:132])[0]
    tag_entries = {bytes(profile[132 + 12 * i : 136 + 12 * i]): 132 + 12 * i for i in range(tag_count)}
    red, green = tag_entries[b"rXYZ"], tag_entries[b"gXYZ"]
    # Swap where the two primaries' tag entries point (offset and size).
    red_entry, green_entry = profile[red + 4 : red + 12], profile[green + 4 : green + 12]
    profile[red + 4 : red + 12], profile[green + 4 : green + 12] = green_entry, red_entry
    return bytes(profile)


def test_colour_profile_is_applied_then_dropped():
    data = encode(Image.new("RGB", (16, 16), (255, 0, 0)), "PNG", icc_profile=srgb_with_red_and_green_swapped())
    output = decode(process_profile_picture(io.BytesIO(data)).data)
    assert "icc_profile" not in output.info
    red, green, blue = output.getpixel((8, 8))
    assert red < 30 and green > 225 and blue < 30


def test_unusable_colour_profile_is_ignored():
    data = encode(Image.new("RGB", (16, 16), (255, 0, 0)), "PNG", icc_profile=b"not a profile")
    output = decode(process_profile_picture(io.BytesIO(data)).data)
    assert "icc_profile" not in output.info
    assert output.getpixel((8, 8)) == (255, 0, 0)


@pytest.mark.parametrize(("orientation", "expected_size"), [(6, (30, 60)), (8, (30, 60)), (3, (60, 30))])
def test_exif_orientation_is_applied(orientation, expected_size):
    exif = Image.Exif()
    exif[0x0112] = orientation
    original = Image.new("RGB", (60, 30), (255, 255, 255))
    original.paste((0, 0, 0), (0, 0, 10, 10))  # mark the top-left corner
    output = decode(process_profile_picture(io.BytesIO(encode(original, "JPEG", exif=exif))).data)
    assert output.size == expected_size
    assert not output.getexif()
    # The dark corner moved away from the top-left: the image was really turned.
    assert output.convert("L").getpixel((2, 2)) > 200
