"""Reading your notifications and marking them read (they are written by app.services.activities.notify)."""
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Notification, User, utcnow
from app.pagination import Keyset, Page, Paging, keyset_statement, paginate

NOTIFICATIONS_KEYSET = Keyset("notifications", (datetime, int))


@cache
def _notifications_statement(only_unread: bool, mode: str):
    stmt = (
        select(Notification).options(selectinload(Notification.actor))
        .where(Notification.recipient_id == bindparam("user_id", type_=Notification.recipient_id.type))
    )
    if only_unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    return keyset_statement(stmt, [Notification.created_at, Notification.id], mode)


def list_notifications(user, paging: Paging, *, unread: bool = False) -> Page:
    """Your notifications, newest first (only unread ones if `unread`); the page carries `unread_count`."""
    result = paginate(_notifications_statement(unread, paging.mode), paging, NOTIFICATIONS_KEYSET,
                      key=lambda n: (n.created_at, n.id), params={"user_id": user.id}, scalars=True)
    result.unread_count = unread_count(user.id)
    return result


def unread_count(user_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(Notification.recipient_id == user_id, Notification.read_at.is_(None))
    )


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of your notifications read; marking it again keeps the first read time."""
    mine = (Notification.id == notification_id, Notification.recipient_id == user.id)
    db.session.execute(update(Notification).where(*mine, Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    notification = db.session.scalar(select(Notification).options(selectinload(Notification.actor)).where(*mine))
    if notification is None:
        raise NotFound("No such notification.")
    return notification


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.recipient_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.session.commit()
