"""Storage backends: LocalStorage on a temporary directory, S3Storage against a real moto S3 server."""

import io
import os
import threading
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests
from botocore.config import Config

from app.errors import InvalidInput, NotFound
from app.services.storage import (
    LocalStorage,
    S3Storage,
    build_storage,
    content_type_for,
    new_key,
)

SECRET = "test-secret-key"
BUCKET = "listify-test-media"


@pytest.fixture
def local(tmp_path, clock):
    return LocalStorage(tmp_path / "media", SECRET)


# --- keys and content types ---------------------------------------------------------------


def test_new_key_is_random_and_keeps_prefix_and_extension():
    first, second = new_key("avatars", "webp"), new_key("avatars", "webp")
    assert first != second
    assert first.startswith("avatars/") and first.endswith(".webp")
    assert len(first.removeprefix("avatars/").removesuffix(".webp")) == 24


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("avatars/a.webp", "image/webp"),
        ("exports/a.json", "application/json"),
        ("avatars/a.jpg", "image/jpeg"),
        ("avatars/a.PNG", "image/png"),
        ("misc/a.unknownext", "application/octet-stream"),
    ],
)
def test_content_type_is_guessed_from_the_key_extension(key, expected):
    assert content_type_for(key) == expected


# --- LocalStorage -------------------------------------------------------------------------


def test_local_save_then_open_returns_the_bytes(local):
    local.save("avatars/a.png", io.BytesIO(b"picture bytes"), "image/png")
    with local.open("avatars/a.png") as stored:
        assert stored.read() == b"picture bytes"
    assert local.exists("avatars/a.png")


def test_local_save_replaces_an_existing_file(local):
    local.save("avatars/a.png", io.BytesIO(b"old"), "image/png")
    local.save("avatars/a.png", io.BytesIO(b"new"), "image/png")
    with local.open("avatars/a.png") as stored:
        assert stored.read() == b"new"


def test_local_delete_removes_the_file_and_is_idempotent(local):
    local.save("avatars/a.png", io.BytesIO(b"x"), "image/png")
    local.delete("avatars/a.png")
    assert not local.exists("avatars/a.png")
    local.delete("avatars/a.png")  # a second delete is fine


def test_local_open_of_a_missing_key_is_not_found(local):
    with pytest.raises(NotFound):
        local.open("avatars/missing.png")


class FailingReader(io.RawIOBase):
    """Yields some bytes, then fails, like a client connection that drops mid-upload."""

    def __init__(self):
        self.calls = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        self.calls += 1
        if self.calls > 2:
            raise ConnectionError("client went away")
        buffer[:4] = b"half"
        return 4


def test_local_failed_write_leaves_the_previous_file_and_no_temp_file(local):
    local.save("avatars/a.png", io.BytesIO(b"complete old file"), "image/png")
    with pytest.raises(ConnectionError):
        local.save("avatars/a.png", FailingReader(), "image/png")
    with local.open("avatars/a.png") as stored:
        assert stored.read() == b"complete old file"
    assert os.listdir(local.root / "avatars") == ["a.png"]


def test_local_readers_never_see_a_partly_written_file(local):
    """While a slow upload is streaming, the key still shows the old, complete file."""
    local.save("exports/e.json", io.BytesIO(b'{"old": true}'), "application/json")
    halfway, resume = threading.Event(), threading.Event()

    class SlowReader(io.RawIOBase):
        def __init__(self):
            self.chunks = [b'{"new": ', b"true}"]

        def readable(self):
            return True

        def readinto(self, buffer):
            if not self.chunks:
                return 0
            if len(self.chunks) == 1:
                halfway.set()
                resume.wait(timeout=10)
            chunk = self.chunks.pop(0)
            buffer[: len(chunk)] = chunk
            return len(chunk)

    writer = threading.Thread(target=local.save, args=("exports/e.json", SlowReader(), "application/json"))
    writer.start()
    assert halfway.wait(timeout=10)
    with local.open("exports/e.json") as stored:
        seen_during_write = stored.read()
    resume.set()
    writer.join(timeout=10)
    assert seen_during_write == b'{"old": true}'
    with local.open("exports/e.json") as stored:
        assert stored.read() == b'{"new": true}'


