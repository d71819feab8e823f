"""app/jwt_manager.py: a verified access token is not verified again, but its times and revocation still count."""
import time
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token

from app.extensions import db, jwt
from tests.conftest import error_codes


@pytest.fixture
def decodes(monkeypatch):
    """How many times PyJWT verifies a signature."""
    calls = []
    real = pyjwt.decode

    def counting(*args, **kwargs):
        if kwargs.get("options", {}).get("verify_signature", True):
            calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pyjwt, "decode", counting)
    return calls


def test_a_repeated_token_is_verified_once(client, make_user, auth_headers, decodes):
    headers = auth_headers(make_user())

    for _ in range(3):
        assert client.get("/api/v1/users/me", headers=headers).status_code == 200

    assert len(decodes) == 1


def test_a_changed_byte_is_verified_and_refused(client, make_user, auth_headers):
    headers = auth_headers(make_user())
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    token = headers["Authorization"].removeprefix("Bearer ")
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]

    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {tampered}"})

    assert response.status_code == 401 and error_codes(response) == ["invalid_token"]


def test_a_remembered_token_still_expires(client, make_user):
    user = make_user()
    token = create_access_token(identity=str(user.id), additional_claims={"ver": user.jwt_version},
                                expires_delta=timedelta(seconds=1))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200

    time.sleep(1.1)
    response = client.get("/api/v1/users/me", headers=headers)

    assert response.status_code == 401 and error_codes(response) == ["token_expired"]


def test_a_remembered_token_is_still_revoked_by_logout_all(client, make_user, auth_headers):
    user = make_user()
    headers = auth_headers(user)
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200

    assert client.post("/api/v1/auth/logout_all", headers=headers).status_code in (200, 204)
    db.session.expire_all()
    response = client.get("/api/v1/users/me", headers=headers)

    assert response.status_code == 401 and error_codes(response) == ["token_revoked"]


def test_the_memory_is_bounded(app, monkeypatch, make_user, client):
    monkeypatch.setattr(jwt, "_size", 3)
    jwt._verified.clear()
    user = make_user()
    for n in range(7):
        token = create_access_token(identity=str(user.id), additional_claims={"ver": user.jwt_version, "n": n})
        assert client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert 1 <= len(jwt._verified) <= 3
