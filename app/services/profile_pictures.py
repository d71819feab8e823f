"""Profile pictures: replace or remove the picture of your own account.

The upload is validated and re-encoded by `images.process_profile_picture` (format by content,
byte and pixel caps, no metadata kept), stored under a fresh random key, and only then swapped
into `users.profile_picture_key`. The previous object is deleted after the commit, so a failure
at any step leaves the user with a picture that exists: at worst an orphaned object remains.
"""
import io
import logging
from types import SimpleNamespace
from typing import BinaryIO

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import User
from app.services.images import process_profile_picture
from app.services.media import get_storage
from app.services.storage import new_key
from app.services.tokens import TokenUser
from app.services.users import profile_picture_url

log = logging.getLogger(__name__)


def set_profile_picture(user: TokenUser, fileobj: BinaryIO) -> str:
    """Store `fileobj` as the user's picture; returns its time-limited URL."""
    image = process_profile_picture(fileobj, max_bytes=current_app.config["PROFILE_PICTURE_MAX_BYTES"])
    storage = get_storage()
    key = new_key("avatars", image.extension)
    storage.save(key, io.BytesIO(image.data), image.content_type)
    try:
        old_key = _lock_picture_key(user.id)
        _set_picture_key(user.id, key)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        _delete_quietly(key)
        raise
    if old_key and old_key != key:
        _delete_quietly(old_key)
    return profile_picture_url(SimpleNamespace(profile_picture_key=key))


def remove_profile_picture(user: TokenUser) -> None:
    """Clear the user's picture and delete its object; nothing to remove is fine (idempotent)."""
    old_key = _lock_picture_key(user.id)
    if old_key is None:
        db.session.rollback()  # ends the transaction that holds the row lock
        return
    _set_picture_key(user.id, None)
    db.session.commit()
    _delete_quietly(old_key)


def _lock_picture_key(user_id: int) -> str | None:
    """The current key, read under a row lock (PostgreSQL) so two concurrent uploads each delete
    the picture they really replaced, never one another's."""
    return db.session.scalar(select(User.profile_picture_key).where(User.id == user_id).with_for_update())


def _set_picture_key(user_id: int, key: str | None) -> None:
    db.session.execute(update(User).where(User.id == user_id).values(
        profile_picture_key=key, profile_version=User.profile_version + 1))


def _delete_quietly(key: str) -> None:
    # The row no longer points at this object: failing to delete it must not fail the request.
    try:
        get_storage().delete(key)
    except Exception:
        log.exception("Could not delete the stored object %s; it is left orphaned", key)
