"""Access tokens (JWT), rotating refresh tokens and the access-token denylist.

Refresh tokens are opaque random strings stored only as SHA-256 hashes, grouped in a family
per login. Rotation is one atomic UPDATE, so of two concurrent refreshes exactly one wins;
a rotated token presented again is reuse and revokes its whole family. Access tokens carry their
family (`fam`), so revoking a family denylists its access tokens too, in the denylist's one probe.
"""
import hashlib
import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_jwt_extended import create_access_token
from sqlalchemy import bindparam, exists, select, update

from app.errors import Unauthorized
from app.extensions import db
from app.models import RefreshToken, RevokedAccessToken, User, utcnow

log = logging.getLogger(__name__)

@dataclass
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    jwt_version: int


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def issue_token_pair(user_id: int, jwt_version: int, family_id: str | None = None) -> TokenPair:
    """Add a refresh token to the session and mint its access token; the caller commits."""
    family_id = family_id or uuid.uuid4().hex
    raw = secrets.token_urlsafe(48)
    db.session.add(RefreshToken(
        user_id=user_id,
        family_id=family_id,
        token_hash=hash_token(raw),
        jwt_version=jwt_version,
        expires_at=utcnow() + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]),
    ))
    access = create_access_token(identity=str(user_id), additional_claims={"ver": jwt_version, "fam": family_id})
    return TokenPair(access, raw, current_app.config["ACCESS_TOKEN_TTL"], jwt_version)


def rotate_refresh_token(raw: str) -> TokenPair:
    token_hash = hash_token(raw)
    now = utcnow()
    claimed = db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.revoked_at.is_(None), RefreshToken.expires_at > now)
        .values(revoked_at=now, revoked_reason="rotated")
    ).rowcount
    token = db.session.scalar(select(RefreshToken).where(RefreshToken.token_hash == token_hash))
    if claimed == 1:
        jwt_version = db.session.scalar(select(User.jwt_version).where(User.id == token.user_id))
        if token.jwt_version != jwt_version:  # None: the user is gone
            db.session.commit()
            raise Unauthorized("This refresh token has been revoked.", code="token_revoked")
        pair = issue_token_pair(token.user_id, jwt_version, token.family_id)
        db.session.commit()
        return pair

    db.session.rollback()
    if token is None:
        raise Unauthorized("Invalid refresh token.", code="invalid_token")
    if token.revoked_reason == "rotated":
        revoke_family(token.family_id, reason="reuse_detected")
        db.session.commit()
        log.warning("Refresh token reuse detected: family %s of user %s revoked", token.family_id, token.user_id)
        raise Unauthorized("This refresh token was already used; the session has been revoked.", code="token_revoked")
    if token.revoked_at is None and token.expires_at <= now:
        raise Unauthorized("This refresh token has expired.", code="token_expired")
    raise Unauthorized("This refresh token has been revoked.", code="token_revoked")


def revoke_family(family_id: str, reason: str) -> None:
    """Revoke a login's refresh tokens and the access tokens issued to it (they carry it as `fam`, and the last
    of them expires within ACCESS_TOKEN_TTL)."""
    now = utcnow()
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    deny_access_token(family_denylist_key(family_id), now + timedelta(seconds=current_app.config["ACCESS_TOKEN_TTL"]))


def family_denylist_key(family_id: str) -> str:
    # In the denylist beside the access tokens' jtis (uuid4s, so never equal to this): the same index probe.
    return f"family:{family_id}"


def revoke_all_refresh_tokens(user_id: int, reason: str) -> None:
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


def family_of_refresh_token(raw: str, user_id: int) -> str | None:
    return db.session.scalar(
        select(RefreshToken.family_id).where(
            RefreshToken.token_hash == hash_token(raw), RefreshToken.user_id == user_id
        )
    )


def deny_access_token(jti: str, expires_at: datetime) -> None:
    """Denylist an access token until it would expire anyway; the caller commits. Every authenticated request
    reads the denylist in the same statement that loads its user (load_user_for_token)."""
    db.session.merge(RevokedAccessToken(jti=jti, expires_at=expires_at))


@dataclass(frozen=True, slots=True)
class TokenUser:
    """The user behind the request's access token, as read by load_user_for_token: a read-only snapshot.
    A service that changes the user writes with a statement, or loads the ORM row itself."""

    id: int
    email: str
    username: str
    bio: str
    profile_picture_key: str | None
    is_admin: bool
    jwt_version: int
    profile_version: int  # the validator of your own profile's reads, at no extra query
    created_at: datetime
    updated_at: datetime


def load_user_for_token(user_id: int, claims: Mapping) -> TokenUser | None:
    """The user behind a verified access token, or None when the token is revoked (denylisted itself or through
    its family, issued before the user's current jwt_version) or its user is gone: one statement.

    The denylist is an index probe inside the query that loads the user anyway: cheaper than asking Redis
    (a round trip through redis-py was 12 % of a web worker's CPU on GET /users/{id}, docs/performance.md),
    and there is no second copy to keep in step with the table.
    """
    family = claims.get("fam")
    parameters = {"user_id": user_id, "jti": claims["jti"], "family": family and family_denylist_key(family)}
    row = db.session.execute(_user_statement(), parameters).first()
    if row is None or row.token_denied or row.jwt_version != claims.get("ver"):
        return None
    return TokenUser(*row[:-1])


@cache
def _user_statement():
    """The token's user and whether the token is denylisted, built once: every authenticated request runs it,
    and building it cost more than the query itself."""
    users = User.__table__
    key = RevokedAccessToken.jti
    denylisted = exists().where(key.in_([bindparam("jti", type_=key.type), bindparam("family", type_=key.type)]))
    return (
        select(*(users.c[field.name] for field in fields(TokenUser)), denylisted.label("token_denied"))
        .where(users.c.id == bindparam("user_id", type_=users.c.id.type))
    )
