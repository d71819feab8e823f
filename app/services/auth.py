"""Accounts: sign-up, login, logout, password change and reset."""
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import and_, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from app.errors import InvalidInput, Unauthorized
from app.extensions import db
from app.models import PasswordResetRequest, PasswordResetToken, User, UTCDateTime, utcnow
from app.queue import enqueue
from app.services import mail, tokens
from app.services.passwords import hash_password, needs_rehash, verify_password
from app.services.users import get_profile, unique_violation

INVALID_CREDENTIALS = "Invalid email or password."

RESET_MAILS_PER_HOUR = 3
RESET_MAIL_WINDOW = timedelta(hours=1)
NOBODY = 0  # no account has this id: the statements of a reset that mails nothing aim at it and match no row


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
    _void_reset_tokens(user.id, utcnow())
    pair = tokens.issue_token_pair(user.id, jwt_version)
    db.session.commit()
    return pair


def request_password_reset(email: str) -> None:
    """Queue the reset mail of `email`. Nothing here depends on the email (known or not, over its limit or
    not): the job decides, so neither the answer nor its time tells anything."""
    enqueue("default", "app.jobs.mail.send_password_reset_email", email.strip().lower())


def send_password_reset(email: str) -> None:
    """Mail a new single-use token to the account of `email`, replacing its live one, unless no account has
    that email or it was mailed RESET_MAILS_PER_HOUR times within the hour.

    Every case runs the same statements, commits one new row (the request's record) and looks its recipient
    up: without Redis this runs inside the request, and a known email must still take as long as an unknown
    one. The raw token exists only here and in the mail (never in a job's arguments, which RQ logs).
    """
    now = utcnow()
    raw_token = secrets.token_urlsafe(32)
    # The row lock (PostgreSQL) makes concurrent requests for one account count its mails one after another.
    user_id = db.session.scalar(select(User.id).where(User.email == email).with_for_update())
    mailed = _record_reset_request(email, user_id is not None, now)
    recipient = user_id if mailed else NOBODY
    _void_reset_tokens(recipient, now)  # the new token replaces the live one
    expires_at = now + timedelta(seconds=current_app.config["PASSWORD_RESET_TTL"])
    db.session.execute(
        insert(PasswordResetToken).from_select(
            ["user_id", "token_hash", "created_at", "expires_at"],
            select(User.id, literal(tokens.hash_token(raw_token)), literal(now, UTCDateTime()),
                   literal(expires_at, UTCDateTime())).where(User.id == recipient),
        )
    )
    db.session.commit()
    mail.send_password_reset(recipient, raw_token)  # NOBODY has no row: nothing is sent


def _record_reset_request(email: str, known: bool, now: datetime) -> bool:
    """Record this request and whether it may be mailed: the email belongs to an account that had fewer than
    RESET_MAILS_PER_HOUR mails within the hour. One statement counts and inserts, so on SQLite (which runs
    writes one at a time) concurrent requests cannot both see the count below the limit."""
    digest = tokens.hash_token(email)
    mailed_recently = (
        select(func.count())
        .select_from(PasswordResetRequest)
        .where(PasswordResetRequest.email_digest == digest, PasswordResetRequest.mailed,
               PasswordResetRequest.created_at > now - RESET_MAIL_WINDOW)
        .scalar_subquery()
    )
    may_mail = and_(literal(known), mailed_recently < RESET_MAILS_PER_HOUR)
    return db.session.scalar(
        insert(PasswordResetRequest)
        .from_select(["email_digest", "mailed", "created_at"],
                     select(literal(digest), may_mail, literal(now, UTCDateTime())))
        .returning(PasswordResetRequest.mailed)
    )


def _void_reset_tokens(user_id: int, now: datetime) -> None:
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )


def reset_password(raw_token: str, new_password: str) -> Session:
    """Set a new password with a live reset token. The token was the user's only live one (see
    uq_password_reset_tokens_live), so claiming it leaves none."""
    now = utcnow()
    token_hash = tokens.hash_token(raw_token)
    # One UPDATE claims the token, so it can be used once even by concurrent requests.
    user_id = db.session.scalar(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.token_hash == token_hash,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordResetToken.user_id)
    )
    if user_id is None:
        db.session.rollback()
        raise InvalidInput("This reset token is invalid, used or expired.", field="reset_password_token")
    jwt_version = _bump_jwt_version(user_id, password_hash=hash_password(new_password))
    pair = tokens.issue_token_pair(user_id, jwt_version)
    db.session.commit()
    return Session(get_profile(user_id, user_id), pair)
