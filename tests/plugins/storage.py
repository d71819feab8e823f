"""Fixtures for the storage backends, against real servers: a temporary folder, and moto's S3 server on loopback."""
import os

import boto3
import pytest
import requests
from botocore.config import Config
from moto.server import ThreadedMotoServer

from app.services.media import get_storage
from tests.deploy.servers import free_port

BUCKET = "listify-api-test"



@pytest.fixture(scope="session")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=free_port(), verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


class Backend:
    """The storage the app uses in this test, and how a client fetches its URLs."""

    def __init__(self, kind, client):
        self.kind, self.client = kind, client

    @property
    def storage(self):
        return get_storage()

    def keys(self, prefix):
        if self.kind == "s3":
            listing = self.storage._client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
            return sorted(item["Key"] for item in listing.get("Contents", []))
        root = self.storage.root / prefix
        return sorted(f"{prefix}/{name}" for name in os.listdir(root)) if root.exists() else []

    def read(self, key):
        with self.storage.open(key) as stored:
            return stored.read()

    def fetch(self, url):
        """(status, content type, body) of a URL the API returned, fetched as a client would."""
        if self.kind == "s3":
            response = requests.get(url, timeout=10)
            return response.status_code, response.headers["Content-Type"], response.content
        assert url.startswith("http://localhost/media/")  # absolute, on the address the request came to
        response = self.client.get(url)
        try:
            return response.status_code, response.headers["Content-Type"], response.get_data()
        finally:
            response.close()  # closes the streamed file


@pytest.fixture
def local_backend(app, client, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "STORAGE_LOCAL_ROOT", str(tmp_path / "media"))  # empty for each test
    monkeypatch.setitem(app.extensions, "listify_storage", None)  # rebuilt from the config on first use
    return Backend("local", client)


@pytest.fixture
def s3_backend(app, client, monkeypatch, moto_endpoint):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name, value in {
        "STORAGE_BACKEND": "s3", "S3_BUCKET": BUCKET, "S3_ENDPOINT_URL": moto_endpoint, "S3_REGION": "us-east-1",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    monkeypatch.setitem(app.extensions, "listify_storage", None)
    s3 = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name="us-east-1", config=Config(s3={"addressing_style": "path"})
    )
    s3.create_bucket(Bucket=BUCKET)
    yield Backend("s3", client)
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


@pytest.fixture(params=["local", "s3"])
def storage_backend(request):
    return request.getfixturevalue(f"{request.param}_backend")
