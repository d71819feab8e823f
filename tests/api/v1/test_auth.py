"""Sign-up, login, logout, password change and reset (v1)."""
import base64
import json
from datetime import timedelta

import jwt as pyjwt
import pytest
from flask_jwt_extended import create_access_token
from sqlalchemy import func, select

from app.extensions import db
from app.models import RefreshToken, User, utcnow
from app.services.tokens import hash_token
from tests.conftest import error_codes

REGISTER = {"email": "Alice@Example.com", "username": "alice", "password": "correct horse", "bio": "hi"}


def register(client, environ_base=None, **overrides):
    return client.post("/api/v1/auth", json={**REGISTER, **overrides}, environ_base=environ_base or {})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_register_returns_user_and_token_pair(client):
    response = register(client)
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"user", "access_token", "refresh_token", "expires_in", "jwt_version"}
    assert body["user"]["email"] == "alice@example.com"
    assert body["user"]["username"] == "alice"
    assert body["user"]["is_admin"] is False
    assert body["expires_in"] == 3600 and body["jwt_version"] == 1
    assert "password" not in json.dumps(body)
    me = client.get("/api/v1/users/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200 and me.get_json()["user"]["id"] == body["user"]["id"]


def test_register_stores_only_a_slow_password_hash_and_refresh_token_hash(client):
    body = register(client).get_json()
    user = db.session.get(User, body["user"]["id"])
    assert user.password_hash.startswith("$argon2id$")
    stored = db.session.scalars(select(RefreshToken.token_hash)).all()
    assert stored == [hash_token(body["refresh_token"])]


@pytest.mark.parametrize("overrides, field", [
    ({"email": "not-an-email"}, "email"),
    ({"username": "ab"}, "username"),
    ({"username": "a" * 31}, "username"),
    ({"username": "bad name!"}, "username"),
    ({"password": "short"}, "password"),
    ({"password": "x" * 129}, "password"),
    ({"bio": "x" * 501}, "bio"),
    ({"email": None}, "email"),
    ({"username": 42}, "username"),
])
def test_register_rejects_invalid_fields(client, overrides, field):
    response = register(client, **overrides)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field
    assert error_codes(response) == ["validation_error"]


@pytest.mark.parametrize("field", ["is_admin", "jwt_version", "id", "followers_count"])
def test_register_rejects_unknown_fields_so_nobody_sets_privileges(client, field):
    response = register(client, **{field: True})
    assert response.status_code == 422
    assert response.get_json()["errors"] == [{"code": "validation_error", "message": "Unknown field.", "field": field}]
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_register_missing_fields_names_each(client):
    response = client.post("/api/v1/auth", json={})
    assert response.status_code == 422
    assert {e["field"] for e in response.get_json()["errors"]} == {"email", "username", "password"}


@pytest.mark.parametrize("overrides, field", [
    ({"email": "ALICE@example.COM", "username": "other"}, "email"),
    ({"email": "other@example.com", "username": "ALICE"}, "username"),
])
def test_register_duplicate_is_conflict_case_insensitively(client, overrides, field):
    assert register(client).status_code == 201
    response = register(client, **overrides)
    assert response.status_code == 409
    assert error_codes(response) == ["conflict"]
    assert response.get_json()["errors"][0]["field"] == field


def test_invalid_json_body_is_bad_request(client):
    response = client.post("/api/v1/auth", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert error_codes(response) == ["bad_request"]


def test_login_returns_session(client):
    register(client)
    response = client.post("/api/v1/auth/login", json={"email": "ALICE@example.com", "password": "correct horse"})
    assert response.status_code == 200
    assert set(response.get_json()) == {"user", "access_token", "refresh_token", "expires_in", "jwt_version"}


def test_login_wrong_password_and_unknown_email_answer_the_same(client):
    register(client)
    wrong = client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": "wrong password"})
    unknown = client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": "correct horse"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json() == unknown.get_json()
    assert error_codes(wrong) == ["invalid_credentials"]


def test_login_is_rate_limited_per_ip(client):
    for i in range(5):
        response = client.post("/api/v1/auth/login", json={"email": f"u{i}@example.com", "password": "whatever1"})
        assert response.status_code == 401
        assert response.headers["X-RateLimit-Limit"] == "5"
    response = client.post("/api/v1/auth/login", json={"email": "u9@example.com", "password": "whatever1"})
    assert response.status_code == 429
    assert error_codes(response) == ["rate_limited"]
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["X-RateLimit-Remaining"] == "0"


def test_login_is_rate_limited_per_email_across_ips(client):
    for i in range(5):
        response = client.post(
            "/api/v1/auth/login", json={"email": "victim@example.com", "password": "guess1234"},
            environ_base={"REMOTE_ADDR": f"10.0.0.{i + 1}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/api/v1/auth/login", json={"email": "Victim@Example.com", "password": "guess1234"},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert response.status_code == 429


def test_registration_is_limited_to_twenty_an_hour_per_ip(client):
    for n in range(20):
        response = register(client, email=f"u{n}@example.com", username=f"user_{n}")
        assert response.status_code == 201, response.get_json()
        assert response.headers["X-RateLimit-Limit"] == "20"
    response = register(client, email="late@example.com", username="late")
    assert response.status_code == 429
    assert error_codes(response) == ["rate_limited"]
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert db.session.scalar(select(func.count()).select_from(User)) == 20
    other_ip = register(client, email="late@example.com", username="late", environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other_ip.status_code == 201


def test_registration_limit_comes_from_the_config(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_REGISTER", "1 per hour")
    assert register(client).status_code == 201
    response = register(client, email="bob@example.com", username="bob")
    assert response.status_code == 429 and error_codes(response) == ["rate_limited"]


def test_openapi_documents_the_registration_limit(client):
    responses = client.get("/openapi.json").get_json()["paths"]["/api/v1/auth"]["post"]["responses"]
    assert responses["429"]["description"] == "Too many sign-ups from this IP."
    assert responses["429"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}


def test_forwarded_for_is_ignored_without_trusted_proxies(client):
    """A client cannot dodge the per-IP limit by inventing X-Forwarded-For."""
    for i in range(5):
        client.post("/api/v1/auth/login", json={"email": f"a{i}@example.com", "password": "whatever1"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"})
    response = client.post("/api/v1/auth/login", json={"email": "z@example.com", "password": "whatever1"},
                           headers={"X-Forwarded-For": "203.0.113.200"})
    assert response.status_code == 429


def test_logout_revokes_access_token_and_session_refresh_tokens(client):
    session = register(client).get_json()
    response = client.delete("/api/v1/auth/logout", headers=bearer(session["access_token"]))
    assert response.status_code == 204
    again = client.get("/api/v1/users/me", headers=bearer(session["access_token"]))
    assert again.status_code == 401 and error_codes(again) == ["token_revoked"]
    refresh = client.post("/api/v2/refresh_tokens", json={"refresh_token": session["refresh_token"]})
    assert refresh.status_code == 401


def test_logout_revokes_the_access_tokens_of_earlier_refreshes_too(client):
    session = register(client).get_json()
    refreshed = client.post("/api/v2/refresh_tokens", json={"refresh_token": session["refresh_token"]}).get_json()
    assert client.delete("/api/v1/auth/logout", headers=bearer(refreshed["access_token"])).status_code == 204
    earlier = client.get("/api/v1/users/me", headers=bearer(session["access_token"]))
    assert earlier.status_code == 401 and error_codes(earlier) == ["token_revoked"]


def test_logout_leaves_other_sessions_alive(client):
    first = register(client).get_json()
    second = client.post("/api/v1/auth/login", json={"email": REGISTER["email"], "password": REGISTER["password"]})
    second = second.get_json()
    assert client.delete("/api/v1/auth/logout", headers=bearer(first["access_token"])).status_code == 204
    assert client.get("/api/v1/users/me", headers=bearer(second["access_token"])).status_code == 200
    refresh = client.post("/api/v2/refresh_tokens", json={"refresh_token": second["refresh_token"]})
    assert refresh.status_code == 200


def test_logout_with_refresh_token_revokes_that_family_too(client):
    first = register(client).get_json()
    second = client.post("/api/v1/auth/login", json={"email": REGISTER["email"], "password": REGISTER["password"]})
    second = second.get_json()
    response = client.delete("/api/v1/auth/logout", headers=bearer(first["access_token"]),
                             json={"refresh_token": second["refresh_token"]})
    assert response.status_code == 204
    refresh = client.post("/api/v2/refresh_tokens", json={"refresh_token": second["refresh_token"]})
    assert refresh.status_code == 401


def test_logout_requires_a_token(client):
    response = client.delete("/api/v1/auth/logout")
    assert response.status_code == 401 and error_codes(response) == ["not_authenticated"]


def test_logout_all_invalidates_every_token_of_the_user(client):
    first = register(client).get_json()
    second = client.post("/api/v1/auth/login", json={"email": REGISTER["email"], "password": REGISTER["password"]})
    second = second.get_json()
    assert client.post("/api/v1/auth/logout_all", headers=bearer(first["access_token"])).status_code == 204
    for session in (first, second):
        assert client.get("/api/v1/users/me", headers=bearer(session["access_token"])).status_code == 401
        refresh = client.post("/api/v2/refresh_tokens", json={"refresh_token": session["refresh_token"]})
        assert refresh.status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": REGISTER["email"], "password": REGISTER["password"]})
    assert login.status_code == 200 and login.get_json()["jwt_version"] == 2


def test_change_password_returns_fresh_pair_and_kills_old_tokens(client):
    session = register(client).get_json()
    response = client.patch("/api/v1/auth/password", headers=bearer(session["access_token"]),
                            json={"current_password": "correct horse", "password": "battery staple"})
    assert response.status_code == 200
    fresh = response.get_json()
    assert set(fresh) == {"access_token", "refresh_token", "expires_in", "jwt_version"}
    assert fresh["jwt_version"] == 2
    assert client.get("/api/v1/users/me", headers=bearer(session["access_token"])).status_code == 401
    assert client.get("/api/v1/users/me", headers=bearer(fresh["access_token"])).status_code == 200
    assert client.post("/api/v2/refresh_tokens", json={"refresh_token": session["refresh_token"]}).status_code == 401
    assert client.post("/api/v1/auth/login", json={"email": REGISTER["email"], "password": "battery staple"}
                       ).status_code == 200


def test_change_password_with_wrong_current_password_is_422_and_keeps_session(client):
    session = register(client).get_json()
    response = client.patch("/api/v1/auth/password", headers=bearer(session["access_token"]),
                            json={"current_password": "wrong one", "password": "battery staple"})
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "current_password"
    assert client.get("/api/v1/users/me", headers=bearer(session["access_token"])).status_code == 200


# --- access tokens -----------------------------------------------------------------


def test_expired_access_token_is_401_token_expired(client, app, make_user):
    user = make_user()
    token = create_access_token(identity=str(user.id), additional_claims={"ver": 1},
                                expires_delta=timedelta(seconds=-10))
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401 and error_codes(response) == ["token_expired"]


def test_tampered_access_token_is_401(client, auth_headers, make_user):
    victim, attacker = make_user(), make_user()
    token = auth_headers(attacker)["Authorization"].split()[1]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(victim.id)
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    response = client.get("/api/v1/users/me", headers=bearer(f"{header}.{forged}.{signature}"))
    assert response.status_code == 401 and error_codes(response) == ["invalid_token"]


def test_alg_none_token_is_rejected(client, make_user):
    user = make_user()

    def b64(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    exp = int((utcnow() + timedelta(hours=1)).timestamp())
    token = b64({"alg": "none", "typ": "JWT"}) + "." + b64(
        {"sub": str(user.id), "type": "access", "jti": "x", "exp": exp, "ver": 1, "fresh": False}) + "."
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401 and error_codes(response) == ["invalid_token"]


@pytest.mark.parametrize("header, code", [
    ("Bearer", "invalid_token"),
    ("Bearer ", "invalid_token"),
    ("Bearer a b", "invalid_token"),
    ("Bearer not.a.jwt", "invalid_token"),
    ("Token abc", "not_authenticated"),
    ("Basic dXNlcjpwYXNz", "not_authenticated"),
])
def test_malformed_authorization_is_401(client, header, code):
    response = client.get("/api/v1/users/me", headers={"Authorization": header})
    assert response.status_code == 401 and error_codes(response) == [code]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_missing_token_is_401_not_authenticated_with_the_bearer_challenge(client):
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401 and error_codes(response) == ["not_authenticated"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_the_bearer_scheme_is_case_insensitive(client, make_user, auth_headers, scheme):
    token = auth_headers(make_user())["Authorization"].split()[1]
    assert client.get("/api/v1/users/me", headers={"Authorization": f"{scheme} {token}"}).status_code == 200


def signed(app, claims):
    """A token signed with the app's own key: only its claims can be wrong."""
    return pyjwt.encode(claims, app.config["JWT_SECRET_KEY"], algorithm=app.config["JWT_ALGORITHM"])


@pytest.mark.parametrize("changes", [
    {"exp": None},
    {"jti": None},
    {"sub": None},
    {"type": None},
    {"sub": "abc"},
    {"sub": "-1"},
    {"sub": " 1"},
    {"sub": "1.0"},
    {"sub": "\u0661"},  # ARABIC-INDIC DIGIT ONE: a digit, not a decimal id
    {"sub": "9" * 30},
    {"sub": "9223372036854775808"},
    {"sub": 1},
    {"type": "refresh"},
    {"jti": 7},
    {"exp": "later"},
    {"nbf": "now"},
])
def test_a_signed_token_with_wrong_claims_is_401_invalid_token(client, app, make_user, changes):
    user = make_user()
    now = int(utcnow().timestamp())
    claims = {"sub": str(user.id), "type": "access", "jti": "j-1", "iat": now, "nbf": now, "exp": now + 600,
              "fresh": False, "ver": user.jwt_version, **changes}
    token = signed(app, {name: value for name, value in claims.items() if value is not None})
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401 and error_codes(response) == ["invalid_token"]


def test_a_signed_token_of_our_shape_is_accepted(client, app, make_user):
    """The counterpart of the test above: the same claims, unchanged, are a valid token."""
    user = make_user()
    now = int(utcnow().timestamp())
    claims = {"sub": str(user.id), "type": "access", "jti": "j-1", "iat": now, "nbf": now, "exp": now + 600,
              "fresh": False, "ver": user.jwt_version}
    assert client.get("/api/v1/users/me", headers=bearer(signed(app, claims))).status_code == 200


def test_a_token_without_its_version_is_revoked(client, app, make_user):
    user = make_user()
    token = create_access_token(identity=str(user.id))
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 401 and error_codes(response) == ["token_revoked"]


def test_refresh_token_is_not_accepted_as_access_token(client):
    session = register(client).get_json()
    response = client.get("/api/v1/users/me", headers=bearer(session["refresh_token"]))
    assert response.status_code == 401


def test_token_of_deleted_user_is_401(client, make_user, auth_headers):
    user = make_user()
    headers = auth_headers(user)
    db.session.delete(user)
    db.session.commit()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401



# --- the per-request check and where the denylist lives ---------------------------


def test_token_check_is_one_query_for_the_user_and_the_denylist(client, make_user, auth_headers, statements):
    """/me is the token check plus the profile query: the denylist is read inside the user's query, with or without
    Redis, and nothing else is."""
    headers = auth_headers(make_user())
    db.session.remove()  # requests share the test's app context: start from an empty session, as a request does
    statements.clear()
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200
    assert len(statements) == 2, statements
    assert "revoked_access_tokens" in statements[0] and "FROM users" in statements[0]


def test_logout_denylists_the_access_token_until_it_expires(client):
    from app.models import RevokedAccessToken

    session = register(client).get_json()
    claims = pyjwt.decode(session["access_token"], options={"verify_signature": False})
    client.delete("/api/v1/auth/logout", headers=bearer(session["access_token"]))

    entries = db.session.scalars(select(RevokedAccessToken)).all()
    # The token itself, and its family (the session's other access tokens, none of which outlives the TTL).
    assert {entry.jti for entry in entries} == {claims["jti"], f"family:{claims['fam']}"}
    for entry in entries:
        remaining = (entry.expires_at - utcnow()).total_seconds()
        assert 3500 < remaining <= 3600


@pytest.mark.redis
def test_revoked_token_stays_revoked_after_redis_loses_its_data(client):
    from app.queue import redis_connection

    session = register(client).get_json()
    client.delete("/api/v1/auth/logout", headers=bearer(session["access_token"]))
    redis_connection().flushdb()  # a Redis restart without persistence
    response = client.get("/api/v1/users/me", headers=bearer(session["access_token"]))
    assert response.status_code == 401 and error_codes(response) == ["token_revoked"]
