"""Profile picture processing: format by content, size and pixel limits, bounded decoding, clean re-encoding."""

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageFile

from app.errors import InvalidInput, PayloadTooLarge, UnsupportedMediaType
from app.services.images import process_profile_picture

ROOT = Path(__file__).resolve().parents[2]


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


def test_pixel_bomb_far_beyond_pillow_limits_is_refused_naming_the_file():
    with pytest.raises(InvalidInput) as refused:
        process_profile_picture(io.BytesIO(png_header_only(50_000, 50_000)))
    assert refused.value.field == "file"


@pytest.mark.parametrize("size", [(4001, 4000), (8001, 100), (100, 8001)])
def test_image_over_a_cap_is_refused_before_decoding(size):
    # The file holds no real pixel data: had it been decoded, it would fail as truncated (415), not 422.
    with pytest.raises(InvalidInput, match=f"{size[0]}x{size[1]}") as refused:
        process_profile_picture(io.BytesIO(png_header_only(*size)))
    assert refused.value.field == "file"


def test_image_under_the_caps_is_decoded():
    # The same header-only trick under the caps is decoded, so it is caught as truncated.
    with pytest.raises(UnsupportedMediaType):
        process_profile_picture(io.BytesIO(png_header_only(8000, 2000)))


@pytest.fixture(scope="module")
def webp_bomb():
    """The review's file: a 1.7 KB lossless WEBP of 6320 x 6320 (40 megapixels, 160 MB once decoded)."""
    return encode(Image.new("RGB", (6320, 6320)), "WEBP", lossless=True)


@pytest.fixture
def decodes(monkeypatch):
    """The size of every image Pillow decodes (loads), in order."""
    seen = []
    original_load = ImageFile.ImageFile.load

    def load(image):
        seen.append(image.size)
        return original_load(image)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return seen


def test_lossless_webp_of_40_megapixels_is_refused_without_decoding(webp_bomb, decodes):
    assert len(webp_bomb) < 2000
    with pytest.raises(InvalidInput, match="6320x6320") as refused:
        process_profile_picture(io.BytesIO(webp_bomb))
    assert refused.value.field == "file"
    assert decodes == []


def test_a_lossy_webp_header_is_checked_too():
    data = bytearray(encode(Image.new("RGB", (16, 16)), "WEBP"))
    assert data[12:16] == b"VP8 "
    data[26:28], data[28:30] = (9000).to_bytes(2, "little"), (16).to_bytes(2, "little")
    with pytest.raises(InvalidInput, match="9000x16"):
        process_profile_picture(io.BytesIO(bytes(data)))


def test_an_extended_webp_is_checked_by_its_canvas():
    data = encode(Image.new("RGB", (9000, 16)), "WEBP", exif=exif_with_gps())
    assert data[12:16] == b"VP8X"
    with pytest.raises(InvalidInput, match="9000x16"):
        process_profile_picture(io.BytesIO(data))


def test_an_extended_webp_whose_canvas_does_not_match_its_frame_is_unreadable():
    data = bytearray(encode(Image.new("RGB", (16, 16)), "WEBP", exif=exif_with_gps()))
    data[24:27], data[27:30] = (8999).to_bytes(3, "little"), (15).to_bytes(3, "little")
    with pytest.raises(UnsupportedMediaType):
        process_profile_picture(io.BytesIO(bytes(data)))


@pytest.mark.parametrize(("image_format", "size"), [("PNG", (4000, 4000)), ("JPEG", (8000, 2000)),
                                                    ("WEBP", (2000, 8000))])
def test_image_at_the_caps_is_accepted(image_format, size):
    data = encode(Image.new("RGB", size, (10, 120, 10)), image_format)
    output = decode(process_profile_picture(io.BytesIO(data)).data)
    assert max(output.size) == 1024


def test_large_jpeg_is_decoded_at_a_reduced_scale(decodes):
    data = encode(Image.new("RGB", (8000, 2000), (10, 120, 10)), "JPEG")
    process_profile_picture(io.BytesIO(data))
    # libjpeg decoded it at 1/4 scale (2000 x 500 still covers 1024 x 256): the full size never existed.
    assert decodes[0] == (2000, 500)


MEASURE = """
import io, re, sys
from app.services.images import process_profile_picture

def high_water_kib():
    # VmHWM is this process's own peak (ru_maxrss starts from the parent's size at fork, so it would hide it).
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))

data = open(sys.argv[1], "rb").read()
before = high_water_kib()
try:
    process_profile_picture(io.BytesIO(data))
    outcome = "accepted"
except Exception as error:
    outcome = type(error).__name__
print(outcome, high_water_kib() - before)
"""


