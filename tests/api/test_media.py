"""GET /media/<token>: files of the local backend, behind signed, expiring tokens."""
import io

import pytest

from app.services.storage import LocalStorage
from tests.conftest import error_codes


def stored(app, key, data, content_type):
    from app.services.media import get_storage

    get_storage().save(key, io.BytesIO(data), content_type)
    return get_storage().url(key, app.config["MEDIA_URL_TTL"])


def get(client, url):
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def test_media_url_streams_the_file_with_its_type_and_safe_headers(app, client, local_backend):
    url = stored(app, "avatars/a.png", b"\x89PNG fake bytes", "image/png")
    response = get(client, url)
    assert response.status_code == 200
    assert response.data == b"\x89PNG fake bytes"
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.cache_control.private and not response.cache_control.public
    assert response.cache_control.max_age == app.config["MEDIA_URL_TTL"]


def test_media_needs_no_authorization_header(app, client, local_backend):
    url = stored(app, "avatars/a.webp", b"RIFF....WEBP", "image/webp")
    assert get(client, url).headers["Content-Type"] == "image/webp"


def test_export_file_is_served_as_a_json_attachment(app, client, local_backend):
    url = stored(app, "exports/e.json", b'{"reviews": []}', "application/json")
    response = get(client, url)
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_token_is_valid_for_its_whole_lifetime_then_404(app, client, local_backend, clock):
    url = stored(app, "avatars/a.png", b"png", "image/png")
    clock.advance(app.config["MEDIA_URL_TTL"])
    assert get(client, url).status_code == 200

    clock.advance(1)
    response = get(client, url)

    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # signature
        lambda token: "x" + token,  # payload
        lambda token: "not-a-token",
    ],
    ids=["signature", "payload", "garbage"],
)
def test_tampered_token_is_404(app, client, local_backend, tamper):
    url = stored(app, "avatars/a.png", b"png", "image/png")
    response = get(client, "/media/" + tamper(url.removeprefix("/media/")))
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_token_signed_with_another_key_is_404(app, client, local_backend):
    stored(app, "avatars/a.png", b"png", "image/png")
    forger = LocalStorage(app.config["STORAGE_LOCAL_ROOT"], "some-other-secret")
    response = get(client, forger.url("avatars/a.png", expires_in=60))
    assert response.status_code == 404


def test_valid_token_of_a_deleted_file_is_404(app, client, local_backend):
    from app.services.media import get_storage

    url = stored(app, "avatars/a.png", b"png", "image/png")
    get_storage().delete("avatars/a.png")
    response = get(client, url)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_media_route_is_404_on_the_s3_backend(app, client, s3_backend):
    local = LocalStorage(app.config["STORAGE_LOCAL_ROOT"], app.config["SECRET_KEY"])
    response = get(client, local.url("avatars/a.png", expires_in=60))
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]