@pytest.mark.parametrize(
    "key",
    ["../outside.png", "avatars/../../outside.png", "/etc/passwd", "avatars/./a.png", "a//b", "a\\..\\b", "", "a\x00b"],
)
def test_local_rejects_keys_that_could_escape_the_root(local, key):
    with pytest.raises(InvalidInput):
        local.save(key, io.BytesIO(b"x"), "image/png")
    with pytest.raises(InvalidInput):
        local.open(key)


def test_local_rejects_a_symlink_leading_out_of_the_root(local, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    local.root.mkdir(parents=True, exist_ok=True)
    (local.root / "link").symlink_to(outside)
    with pytest.raises(InvalidInput):
        local.open("link/secret.txt")


def test_local_url_token_resolves_to_the_key(local):
    url = local.url("avatars/a.webp", expires_in=300)
    assert url.startswith("/media/")
    assert local.resolve(url.removeprefix("/media/")) == "avatars/a.webp"


def test_local_url_uses_the_configured_base_path(tmp_path):
    storage = LocalStorage(tmp_path, SECRET, base_url_path="/files/")
    assert storage.url("avatars/a.webp", expires_in=60).startswith("/files/")


def test_local_token_is_valid_until_its_expiry_and_not_after(local, clock):
    token = local.url("avatars/a.webp", expires_in=300).removeprefix("/media/")
    clock.advance(300)
    assert local.resolve(token) == "avatars/a.webp"
    clock.advance(1)
    with pytest.raises(NotFound):
        local.resolve(token)


def test_local_max_age_can_shorten_a_token_life(local, clock):
    token = local.url("avatars/a.webp", expires_in=3600).removeprefix("/media/")
    clock.advance(120)
    assert local.resolve(token, max_age=120) == "avatars/a.webp"
    with pytest.raises(NotFound):
        local.resolve(token, max_age=60)


def test_local_tampered_token_is_not_found(local):
    token = local.url("avatars/a.webp", expires_in=300).removeprefix("/media/")
    payload, rest = token.split(".", 1)
    other = LocalStorage(local.root, SECRET).url("avatars/b.webp", expires_in=300).removeprefix("/media/")
    forged = other.split(".", 1)[0] + "." + rest  # someone else's payload with this signature
    signature = token.rsplit(".", 1)[1]  # its first character: the last one's low bits may be base64 padding
    flipped = token[:-len(signature)] + ("A" if signature[0] != "A" else "B") + signature[1:]
    for bad in (forged, flipped, "garbage", ""):
        with pytest.raises(NotFound):
            local.resolve(bad)


def test_local_token_signed_with_another_secret_is_not_found(local, tmp_path, clock):
    stranger = LocalStorage(local.root, "another-secret")
    token = stranger.url("avatars/a.webp", expires_in=300).removeprefix("/media/")
    with pytest.raises(NotFound):
        local.resolve(token)


@pytest.mark.parametrize("expires_in", [0, -5, 1.5, True])
def test_url_rejects_a_non_positive_or_non_integer_lifetime(local, expires_in):
    with pytest.raises(ValueError):
        local.url("avatars/a.webp", expires_in=expires_in)


# --- S3Storage against moto's real HTTP server ------------------------------------------


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    # Never read a developer's real profile or config.
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3(moto_endpoint, aws_credentials):
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", config=Config(s3={"addressing_style": "path"})
    )
    client.create_bucket(Bucket=BUCKET)
    yield S3Storage(BUCKET, endpoint_url=moto_endpoint, region="us-east-1")
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_s3_save_stores_bytes_and_content_type(s3):
    s3.save("avatars/a.webp", io.BytesIO(b"webp bytes"), "image/webp")
    head = s3._client.head_object(Bucket=BUCKET, Key="avatars/a.webp")
    assert head["ContentType"] == "image/webp"
    with s3.open("avatars/a.webp") as stored:
        assert stored.read() == b"webp bytes"
    assert s3.exists("avatars/a.webp")


