"""PUT/DELETE /api/v1/users/me/profile_picture, on the local backend and on S3 (a real moto server).

The storage fixtures here (`storage_backend`, `local_backend`) are also used by the media and export tests.
"""
import calendar
import gc
import io
import os
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from app.extensions import db
from app.models import User
from tests.conftest import error_codes
from tests.plugins.storage import BUCKET

URL = "/api/v1/users/me/profile_picture"


# --- images ---------------------------------------------------------------------------------


def image_bytes(image_format, size=(80, 60), **options):
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 220)).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def jpeg_with_exif():
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS
    return image_bytes("JPEG", exif=exif.tobytes())


def multipart(field, data, filename):
    """A multipart body built in memory (the test client would spool a large one to an unclosed temp file)."""
    boundary, body = encode_multipart({field: FileStorage(io.BytesIO(data), filename=filename)})
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(client, headers, data, filename="picture.png"):
    return client.put(URL, headers=headers, **multipart("file", data, filename))


@pytest.fixture
def user(make_user):
    return make_user()


def picture_key(user_id):
    db.session.expire_all()
    return db.session.get(User, user_id).profile_picture_key


# --- uploads --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "content_type", "extension"),
    [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_upload_stores_each_image_type_and_returns_a_url_that_serves_it(
    client, auth_headers, user, storage_backend, image_format, content_type, extension
):
    response = upload(client, auth_headers(user), image_bytes(image_format), filename="whatever.bin")
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"profile_picture_url"}
    key = picture_key(user.id)
    assert key.startswith("avatars/") and key.endswith(f".{extension}")
    assert storage_backend.keys("avatars") == [key]
    status, served_type, data = storage_backend.fetch(body["profile_picture_url"])
    assert (status, served_type) == (200, content_type)
    assert Image.open(io.BytesIO(data)).format == image_format


def test_profile_shows_the_uploaded_picture_url(client, auth_headers, user, local_backend):
    upload(client, auth_headers(user), image_bytes("PNG"))
    url = client.get("/api/v1/users/me", headers=auth_headers(user)).get_json()["user"]["profile_picture_url"]
    assert local_backend.fetch(url)[:2] == (200, "image/png")


def test_stored_picture_has_no_exif(client, auth_headers, user, storage_backend):
    original = jpeg_with_exif()
    assert Image.open(io.BytesIO(original)).getexif()  # the upload does carry EXIF
    assert upload(client, auth_headers(user), original, "photo.jpg").status_code == 200
    stored = storage_backend.read(picture_key(user.id))
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert b"SpyCam" not in stored


def test_replacing_the_picture_deletes_the_old_object(client, auth_headers, user, storage_backend):
    upload(client, auth_headers(user), image_bytes("PNG"))
    first = picture_key(user.id)
    assert upload(client, auth_headers(user), image_bytes("WEBP")).status_code == 200
    second = picture_key(user.id)
    assert second != first
    assert storage_backend.keys("avatars") == [second]


def test_delete_removes_the_object_and_clears_the_key(client, auth_headers, user, storage_backend):
    upload(client, auth_headers(user), image_bytes("PNG"))
    response = client.delete(URL, headers=auth_headers(user))
    assert response.status_code == 204
    assert picture_key(user.id) is None
    assert storage_backend.keys("avatars") == []
    me = client.get("/api/v1/users/me", headers=auth_headers(user)).get_json()["user"]
    assert me["profile_picture_url"] is None


def test_delete_without_a_picture_is_204(client, auth_headers, user, local_backend):
    assert client.delete(URL, headers=auth_headers(user)).status_code == 204
    assert client.delete(URL, headers=auth_headers(user)).status_code == 204
    assert picture_key(user.id) is None


