from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import MAX_ID, Notification, utcnow
from app.services.activities import notify
from tests.conftest import error_codes
from tests.factories import make_review

ITEM_FIELDS = {"id", "action", "actor", "notifiable_type", "notifiable_id", "read_at", "created_at"}


def notification(recipient, actor, minutes_ago, action="liked", read=False):
    row = notify(recipient.id, actor.id, action, "Review", 7)
    row.created_at = utcnow() - timedelta(minutes=minutes_ago)
    row.read_at = utcnow() if read else None
    db.session.commit()
    return row


def test_follow_notifies_the_followed_user(client, make_user, me, auth_headers):
    fan = make_user()
    client.post(f"/api/v1/users/{me.id}/follow", headers=auth_headers(fan))
    body = client.get("/api/v1/notifications", headers=auth_headers(me)).get_json()
    assert body["unread_count"] == 1
    [item] = body["items"]
    assert set(item) == ITEM_FIELDS
    assert (item["action"], item["notifiable_type"], item["notifiable_id"], item["read_at"]) == (
        "followed", "User", fan.id, None,
    )
    assert item["actor"] == {"id": fan.id, "username": fan.username, "profile_picture_url": None}


def test_notifications_are_mine_newest_first(client, make_user, me, headers):
    other, actor = make_user(), make_user()
    older = notification(me, actor, 10)
    newer = notification(me, actor, 5, action="commented")
    notification(other, actor, 1)
    body = client.get("/api/v1/notifications", headers=headers).get_json()
    assert [n["id"] for n in body["items"]] == [newer.id, older.id]
    assert (body["unread_count"], body["next_cursor"]) == (2, None)


def test_unread_filter_lists_only_unread_and_counts_all_unread(client, make_user, me, headers):
    actor = make_user()
    unread = [notification(me, actor, minutes) for minutes in (30, 20, 10)]
    notification(me, actor, 5, read=True)
    body = client.get("/api/v1/notifications?unread=true&limit=2", headers=headers).get_json()
    assert [n["id"] for n in body["items"]] == [unread[2].id, unread[1].id]
    assert body["unread_count"] == 3
    rest = client.get("/api/v1/notifications", headers=headers,
                      query_string={"unread": "true", "limit": 2, "cursor": body["next_cursor"]}).get_json()
    assert [n["id"] for n in rest["items"]] == [unread[0].id]
    assert rest["next_cursor"] is None


def test_notifications_accept_legacy_page_and_per(client, make_user, me, headers):
    actor = make_user()
    rows = [notification(me, actor, minutes) for minutes in (30, 20, 10)]
    body = client.get("/api/v1/notifications?page=2&per=2", headers=headers).get_json()
    assert [n["id"] for n in body["items"]] == [rows[0].id]


def test_nobody_is_notified_of_their_own_action(client, me, headers):
    review = make_review(me)
    assert notify(me.id, me.id, "liked", "Review", review.id) is None
    db.session.commit()
    body = client.get("/api/v1/notifications", headers=headers).get_json()
    assert (body["items"], body["unread_count"]) == ([], 0)


def test_mark_read_returns_the_notification_read(client, make_user, me, headers):
    row = notification(me, make_user(), 1)
    response = client.patch(f"/api/v1/notifications/{row.id}/read", headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert (body["id"], set(body)) == (row.id, ITEM_FIELDS)
    assert body["read_at"] is not None
    assert db.session.scalar(select(Notification.read_at).where(Notification.id == row.id)) is not None
    assert client.get("/api/v1/notifications", headers=headers).get_json()["unread_count"] == 0


def test_mark_read_again_keeps_the_first_read_time(client, make_user, me, headers):
    row = notification(me, make_user(), 1)
    first = client.patch(f"/api/v1/notifications/{row.id}/read", headers=headers)
    second = client.patch(f"/api/v1/notifications/{row.id}/read", headers=headers)
    assert second.status_code == 200
    assert second.get_json()["read_at"] == first.get_json()["read_at"]


@pytest.mark.parametrize("whose", ["other", "unknown", "out_of_range"])
def test_mark_read_of_someone_elses_or_unknown_is_404(client, make_user, headers, whose):
    other = make_user()
    notification_id = {
        "other": lambda: notification(other, make_user(), 1).id, "unknown": lambda: 999_999,
        "out_of_range": lambda: MAX_ID + 1,
    }[whose]()
    response = client.patch(f"/api/v1/notifications/{notification_id}/read", headers=headers)
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]
    if whose == "other":
        assert db.session.scalar(select(Notification.read_at).where(Notification.id == notification_id)) is None


def test_read_all_marks_only_mine(client, make_user, me, headers):
    actor, other = make_user(), make_user()
    mine = [notification(me, actor, minutes) for minutes in (2, 1)]
    theirs = notification(other, actor, 1)
    response = client.post("/api/v1/notifications/read_all", headers=headers)
    assert (response.status_code, response.data) == (204, b"")
    read = dict(db.session.execute(select(Notification.id, Notification.read_at)).all())
    assert all(read[n.id] is not None for n in mine)
    assert read[theirs.id] is None
    body = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert (body["items"], body["unread_count"]) == ([], 0)


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("cursor=forged", "cursor"), ("unread=maybe", "unread"),
])
def test_bad_notification_query_is_422(client, headers, query, field):
    response = client.get(f"/api/v1/notifications?{query}", headers=headers)
    assert response.status_code == 422
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == field


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/notifications"), ("patch", "/api/v1/notifications/1/read"),
    ("post", "/api/v1/notifications/read_all"),
])
def test_notifications_need_a_token(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]
