"""Where uploaded and generated files live: a local directory or an S3-compatible bucket.

Both backends share one small interface (`Storage`). Keys are always made by `new_key`,
never chosen by users. Clients only ever get time-limited URLs: presigned S3 URLs, or for
the local backend `/media/<token>` where the token is a signed, expiring reference to a key.
A URL issued "as of" a given time (`issued_at`) is the same on every call, so a client can cache the file
behind it for as long as the URL lives (app.services.media issues them per half of MEDIA_URL_TTL).
"""

from __future__ import annotations

import logging
import mimetypes
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from itsdangerous import BadSignature, URLSafeSerializer

from app import clock
from app.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)

MEDIA_TOKEN_SALT = "listify-media"
ISSUED_URLS_KEPT = 10_000  # presigned S3 URLs kept per process, a few MB

# Types mimetypes does not know on every platform, and the ones we serve most.
_CONTENT_TYPES = {
    ".webp": "image/webp",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}


class Storage(Protocol):
    def save(self, key: str, fileobj: BinaryIO, content_type: str) -> None: ...

    def delete(self, key: str) -> None: ...

    def url(self, key: str, expires_in: int, *, issued_at: int | None = None) -> str:
        """A URL of the key valid from `issued_at` (default: now) for `expires_in` seconds."""

    def open(self, key: str) -> BinaryIO: ...

    def exists(self, key: str) -> bool: ...


def new_key(prefix: str, extension: str) -> str:
    """A fresh random key such as `avatars/3q2-...Xw.webp`."""
    return f"{prefix}/{secrets.token_urlsafe(18)}.{extension}"


def content_type_for(key: str) -> str:
    suffix = PurePosixPath(key).suffix.lower()
    if suffix in _CONTENT_TYPES:
        return _CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(key, strict=False)
    return guessed or "application/octet-stream"


def _check_expires_in(expires_in: int) -> None:
    if not isinstance(expires_in, int) or isinstance(expires_in, bool) or expires_in <= 0:
        raise ValueError(f"expires_in must be a positive number of seconds, got {expires_in!r}")


class LocalStorage:
    """Files under a directory; served by the web layer at `<base_url_path>/<token>`."""

    def __init__(self, root: str | Path, secret_key: str, base_url_path: str = "/media"):
        if not secret_key:
            raise ValueError("LocalStorage needs a non-empty secret_key to sign media URLs")
        self.root = Path(root).resolve()
        self.base_url_path = base_url_path.rstrip("/")
        # Not itsdangerous' timed serializer: it signs the time of the call, so no two URLs would be the same.
        self._serializer = URLSafeSerializer(secret_key, salt=MEDIA_TOKEN_SALT)

    def _path_for(self, key: str) -> Path:
        """The file path of a key; refuses keys that could point outside the root."""
        if not isinstance(key, str) or not key or "\x00" in key or "\\" in key:
            raise InvalidInput("Invalid storage key.")
        if any(part in ("", ".", "..") for part in key.split("/")):  # also refuses absolute keys
            raise InvalidInput("Invalid storage key.")
        path = (self.root / key).resolve()
        # Also catches symlinks inside the root that lead elsewhere.
        if not path.is_relative_to(self.root) or path == self.root:
            raise InvalidInput("Invalid storage key.")
        return path

    def save(self, key: str, fileobj: BinaryIO, content_type: str) -> None:
        path = self._path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write beside the target, then rename: readers see the old file or the new one, never half.
        fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=".upload-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as temp_file:
                shutil.copyfileobj(fileobj, temp_file)
                temp_file.flush()
                os.fsync(temp_file.fileno())
            os.replace(temp_name, path)
        except BaseException:
            try:
                os.unlink(temp_name)
            except FileNotFoundError:
                pass
            raise
        logger.debug("Stored %s (%s) under %s", key, content_type, self.root)

    def delete(self, key: str) -> None:
        try:
            self._path_for(key).unlink()
        except FileNotFoundError:
            pass

    def url(self, key: str, expires_in: int, *, issued_at: int | None = None) -> str:
        _check_expires_in(expires_in)
        self._path_for(key)  # never hand out a URL for a key we would refuse to serve
        issued_at = int(clock.timestamp()) if issued_at is None else issued_at
        token = self._serializer.dumps({"key": key, "iat": issued_at, "exp": issued_at + expires_in})
        return f"{self.base_url_path}/{token}"

    def resolve(self, token: str, max_age: int | None = None) -> str:
        """The key a media token refers to; `NotFound` if the token is forged, tampered or expired.

        The token expires after the `expires_in` it was issued with; `max_age` can shorten that further.
        """
        try:
            payload = self._serializer.loads(token)
        except BadSignature:  # also covers malformed payloads
            raise NotFound("This link is invalid or has expired.") from None
        if not isinstance(payload, dict):
            raise NotFound("This link is invalid or has expired.")
        key, issued_at, expires_at = payload.get("key"), payload.get("iat"), payload.get("exp")
        if not isinstance(key, str) or not all(type(t) is int for t in (issued_at, expires_at)):
            raise NotFound("This link is invalid or has expired.")
        now = int(clock.timestamp())
        if now > expires_at or (max_age is not None and now - issued_at > max_age):
            raise NotFound("This link is invalid or has expired.")
        return key

    def open(self, key: str) -> BinaryIO:
        try:
            return self._path_for(key).open("rb")
        except (FileNotFoundError, IsADirectoryError):
            raise NotFound("File not found.") from None

    def exists(self, key: str) -> bool:
        return self._path_for(key).is_file()


