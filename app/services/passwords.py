"""Password hashing with argon2id (salted, slow, parameters from the config)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    key = ("listify_hasher", cfg.get("ARGON2_TIME_COST"), cfg.get("ARGON2_MEMORY_COST"))
    hasher = current_app.extensions.get(key)
    if hasher is None:
        hasher = PasswordHasher(
            time_cost=cfg.get("ARGON2_TIME_COST", 3),
            memory_cost=cfg.get("ARGON2_MEMORY_COST", 65536),
            parallelism=cfg.get("ARGON2_PARALLELISM", 4),
        )
        current_app.extensions[key] = hasher
    return hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not the account exists: callers pass None for an unknown user."""
    hasher = _hasher()
    target = password_hash or _dummy_hash()
    try:
        ok = hasher.verify(target, password)
    except (VerificationError, InvalidHashError):
        return False
    return ok and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def _dummy_hash() -> str:
    key = "listify_dummy_hash"
    if key not in current_app.extensions:
        current_app.extensions[key] = _hasher().hash("listify-dummy-password")
    return current_app.extensions[key]
