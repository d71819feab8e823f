"""Accounts: sign-up, login, logout, password change and reset."""
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidInput, Unauthorized
from app.extensions import db
from app.models import PasswordResetToken, User, utcnow
from app.queue import enqueue
from app.services import tokens
from app.services.passwords import hash_password, needs_rehash, verify_password
from app.services.users import get_profile, unique_violation

log = logging.getLogger(__name__)

INVALID_CREDENTIALS = "Invalid email or password."


@dataclass
class Session:
    user: User
    tokens: tokens.TokenPair


def register(email: str, username: str, password: str, bio: str = "") -> Session:
    user = User(email=email.strip().lower(), username=username, password_hash=hash_password(password), bio=bio or "")
    db.session.add(user)
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise unique_violation(error) from None
    pair = tokens.issue_token_pair(user.id, user.jwt_version)
    db.session.commit()
    return Session(get_profile(user.id, user.id), pair)


def login(email: str, password: str) -> Session:
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if not verify_password(user.password_hash if user else None, password):
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    pair = tokens.issue_token_pair(user.id, user.jwt_version)
    db.session.commit()
    return Session(get_profile(user.id, user.id), pair)


def logout(user: tokens.TokenUser, jwt_payload: Mapping, refresh_token: str | None = None) -> None:
    """Denylist this access token and revoke its session's refresh-token family (and that of
    `refresh_token`, when the client sends one of its own)."""
    expires_at = datetime.fromtimestamp(jwt_payload["exp"], tz=timezone.utc)
    tokens.deny_access_token(jwt_payload["jti"], expires_at)
    families = {jwt_payload.get("fam")}
    if refresh_token:
        families.add(tokens.family_of_refresh_token(refresh_token, user.id))
    for family_id in families - {None}:
        tokens.revoke_family(family_id, reason="logout")
    db.session.commit()


def logout_all(user: tokens.TokenUser) -> None:
    _bump_jwt_version(user.id)
    db.session.commit()


def _bump_jwt_version(user_id: int, **changes) -> int:
    """Every access and refresh token issued so far stops working; the new version (with `changes` to the row
    in the same UPDATE)."""
    jwt_version = db.session.scalar(
        update(User).where(User.id == user_id).values(jwt_version=User.jwt_version + 1, **changes)
        .returning(User.jwt_version)
    )
    tokens.revoke_all_refresh_tokens(user_id, reason="logout_all")
    return jwt_version


def change_password(user: tokens.TokenUser, current_password: str, new_password: str) -> tokens.TokenPair:
    password_hash = db.session.scalar(select(User.password_hash).where(User.id == user.id))
    if not verify_password(password_hash, current_password):
        raise InvalidInput("The current password is wrong.", field="current_password")
    jwt_version = _bump_jwt_version(user.id, password_hash=hash_password(new_password))
    pair = tokens.issue_token_pair(user.id, jwt_version)
    db.session.commit()
    return pair


def request_password_reset(email: str) -> None:
    """Mail a single-use reset token if the account exists; callers answer the same either way."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        log.info("Password reset requested for an unknown email")
        return
    raw = secrets.token_urlsafe(32)
    db.session.add(PasswordResetToken(
        user_id=user.id,
        token_hash=tokens.hash_token(raw),
        expires_at=utcnow() + timedelta(seconds=current_app.config["PASSWORD_RESET_TTL"]),
    ))
    db.session.commit()
    enqueue("default", "app.jobs.mail.send_password_reset_email", user.id, raw)


def reset_password(raw_token: str, new_password: str) -> Session:
    now = utcnow()
    token_hash = tokens.hash_token(raw_token)
    # One UPDATE claims the token, so it can be used once even by concurrent requests.
    claimed = db.session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == token_hash,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise InvalidInput("This reset token is invalid, used or expired.", field="reset_password_token")
    user_id = db.session.scalar(select(PasswordResetToken.user_id).where(PasswordResetToken.token_hash == token_hash))
    jwt_version = _bump_jwt_version(user_id, password_hash=hash_password(new_password))
    pair = tokens.issue_token_pair(user_id, jwt_version)
    db.session.commit()
    return Session(get_profile(user_id, user_id), pair)
