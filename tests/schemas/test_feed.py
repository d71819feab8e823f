"""The lean dump path of the following feed equals ActivitySchema's dump, field for field and byte for byte."""
from flask import jsonify

from app.extensions import db
from app.schemas.feed import ActivityPageSchema, ActivitySchema, dump_activity_row
from app.services import feed
from tests.services.test_feed import seed_every_type


def test_lean_feed_rows_equal_the_schema_dump_of_the_same_activities(app, make_user):
    me = make_user()
    seed_every_type(me, make_user, copies=2)
    friend = db.session.get(type(me), me.id + 1)
    friend.profile_picture_key = "users/pic.png"
    db.session.commit()

    lean = [dump_activity_row(item) for item in feed.following_feed_rows(me, limit=50).items]
    with app.test_request_context():
        schema = ActivitySchema(many=True).dump(feed.following_feed(me, limit=50).items)

    assert len(lean) == 12 and lean == schema
    assert {item["target"]["type"] for item in lean} == {"User", "Song", "Review", "Collection"}
    assert any(item["actor"]["profile_picture_url"] for item in lean)


def test_lean_feed_page_sends_the_bytes_the_schema_would(app, client, make_user, auth_headers):
    me = make_user()
    seed_every_type(me, make_user, copies=2)
    headers = auth_headers(me)

    response = client.get("/api/v2/feed/following?limit=5", headers=headers)

    with app.test_request_context():
        expected = jsonify(ActivityPageSchema().dump(feed.following_feed(me, limit=5))).get_data()
    assert response.status_code == 200
    assert response.get_data() == expected