def test_s3_url_is_presigned_and_time_limited(client, app, auth_headers, user, s3_backend):
    url = upload(client, auth_headers(user), image_bytes("PNG")).get_json()["profile_picture_url"]
    parts = urlsplit(url)
    assert parts.path == f"/{BUCKET}/{picture_key(user.id)}"
    query = parse_qs(parts.query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    # Issued as of the start of its window (half the TTL): it expires TTL seconds after that start.
    ttl, window = app.config["MEDIA_URL_TTL"], app.config["MEDIA_URL_TTL"] // 2
    signed_at = calendar.timegm(time.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ"))
    expires_at = signed_at + int(query["X-Amz-Expires"][0])
    assert expires_at % window == 0 and ttl - window <= expires_at - time.time() <= ttl + 1
    assert len(query["X-Amz-Signature"][0]) == 64
    assert query["response-content-type"] == ["image/png"]


def test_s3_url_is_the_same_on_every_read_of_its_window(client, auth_headers, user, s3_backend):
    url = upload(client, auth_headers(user), image_bytes("PNG")).get_json()["profile_picture_url"]
    for _ in range(2):
        assert client.get("/api/v1/users/me", headers=auth_headers(user)).get_json()["user"]["profile_picture_url"] == url


def test_local_url_is_absolute_stable_in_its_window_and_valid_for_the_ttl(client, app, auth_headers, user, local_backend,
                                                                         clock, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_URL_TTL", 600)
    clock.now = clock.now // 300 * 300 + 10  # 10 s into a window of 300

    def picture_url():
        return client.get("/api/v1/users/me", headers=auth_headers(user)).get_json()["user"]["profile_picture_url"]

    upload(client, auth_headers(user), image_bytes("PNG"))
    first = picture_url()
    assert first.startswith("http://localhost/media/")
    clock.advance(289)  # the last second of the window
    assert picture_url() == first
    clock.advance(1)
    second = picture_url()
    assert second != first
    clock.advance(600 - 300)  # the first URL's last second: issued at its window's start, valid 600 s
    assert local_backend.fetch(first)[0] == 200
    clock.advance(1)
    assert local_backend.fetch(first)[0] == 404 and local_backend.fetch(second)[0] == 200


def test_local_url_follows_the_host_the_request_came_to(client, auth_headers, user, local_backend):
    upload(client, auth_headers(user), image_bytes("PNG"))
    me = client.get("/api/v1/users/me", headers=auth_headers(user), base_url="https://listify.example")
    assert me.get_json()["user"]["profile_picture_url"].startswith("https://listify.example/media/")


# --- refusals -------------------------------------------------------------------------------


def _truncated_png():
    return image_bytes("PNG", size=(300, 300))[:200]


def _bomb_png():
    # Declares 20000 x 20000 pixels (400 megapixels) in a few bytes.
    import struct
    import zlib

    def chunk(kind, payload):
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))

    header = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 16))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize(
    ("data", "filename", "status", "code"),
    [
        (b"just some text, not an image\n" * 10, "notes.png", 415, "unsupported_media_type"),
        (b"GIF89a" + b"\x00" * 100, "anim.gif", 415, "unsupported_media_type"),
        (b"", "empty.png", 415, "unsupported_media_type"),
        (_truncated_png(), "cut.png", 415, "unsupported_media_type"),
        (_bomb_png(), "bomb.png", 422, "validation_error"),
        (os.urandom(6 * 1024 * 1024), "huge.jpg", 413, "payload_too_large"),
        # Over 5 MB by a byte, so the multipart envelope stays under the early check: the processing caps it.
        (b"\xff\xd8\xff" + b"\x00" * (5 * 1024 * 1024 - 2), "just-over.jpg", 413, "payload_too_large"),
    ],
    ids=["renamed-text", "gif", "empty", "truncated", "decompression-bomb", "6mb", "5mb-plus-one-byte"],
)
def test_refused_upload_stores_nothing(client, auth_headers, user, local_backend, data, filename, status, code):
    response = upload(client, auth_headers(user), data, filename)
    assert response.status_code == status
    assert error_codes(response) == [code]
    assert picture_key(user.id) is None
    assert local_backend.keys("avatars") == []


