"""app/access_tokens.py: a verified access token is not verified again, but its key, its times and revocation
still count on every request."""
import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from app import access_tokens
from tests.conftest import error_codes

ME = "/api/v1/users/me"


@pytest.fixture
def decodes(monkeypatch):
    """The tokens whose signature PyJWT verifies."""
    calls = []
    real = pyjwt.decode

    def counting(*args, **kwargs):
        if kwargs.get("options", {}).get("verify_signature", True):
            calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pyjwt, "decode", counting)
    return calls


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def token_of(headers):
    return headers["Authorization"].removeprefix("Bearer ")


def expiry(token):
    return pyjwt.decode(token, options={"verify_signature": False})["exp"]


def answer(response):
    return response.status_code, error_codes(response) if response.status_code >= 400 else None


def test_a_repeated_token_is_verified_once(client, make_user, auth_headers, decodes):
    headers = auth_headers(make_user())

    for _ in range(3):
        assert client.get(ME, headers=headers).status_code == 200

    assert decodes == [token_of(headers)]


def test_a_token_verified_by_one_app_is_refused_by_an_app_with_another_key(
        client, make_user, auth_headers, app_config, make_app):
    headers = auth_headers(make_user())
    assert client.get(ME, headers=headers).status_code == 200

    class OtherKey(app_config):
        JWT_SECRET_KEY = "another-jwt-secret-key-not-for-production-use"

    response = make_app(OtherKey).test_client().get(ME, headers=headers)

    assert answer(response) == (401, ["invalid_token"])


def test_a_remembered_token_is_refused_once_the_key_changes(app, client, make_user, auth_headers, monkeypatch):
    headers = auth_headers(make_user())
    assert client.get(ME, headers=headers).status_code == 200

    monkeypatch.setitem(app.config, "JWT_SECRET_KEY", "a-rotated-jwt-secret-key-not-for-production-use")

    assert answer(client.get(ME, headers=headers)) == (401, ["invalid_token"])


def test_a_changed_byte_is_verified_and_refused(client, make_user, auth_headers):
    headers = auth_headers(make_user())
    assert client.get(ME, headers=headers).status_code == 200
    token = token_of(headers)
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]

    assert answer(client.get(ME, headers=bearer(tampered))) == (401, ["invalid_token"])


def test_a_remembered_token_expires_on_time(client, make_user, auth_headers, clock, decodes):
    headers = auth_headers(make_user())
    expires = expiry(token_of(headers))
    clock.now = expires - 1
    assert client.get(ME, headers=headers).status_code == 200

    clock.now = expires
    response = client.get(ME, headers=headers)

    assert answer(response) == (401, ["token_expired"])
    assert len(decodes) == 1  # the second answer came from the memo


def test_the_leeway_applies_to_a_remembered_token(app, client, make_user, auth_headers, clock, monkeypatch):
    monkeypatch.setitem(app.config, "JWT_DECODE_LEEWAY", 30)
    headers = auth_headers(make_user())
    expires = expiry(token_of(headers))
    clock.now = expires + 29
    assert client.get(ME, headers=headers).status_code == 200

    clock.now = expires + 30

    assert answer(client.get(ME, headers=headers)) == (401, ["token_expired"])


def test_a_token_is_not_valid_before_it_was_issued(client, make_user, auth_headers, clock):
    headers = auth_headers(make_user())
    clock.advance(minutes=-5)  # this server's clock behind the one that issued it

    assert answer(client.get(ME, headers=headers)) == (401, ["invalid_token"])


def test_a_remembered_token_is_still_revoked_by_logout(client):
    session = client.post("/api/v1/auth", json={"email": "a@example.com", "username": "ada", "password": "pw123456"})
    headers = bearer(session.get_json()["access_token"])
    assert client.get(ME, headers=headers).status_code == 200

    assert client.delete("/api/v1/auth/logout", headers=headers).status_code == 204

    assert answer(client.get(ME, headers=headers)) == (401, ["token_revoked"])


def test_a_remembered_token_is_still_revoked_by_logout_all(client, make_user, auth_headers):
    headers = auth_headers(make_user())
    assert client.get(ME, headers=headers).status_code == 200

    assert client.post("/api/v1/auth/logout_all", headers=headers).status_code == 204

    assert answer(client.get(ME, headers=headers)) == (401, ["token_revoked"])


def test_remembered_tokens_are_still_revoked_by_refresh_token_reuse(client):
    first = client.post("/api/v1/auth", json={"email": "a@example.com", "username": "ada", "password": "pw123456"})
    first = first.get_json()
    second = client.post("/api/v2/refresh_tokens", json={"refresh_token": first["refresh_token"]}).get_json()
    for session in (first, second):
        assert client.get(ME, headers=bearer(session["access_token"])).status_code == 200

    reuse = client.post("/api/v2/refresh_tokens", json={"refresh_token": first["refresh_token"]})

    assert answer(reuse) == (401, ["token_revoked"])
    for session in (first, second):  # every access token of the family, the thief's and the owner's
        assert answer(client.get(ME, headers=bearer(session["access_token"]))) == (401, ["token_revoked"])


def test_the_memo_is_bounded(app, monkeypatch, make_user, client):
    monkeypatch.setattr(access_tokens, "MEMO_SIZE", 3)
    user = make_user()
    for n in range(7):
        token = create_access_token(identity=str(user.id), additional_claims={"ver": user.jwt_version, "n": n})
        assert client.get(ME, headers=bearer(token)).status_code == 200

    assert 1 <= len(app.extensions[access_tokens.EXTENSION]) <= 3
