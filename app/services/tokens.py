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
from redis.exceptions import RedisError
from sqlalchemy import bindparam, exists, inspect, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from app.errors import Unauthorized
from app.extensions import db
from app.jobs import redis_connection
from app.models import RefreshToken, RevokedAccessToken, User, utcnow

log = logging.getLogger(__name__)

DENYLIST_PREFIX = "listify:denylist:"
# Present while Redis holds a copy of the database's denylist; gone after Redis lost its data.
DENYLIST_LOADED = "listify:denylist-loaded"


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
    """Denylist an access token until it would expire anyway.

    The database row is the record; Redis, when configured, answers the per-request check.
    The caller commits.
    """
    db.session.merge(RevokedAccessToken(jti=jti, expires_at=expires_at))
    client = redis_connection()
    if client is not None:
        ttl = max(int((expires_at - utcnow()).total_seconds()) + 1, 1)
        try:
            client.set(DENYLIST_PREFIX + jti, "1", ex=ttl)
        except RedisError:
            log.warning("Redis unavailable: access token %s denylisted in the database only", jti)


def copy_denylist_to_redis(client) -> int:
    """Copy the database's denylist (the record) into Redis (which answers the per-request check).

    Needed after Redis lost its data (a restart without persistence), noticed by DENYLIST_LOADED being
    gone, and after a logout whose Redis write failed while Redis was down (the periodic clean-up re-copies).
    """
    now = utcnow()
    rows = db.session.execute(
        select(RevokedAccessToken.jti, RevokedAccessToken.expires_at).where(RevokedAccessToken.expires_at > now)
    ).all()
    pipe = client.pipeline(transaction=False)
    for jti, expires_at in rows:
        pipe.set(DENYLIST_PREFIX + jti, "1", ex=max(int((expires_at - now).total_seconds()) + 1, 1))
    pipe.set(DENYLIST_LOADED, "1")
    pipe.execute()
    return len(rows)


def _denied_by_redis(client, jti: str) -> bool:
    denied, loaded = client.mget(DENYLIST_PREFIX + jti, DENYLIST_LOADED)
    if loaded is None:
        log.warning("Redis has no copy of the denylist (restarted?): copying it from the database")
        copy_denylist_to_redis(client)
        denied = client.get(DENYLIST_PREFIX + jti)
    return denied is not None


def load_user_for_token(payload: dict) -> tuple[User | None, bool]:
    """The user behind an access token and whether the token is revoked, in one database query
    (none for the denylist when Redis answers)."""
    user_id = int(payload["sub"])
    jti = payload["jti"]
    client = redis_connection()
    denied = None
    if client is not None:
        try:
            denied = _denied_by_redis(client, jti)
        except RedisError:
            log.warning("Redis unavailable: checking the denylist in the database")
    if db.session.identity_map.get(identity_key(User, user_id)) is not None:
        # Already in this session (a test's, or a CLI's): let the ORM reuse or refresh it.
        user = db.session.get(User, user_id)
        if denied is None:
            denied = db.session.scalar(select(exists().where(RevokedAccessToken.jti == jti)))
    else:
        row = db.session.execute(_user_statement(denied is None), {"user_id": user_id, "jti": jti}).first()
        user = _attach_user(row) if row else None
        if denied is None:
            denied = bool(row and row.token_denied)
    revoked = denied or user is None or payload.get("ver") != user.jwt_version
    return user, revoked


@cache
def _user_statement(with_denylist: bool):
    """The token's user (with whether the token is denylisted, when Redis cannot say), built once: every
    authenticated request runs it, and building or ORM-loading it cost more than the query itself."""
    users = User.__table__
    statement = select(users).where(users.c.id == bindparam("user_id", type_=users.c.id.type))
    if with_denylist:
        denylisted = exists().where(RevokedAccessToken.jti == bindparam("jti", type_=RevokedAccessToken.jti.type))
        statement = statement.add_columns(denylisted.label("token_denied"))
    return statement


def _attach_user(row) -> User:
    """A User built from a Core row and put in the session as a persistent object, as if a query had loaded it."""
    user = User(**{key: getattr(row, column) for key, column in _user_attributes()})
    make_transient_to_detached(user)
    db.session.add(user)
    return user


@cache
def _user_attributes() -> list[tuple[str, str]]:
    return [(attribute.key, attribute.columns[0].name) for attribute in inspect(User).column_attrs]