class S3Storage:
    """Objects in an S3 bucket (or MinIO or another S3-compatible store given by `endpoint_url`)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        client=None,
    ):
        if not bucket:
            raise ValueError("S3Storage needs a bucket name")
        self.bucket = bucket
        self._client = client or _make_s3_client(endpoint_url=endpoint_url, region=region)
        # SigV4 signs the time of presigning, which botocore takes from its own clock: the URL of a key "as of"
        # a time is made once and kept, so it is stable within this process (each process makes its own).
        self._issued: dict[tuple[str, int, int], str] = {}

    def save(self, key: str, fileobj: BinaryIO, content_type: str) -> None:
        # upload_fileobj streams in parts; the file is never read into memory whole.
        self._client.upload_fileobj(fileobj, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success, which is the idempotence we want.
        self._client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, key: str, expires_in: int, *, issued_at: int | None = None) -> str:
        _check_expires_in(expires_in)
        if issued_at is None:
            return self._presign(key, expires_in)
        memo_key = (key, issued_at, expires_in)
        url = self._issued.get(memo_key)
        if url is None:
            left = issued_at + expires_in - int(clock.timestamp())
            if left <= 0:
                raise ValueError("a URL issued as of that time would already have expired")
            if len(self._issued) >= ISSUED_URLS_KEPT:
                self._issued.clear()  # simpler than LRU, and the keys of a past window are never asked again
            url = self._issued[memo_key] = self._presign(key, left)
        return url

    def _presign(self, key: str, expires_in: int) -> str:
        return self._client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.bucket, "Key": key, "ResponseContentType": content_type_for(key)},
            ExpiresIn=expires_in,
        )

    def open(self, key: str) -> BinaryIO:
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"]
        except self._client.exceptions.NoSuchKey:
            raise NotFound("File not found.") from None

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True


def _make_s3_client(*, endpoint_url: str | None, region: str | None):
    # Path-style addressing when talking to a custom endpoint: MinIO and friends rarely have
    # wildcard DNS for virtual-hosted bucket names.
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if endpoint_url else "auto"},
    )
    return boto3.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def build_storage(config: Mapping) -> Storage:
    """The storage backend named by `STORAGE_BACKEND` (`local` by default, or `s3`)."""
    backend = (config.get("STORAGE_BACKEND") or "local").strip().lower()
    if backend == "local":
        root = config.get("STORAGE_LOCAL_ROOT")
        if not root:
            raise ValueError("STORAGE_BACKEND=local needs STORAGE_LOCAL_ROOT (a directory for uploaded files)")
        return LocalStorage(root, config.get("SECRET_KEY") or "")
    if backend == "s3":
        bucket = config.get("S3_BUCKET")
        if not bucket:
            raise ValueError("STORAGE_BACKEND=s3 needs S3_BUCKET")
        return S3Storage(
            bucket,
            endpoint_url=config.get("S3_ENDPOINT_URL") or None,
            region=config.get("S3_REGION") or None,
        )
    raise ValueError(f"Unknown STORAGE_BACKEND {backend!r}: expected 'local' or 's3'")
