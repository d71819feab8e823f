"""Access-token verification: PyJWT's public API, once per request, with a per-app memo of verified tokens.

flask-jwt-extended mints our tokens (create_access_token, its JWT_* settings) but decodes each token three times
per request, and PyJWT checks every character of every segment in Python: about 0.1 ms, 7 % of
GET /api/v1/users/{id} (docs/performance.md). A client sends the same token for its whole lifetime, so each app
keeps the claims of the last MEMO_SIZE tokens it verified, keyed by (verification key, exact token string): a
token verified under one key is never taken for verified under another, and any other string, one changed byte
included, is verified in full. Times (exp, nbf, iat, with JWT_DECODE_LEEWAY) are checked against app.clock on
every request, first sight or repeat alike. Revocation is never remembered: the denylist and the user's token
version are read on every request (app.services.tokens.load_user_for_token).
"""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType

import jwt

from app import clock
from app.models.base import MAX_ID

MEMO_SIZE = 2048
EXTENSION = "listify-access-tokens"
REQUIRED_CLAIMS = ["exp", "jti", "sub", "type"]
# The times are ours to check (see check_times), against the application's clock.
DECODE_OPTIONS = {"require": REQUIRED_CLAIMS, "verify_exp": False, "verify_nbf": False, "verify_iat": False}


class InvalidAccessToken(Exception):
    """Not a valid access token of ours: bad signature or shape, wrong type, missing or malformed claims."""


class ExpiredAccessToken(InvalidAccessToken):
    pass


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    claims: Mapping  # read-only: the same object serves every request that presents this token
    user_id: int
    expires: float
    not_before: float


def verify(app, token: str) -> VerifiedToken:
    """The verified access token, or InvalidAccessToken / ExpiredAccessToken."""
    config = app.config
    key = config["JWT_SECRET_KEY"]
    memo = app.extensions.setdefault(EXTENSION, {})
    verified = memo.get((key, token))
    if verified is not None:
        check_times(verified, config["JWT_DECODE_LEEWAY"])
        return verified
    verified = _decode(token, key, config)
    check_times(verified, config["JWT_DECODE_LEEWAY"])
    if len(memo) >= MEMO_SIZE:
        memo.clear()  # simpler than LRU bookkeeping, and as good for tokens reused in bursts
    memo[(key, token)] = verified
    return verified


def check_times(verified: VerifiedToken, leeway) -> None:
    """PyJWT's exp, nbf and iat rules, on the application's clock."""
    if isinstance(leeway, timedelta):
        leeway = leeway.total_seconds()
    now = clock.timestamp()
    if now >= verified.expires + leeway:
        raise ExpiredAccessToken("The access token has expired.")
    if now < verified.not_before - leeway:
        raise InvalidAccessToken("The access token is not valid yet.")


def _decode(token: str, key: str, config) -> VerifiedToken:
    try:
        claims = jwt.decode(
            token, key,
            algorithms=config["JWT_DECODE_ALGORITHMS"] or [config["JWT_ALGORITHM"]],
            audience=config["JWT_DECODE_AUDIENCE"], issuer=config["JWT_DECODE_ISSUER"],
            options=DECODE_OPTIONS,
        )
    except jwt.InvalidTokenError as error:
        raise InvalidAccessToken(str(error)) from None
    sub = claims["sub"]  # a string: PyJWT checks that
    if claims["type"] != "access" or not (sub.isascii() and sub.isdigit() and len(sub) <= 19) or int(sub) > MAX_ID:
        raise InvalidAccessToken("Not an access token of a user.")
    return VerifiedToken(
        MappingProxyType(claims), int(sub), _seconds(claims, "exp"),
        max(_seconds(claims, "nbf", float("-inf")), _seconds(claims, "iat", float("-inf"))),
    )


def _seconds(claims: dict, name: str, default: float | None = None) -> float:
    if name not in claims:
        return default
    try:
        return int(claims[name])  # as PyJWT reads them
    except (ValueError, TypeError, OverflowError):
        raise InvalidAccessToken(f"The {name} claim must be an integer.") from None