def test_s3_delete_removes_the_object_and_is_idempotent(s3):
    s3.save("avatars/a.webp", io.BytesIO(b"x"), "image/webp")
    s3.delete("avatars/a.webp")
    assert not s3.exists("avatars/a.webp")
    s3.delete("avatars/a.webp")


def test_s3_open_of_a_missing_key_is_not_found(s3):
    with pytest.raises(NotFound):
        s3.open("avatars/missing.webp")


def test_s3_uses_path_style_addressing_with_a_custom_endpoint(aws_credentials):
    # A host name (not an IP) so botocore would pick virtual-hosted style if allowed; presigning sends nothing.
    storage = S3Storage(BUCKET, endpoint_url="http://minio.internal:9000", region="us-east-1")
    url = storage.url("avatars/a.webp", expires_in=60)
    assert url.startswith(f"http://minio.internal:9000/{BUCKET}/avatars/a.webp?")


def test_s3_presigned_url_serves_the_bytes_with_their_content_type(s3):
    s3.save("exports/e.json", io.BytesIO(b'{"reviews": []}'), "application/octet-stream")
    response = requests.get(s3.url("exports/e.json", expires_in=120), timeout=10)
    assert response.status_code == 200
    assert response.content == b'{"reviews": []}'
    # ResponseContentType in the signed URL wins over whatever was stored.
    assert response.headers["Content-Type"] == "application/json"


def test_s3_presigned_url_is_signed_v4_and_expires_after_expires_in(s3):
    # moto does not check signatures or expiry, so check what a real S3 would check.
    query = parse_qs(urlsplit(s3.url("avatars/a.webp", expires_in=900)).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Expires"] == ["900"]
    assert len(query["X-Amz-Signature"][0]) == 64
    assert query["X-Amz-Credential"][0].startswith("testing/")
    assert query["response-content-type"] == ["image/webp"]


def test_s3_save_streams_a_large_file_in_parts(s3):
    body = os.urandom(9 * 1024 * 1024)  # above boto3's 8 MB multipart threshold
    s3.save("exports/big.json", io.BytesIO(body), "application/json")
    with s3.open("exports/big.json") as stored:
        assert stored.read() == body


# --- build_storage ------------------------------------------------------------------------


def test_build_storage_local(tmp_path):
    storage = build_storage({"STORAGE_BACKEND": "local", "STORAGE_LOCAL_ROOT": str(tmp_path), "SECRET_KEY": SECRET})
    assert isinstance(storage, LocalStorage)
    assert storage.root == tmp_path.resolve()


def test_build_storage_defaults_to_local(tmp_path):
    storage = build_storage({"STORAGE_LOCAL_ROOT": str(tmp_path), "SECRET_KEY": SECRET})
    assert isinstance(storage, LocalStorage)


def test_build_storage_s3_talks_to_the_configured_endpoint(s3, moto_endpoint):
    storage = build_storage(
        {"STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": moto_endpoint, "S3_REGION": "us-east-1"}
    )
    assert isinstance(storage, S3Storage)
    storage.save("avatars/b.png", io.BytesIO(b"png"), "image/png")
    assert s3.exists("avatars/b.png")


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"STORAGE_BACKEND": "ftp"}, "Unknown STORAGE_BACKEND 'ftp'"),
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET"),
        ({"STORAGE_BACKEND": "local", "SECRET_KEY": SECRET}, "STORAGE_LOCAL_ROOT"),
    ],
)
def test_build_storage_rejects_unknown_or_incomplete_config(config, message):
    with pytest.raises(ValueError, match=message):
        build_storage(config)
