"""Reading your notifications and marking them read (they are written by app.services.activities.notify)."""
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from app.errors import NotFound
from app.extensions import db
from app.models import Notification, User, utcnow
from app.pagination import Page, paginate


def list_notifications(user: User, *, unread: bool = False, limit: int, cursor=None, page=None, per=None) -> Page:
    """Your notifications, newest first (only unread ones if `unread`); the page carries `unread_count`."""
    stmt = select(Notification).options(selectinload(Notification.actor)).where(Notification.recipient_id == user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    result = paginate(
        stmt, key_columns=[Notification.created_at, Notification.id], key=lambda n: (n.created_at, n.id),
        limit=limit, cursor=cursor, page=page, per=per,
    )
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