def peak_kib(tmp_path, data, expected_outcome="accepted"):
    """The peak memory (KiB) processing `data` added to a fresh interpreter that imported the module."""
    if not Path("/proc/self/status").exists():
        pytest.skip("needs Linux's /proc to read a process's peak memory")
    path = tmp_path / "upload"
    path.write_bytes(data)
    done = subprocess.run([sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True,
                          cwd=ROOT, check=True, timeout=120)
    outcome, peak = done.stdout.split()[-2:]
    assert outcome == expected_outcome
    return int(peak)


# Every format stays under the contract's "about 200 MB" at the cap: PNG holds the picture and Pillow's copy
# for the resize, WEBP libwebp's working buffer and the decoded array, JPEG is decoded at a reduced scale.
# An animated WEBP's decoder keeps two canvases besides the frame, hence its cap of half the pixels.
# Everything after the decode works on the picture downscaled. Figures in docs/performance.md.
@pytest.mark.parametrize(("image_format", "budget_mb"), [("PNG", 200), ("JPEG", 64), ("WEBP", 200)])
def test_a_picture_at_the_pixel_cap_needs_a_bounded_memory(tmp_path, image_format, budget_mb):
    # The worst case the caps allow: 16 megapixels with an alpha channel (JPEG: CMYK, 4 bytes a pixel).
    # Decoding allocates the same whatever the content, so a plain colour keeps the encoding quick.
    mode, colour = ("CMYK", (0, 200, 200, 0)) if image_format == "JPEG" else ("RGBA", (10, 120, 10, 200))
    options = {"lossless": True} if image_format == "WEBP" else {}
    data = encode(Image.new(mode, (4000, 4000), colour), image_format, **options)
    assert peak_kib(tmp_path, data) < budget_mb * 1024


def animated_webp(size):
    frames = [Image.new("RGBA", size, (10, 120, 10, 200)), Image.new("RGBA", size, (200, 20, 10, 255))]
    return encode(frames[0], "WEBP", lossless=True, save_all=True, append_images=frames[1:], duration=100)


def test_an_animated_webp_at_its_cap_needs_a_bounded_memory(tmp_path):
    assert peak_kib(tmp_path, animated_webp((2828, 2828))) < 200 * 1024  # 8 MP: half the still cap


def test_an_animated_webp_over_half_the_pixel_cap_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="4000x4000") as refused:
        process_profile_picture(io.BytesIO(animated_webp((4000, 4000))))
    assert refused.value.field == "file"
    assert peak_kib(tmp_path, animated_webp((4000, 4000)), "InvalidInput") < 20 * 1024


def test_an_animated_webp_keeps_its_first_frame_still():
    result = process_profile_picture(io.BytesIO(animated_webp((64, 32))))
    output = decode(result.data)
    assert (output.format, output.size, getattr(output, "n_frames", 1)) == ("WEBP", (64, 32), 1)
    red, green, _, alpha = output.getpixel((10, 10))  # the green first frame, not the red second (lossy output)
    assert red < 40 and green > 100 and abs(alpha - 200) < 10


def test_the_webp_bomb_needs_next_to_no_memory(tmp_path, webp_bomb):
    assert peak_kib(tmp_path, webp_bomb, "InvalidInput") < 20 * 1024


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


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
def test_colour_profile_is_applied_then_dropped(image_format):
    options = {"lossless": True} if image_format == "WEBP" else {}
    data = encode(Image.new("RGB", (16, 16), (255, 0, 0)), image_format,
                  icc_profile=srgb_with_red_and_green_swapped(), **options)
    output = decode(process_profile_picture(io.BytesIO(data)).data)
    assert "icc_profile" not in output.info
    red, green, blue = output.getpixel((8, 8))
    assert red < 30 and green > 225 and blue < 30


def test_unusable_colour_profile_is_ignored():
    data = encode(Image.new("RGB", (16, 16), (255, 0, 0)), "PNG", icc_profile=b"not a profile")
    output = decode(process_profile_picture(io.BytesIO(data)).data)
    assert "icc_profile" not in output.info
    assert output.getpixel((8, 8)) == (255, 0, 0)


@pytest.mark.parametrize("image_format", ["JPEG", "WEBP"])
@pytest.mark.parametrize(("orientation", "expected_size"), [(6, (30, 60)), (8, (30, 60)), (3, (60, 30))])
def test_exif_orientation_is_applied(orientation, expected_size, image_format):
    exif = Image.Exif()
    exif[0x0112] = orientation
    original = Image.new("RGB", (60, 30), (255, 255, 255))
    original.paste((0, 0, 0), (0, 0, 10, 10))  # mark the top-left corner
    output = decode(process_profile_picture(io.BytesIO(encode(original, image_format, exif=exif))).data)
    assert output.size == expected_size
    assert not output.getexif()
    # The dark corner moved away from the top-left: the image was really turned.
    assert output.convert("L").getpixel((2, 2)) > 200
