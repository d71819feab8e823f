"""Access tokens (JWT), rotating refresh tokens and the access-token denylist.

Refresh tokens are opaque random strings stored only as SHA-256 hashes, grouped in a family
per login. Rotation is one atomic UPDATE, so of two concurrent refreshes exactly one wins;
a rotated token presented again is reuse and revokes its whole family.
"""
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_jwt_extended import create_access_token
from sqlalchemy import bindparam, exists, inspect, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

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


def issue_token_pair(user: User, family_id: str | None = None) -> TokenPair:
    """Add a refresh token to the session and mint its access token; the caller commits."""
    family_id = family_id or uuid.uuid4().hex
    raw = secrets.token_urlsafe(48)
    db.session.add(RefreshToken(
        user_id=user.id,
        family_id=family_id,
        token_hash=hash_token(raw),
        jwt_version=user.jwt_version,
        expires_at=utcnow() + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL"]),
    ))
    access = create_access_token(
        identity=str(user.id), additional_claims={"ver": user.jwt_version, "fam": family_id}
    )
    return TokenPair(access, raw, current_app.config["ACCESS_TOKEN_TTL"], user.jwt_version)


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
        user = db.session.get(User, token.user_id)
        if user is None or token.jwt_version != user.jwt_version:
            db.session.commit()
            raise Unauthorized("This refresh token has been revoked.", code="token_revoked")
        pair = issue_token_pair(user, token.family_id)
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
    db.session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
    )


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


def load_user_for_token(payload: dict) -> tuple[User | None, bool]:
    """The user behind an access token and whether the token is revoked, in one statement.

    The denylist is an index probe inside the query that loads the user anyway: cheaper than asking Redis
    (a round trip through redis-py was 12 % of a web worker's CPU on GET /users/{id}, docs/performance.md),
    and there is no second copy to keep in step with the table.
    """
    user_id = int(payload["sub"])
    jti = payload["jti"]
    if db.session.identity_map.get(identity_key(User, user_id)) is not None:
        # Already in this session (a test's, or a CLI's): let the ORM reuse or refresh it.
        user = db.session.get(User, user_id)
        denied = db.session.scalar(select(exists().where(RevokedAccessToken.jti == jti)))
    else:
        row = db.session.execute(_user_statement(), {"user_id": user_id, "jti": jti}).first()
        user = _attach_user(row) if row else None
        denied = bool(row and row.token_denied)
    revoked = denied or user is None or payload.get("ver") != user.jwt_version
    return user, revoked


@cache
def _user_statement():
    """The token's user and whether the token is denylisted, built once: every authenticated request runs it,
    and building or ORM-loading it cost more than the query itself."""
    users = User.__table__
    denylisted = exists().where(RevokedAccessToken.jti == bindparam("jti", type_=RevokedAccessToken.jti.type))
    return (
        select(users, denylisted.label("token_denied"))
        .where(users.c.id == bindparam("user_id", type_=users.c.id.type))
    )


def _attach_user(row) -> User:
    """A User built from a Core row and put in the session as a persistent object, as if a query had loaded it."""
    user = User(**{key: getattr(row, column) for key, column in _user_attributes()})
    make_transient_to_detached(user)
    db.session.add(user)
    return user


@cache
def _user_attributes() -> list[tuple[str, str]]:
    return [(attribute.key, attribute.columns[0].name) for attribute in inspect(User).column_attrs]