@pytest.mark.parametrize("size", [(6320, 6320), (8001, 100)])
def test_picture_over_the_pixel_caps_is_422_naming_the_file(client, auth_headers, user, local_backend, size):
    data = image_bytes("WEBP", size=size, lossless=True)
    response = upload(client, auth_headers(user), data, "big.webp")
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"code": "validation_error", "field": "file",
         "message": "The picture must have at most 16000000 pixels and 8000 pixels a side; "
                    f"this one is {size[0]}x{size[1]}."}]
    assert picture_key(user.id) is None


def test_refused_upload_keeps_the_previous_picture(client, auth_headers, user, local_backend):
    upload(client, auth_headers(user), image_bytes("PNG"))
    before = picture_key(user.id)
    assert upload(client, auth_headers(user), b"not an image", "x.png").status_code == 415
    assert picture_key(user.id) == before
    assert local_backend.keys("avatars") == [before]


def test_oversize_body_is_refused_before_the_form_is_parsed(client, auth_headers, user, local_backend, monkeypatch):
    from werkzeug import formparser

    def must_not_parse(*args, **kwargs):
        raise AssertionError("the multipart body was parsed")

    monkeypatch.setattr(formparser.FormDataParser, "parse", must_not_parse)
    response = upload(client, auth_headers(user), os.urandom(6 * 1024 * 1024), "huge.jpg")
    assert response.status_code == 413
    assert error_codes(response) == ["payload_too_large"]


def test_missing_file_field_is_422(client, auth_headers, user, local_backend):
    response = client.put(URL, headers=auth_headers(user), **multipart("picture", image_bytes("PNG"), "a.png"))
    assert response.status_code == 422
    assert "validation_error" in error_codes(response)
    assert {e.get("field") for e in response.get_json()["errors"]} >= {"file"}


def test_upload_requires_authentication(client, local_backend):
    response = client.put(URL, **multipart("file", image_bytes("PNG"), "a.png"))
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_openapi_documents_the_multipart_upload(client):
    spec = client.get("/openapi.json").get_json()
    operation = spec["paths"][URL]["put"]
    assert operation["requestBody"]["required"] is True
    schema = operation["requestBody"]["content"]["multipart/form-data"]["schema"]
    if "$ref" in schema:
        prefix, name = schema["$ref"].rsplit("/", 1)
        assert prefix == "#/components/schemas"
        schema = spec["components"]["schemas"][name]
    assert schema["type"] == "object"
    assert schema["required"] == ["file"]
    assert schema["properties"]["file"]["type"] == "string"
    assert schema["properties"]["file"]["format"] == "binary"
    assert {"200", "401", "413", "415", "422"} <= set(operation["responses"])


# werkzeug leaves the part it was spooling to a temporary file for the garbage collector when it stops
# reading at the limit; collect it here, so its ResourceWarning is not blamed on a later test.
@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
def test_oversize_chunked_body_without_content_length_is_413(client, auth_headers, user, local_backend):
    body = multipart("file", os.urandom(6 * 1024 * 1024), "huge.jpg")
    stream = io.BytesIO(body["data"])
    response = client.put(
        URL, headers={**auth_headers(user), "Transfer-Encoding": "chunked"}, input_stream=stream,
        content_type=body["content_type"], environ_overrides={"wsgi.input_terminated": True},
    )
    gc.collect()
    assert stream.tell() < 5 * 1024 * 1024 + 128 * 1024  # reading stopped at the limit, not at the end
    assert response.status_code == 413
    assert error_codes(response) == ["payload_too_large"]
    assert picture_key(user.id) is None


def test_other_multipart_parts_are_ignored_as_documented(client, auth_headers, user, local_backend):
    boundary, body = encode_multipart({
        "file": FileStorage(io.BytesIO(image_bytes("PNG")), filename="a.png"),
        "caption": "hello",
        "extra": FileStorage(io.BytesIO(b"x"), filename="x.txt"),
    })
    response = client.put(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}",
                          headers=auth_headers(user))
    assert response.status_code == 200
    assert picture_key(user.id) is not None
    schemas = client.get("/openapi.json").get_json()["components"]["schemas"]
    assert schemas["ProfilePictureUpload"].get("additionalProperties", True) is True
