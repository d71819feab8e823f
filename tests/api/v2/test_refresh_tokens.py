"""Refresh-token rotation with reuse detection (v2)."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import RefreshToken, utcnow
from app.services.tokens import hash_token
from tests.concurrency import run_concurrently
from tests.conftest import error_codes


@pytest.fixture
def session(client):
    body = {"email": "bob@example.com", "username": "bob", "password": "correct horse"}
    return client.post("/api/v1/auth", json=body).get_json()


def refresh(client, token):
    return client.post("/api/v2/refresh_tokens", json={"refresh_token": token})


def test_refresh_rotates_the_token(client, session):
    response = refresh(client, session["refresh_token"])
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"access_token", "refresh_token", "expires_in", "jwt_version"}
    assert body["refresh_token"] != session["refresh_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    old = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == hash_token(session["refresh_token"])))
    assert old.revoked_reason == "rotated"


def test_reused_refresh_token_revokes_family(client, session):
    rotated = refresh(client, session["refresh_token"]).get_json()
    reuse = refresh(client, session["refresh_token"])
    assert reuse.status_code == 401 and error_codes(reuse) == ["token_revoked"]
    # The legitimate holder's newer token dies with it: a stolen token is useless.
    assert refresh(client, rotated["refresh_token"]).status_code == 401
    states = db.session.scalars(select(RefreshToken.revoked_reason)).all()
    assert "reuse_detected" in states and None not in states


def test_unknown_refresh_token_is_401(client, session):
    response = refresh(client, "made-up-token")
    assert response.status_code == 401 and error_codes(response) == ["invalid_token"]


def test_access_token_is_not_accepted_as_refresh_token(client, session):
    assert refresh(client, session["access_token"]).status_code == 401


def test_expired_refresh_token_is_401(client, session):
    row = db.session.scalars(select(RefreshToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = refresh(client, session["refresh_token"])
    assert response.status_code == 401 and error_codes(response) == ["token_expired"]


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": 5}, {"refresh_token": "x", "extra": 1}])
def test_refresh_validates_body(client, body):
    response = client.post("/api/v2/refresh_tokens", json=body)
    assert response.status_code == 422 and error_codes(response)[0] == "validation_error"


def test_concurrent_refreshes_with_the_same_token_have_one_winner(app, session):
    def attempt():
        return refresh(app.test_client(), session["refresh_token"]).status_code

    assert sorted(run_concurrently(app, [attempt] * 2)) == [200, 401]
    winners = db.session.scalars(select(RefreshToken).where(RefreshToken.revoked_reason == "rotated")).all()
    assert len(winners) == 1
