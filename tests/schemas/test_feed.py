"""The lean dump of feed items sends exactly the bytes ActivitySchema's dump would (the clock fixed, since picture
URLs are signed with the time)."""
import pytest
from flask import jsonify

from app.extensions import db
from app.schemas.feed import ActivityPageSchema, ActivitySchema, dump_activity_row
from app.services import feed
from tests.paging import paging
from tests.services.test_feed import seed_every_type


@pytest.fixture
def feed_with_pictures(make_user):
    me = make_user()
    seed_every_type(me, make_user, copies=2)
    friend = db.session.get(type(me), me.id + 1)
    friend.profile_picture_key = "users/pic.png"
    db.session.commit()
    return me


def test_lean_feed_dump_is_the_schema_dump_byte_for_byte(app, clock, feed_with_pictures):
    items = feed.following_feed(feed_with_pictures, paging(feed.FOLLOWING_KEYSET, 50)).items

    with app.test_request_context():
        lean = [dump_activity_row(item) for item in items]
        schema = ActivitySchema(many=True).dump(items)
        assert jsonify(lean).get_data() == jsonify(schema).get_data()

    assert len(lean) == 12
    assert {item["target"]["type"] for item in lean} == {"User", "Song", "Review", "Collection"}
    assert any(item["actor"]["profile_picture_url"] for item in lean)


@pytest.mark.parametrize("path", ["/api/v1/feed/following", "/api/v2/feed/following", "/api/v1/feed/explore",
                                  "/api/v2/feed/explore"])
def test_feed_pages_send_the_bytes_the_declared_schema_would(app, client, clock, auth_headers, feed_with_pictures,
                                                             path):
    me = feed_with_pictures
    response = client.get(f"{path}?limit=5", headers=auth_headers(me))

    listing, keyset = ((feed.following_feed, feed.FOLLOWING_KEYSET) if "following" in path
                       else (feed.explore_feed, feed.EXPLORE_KEYSET))
    page = listing(me, paging(keyset, 5))
    with app.test_request_context():
        expected = jsonify(ActivityPageSchema().dump(page)).get_data()
    assert response.status_code == 200
    assert response.get_data() == expected
