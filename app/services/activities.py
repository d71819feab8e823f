"""Writing activities and notifications, in the caller's transaction (callers commit).

Each activity and notification points at the record that caused it through a foreign key
with ON DELETE CASCADE (see app/models/social.py), so deleting that record removes them.
A new action type is: a constant here (and a column on Activity if its source is a new table), then in
app.services.feed its LEFT JOINs and columns (target_joins) and its summary (TARGET_SUMMARIES). Feeds and exports
read targets only through those two.
"""
from sqlalchemy import update

from app.extensions import db
from app.models import Activity, Notification

FOLLOWED = "followed"
REVIEWED = "reviewed"
LIKED = "liked"
COMMENTED = "commented"
CREATED_COLLECTION = "created_collection"

ACTION_TYPES = (FOLLOWED, REVIEWED, LIKED, COMMENTED, CREATED_COLLECTION)


def record_activity(
    actor_id: int,
    action_type: str,
    *,
    follow_id: int | None = None,
    review_id: int | None = None,
    like_id: int | None = None,
    comment_id: int | None = None,
    collection_id: int | None = None,
    public: bool = True,
) -> Activity:
    if action_type not in ACTION_TYPES:
        raise ValueError(f"unknown action type {action_type!r}")
    activity = Activity(
        actor_id=actor_id, action_type=action_type, public=public, follow_id=follow_id, review_id=review_id,
        like_id=like_id, comment_id=comment_id, collection_id=collection_id,
    )
    db.session.add(activity)
    return activity


def notify(
    recipient_id: int,
    actor_id: int,
    action: str,
    notifiable_type: str,
    notifiable_id: int,
    *,
    follow_id: int | None = None,
    like_id: int | None = None,
    comment_id: int | None = None,
) -> Notification | None:
    """Notify `recipient_id` of `actor_id`'s action; nobody is notified of their own action."""
    if recipient_id == actor_id:
        return None
    notification = Notification(
        recipient_id=recipient_id, actor_id=actor_id, action=action, notifiable_type=notifiable_type,
        notifiable_id=notifiable_id, follow_id=follow_id, like_id=like_id, comment_id=comment_id,
    )
    db.session.add(notification)
    return notification


def set_collection_visibility(collection_id: int, public: bool) -> None:
    """A collection made private disappears from other people's feeds (and reappears if made public)."""
    db.session.execute(update(Activity).where(Activity.collection_id == collection_id).values(public=public))
