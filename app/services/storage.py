"""Where uploaded and generated files live: a local directory or an S3-compatible bucket.

Both backends share one small interface (`Storage`). Keys are always made by `new_key`,
never chosen by users. Clients only ever get time-limited URLs: presigned S3 URLs, or for
the local backend `/media/<token>` where the token is a signed, expiring reference to a key.
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
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from app import clock
from app.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)

MEDIA_TOKEN_SALT = "listify-media"

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

    def url(self, key: str, expires_in: int) -> str: ...

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


class _ClockedSigner(TimestampSigner):
    """A TimestampSigner on the app's clock (itsdangerous reads `time.time` itself), so tests can move it."""

    def get_timestamp(self) -> int:
        return int(clock.timestamp())


class LocalStorage:
    """Files under a directory; served by the web layer at `<base_url_path>/<token>`."""

    def __init__(self, root: str | Path, secret_key: str, base_url_path: str = "/media"):
        if not secret_key:
            raise ValueError("LocalStorage needs a non-empty secret_key to sign media URLs")
        self.root = Path(root).resolve()
        self.base_url_path = base_url_path.rstrip("/")
        self._serializer = URLSafeTimedSerializer(secret_key, salt=MEDIA_TOKEN_SALT, signer=_ClockedSigner)

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

    def url(self, key: str, expires_in: int) -> str:
        _check_expires_in(expires_in)
        self._path_for(key)  # never hand out a URL for a key we would refuse to serve
        token = self._serializer.dumps({"key": key, "expires_in": expires_in})
        return f"{self.base_url_path}/{token}"

    def resolve(self, token: str, max_age: int | None = None) -> str:
        """The key a media token refers to; `NotFound` if the token is forged, tampered or expired.

        The token expires after the `expires_in` it was issued with; `max_age` can shorten that further.
        """
        try:
            payload, signed_at = self._serializer.loads(token, max_age=max_age, return_timestamp=True)
        except BadSignature:  # also covers expired (SignatureExpired) and malformed payloads
            raise NotFound("This link is invalid or has expired.") from None
        if not isinstance(payload, dict):
            raise NotFound("This link is invalid or has expired.")
        key, expires_in = payload.get("key"), payload.get("expires_in")
        if not isinstance(key, str) or not isinstance(expires_in, int):
            raise NotFound("This link is invalid or has expired.")
        age = int(clock.timestamp()) - int(signed_at.timestamp())
        if age > expires_in:
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

    def save(self, key: str, fileobj: BinaryIO, content_type: str) -> None:
        # upload_fileobj streams in parts; the file is never read into memory whole.
        self._client.upload_fileobj(fileobj, self.bucket, key, ExtraArgs={"ContentType": content_type})

    def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success, which is the idempotence we want.
        self._client.delete_object(Bucket=self.bucket, Key=key)

    def url(self, key: str, expires_in: int) -> str:
        _check_expires_in(expires_in)
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
