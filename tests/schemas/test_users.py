"""The lean dump of a public profile sends exactly the bytes PublicProfileSchema's dump would (the clock fixed,
since picture URLs are signed with the time)."""
import pytest
from flask import jsonify

from app.extensions import db
from app.models import Follow
from app.schemas.users import PublicProfileSchema, dump_public_profile_row
from app.services import users


@pytest.fixture
def people(make_user):
    viewer, star, fan = make_user(), make_user(bio="Ünïcode “bio” \\ \u2028"), make_user()
    star.profile_picture_key = "users/star.png"
    db.session.add_all([Follow(follower_id=viewer.id, followed_id=star.id),
                        Follow(follower_id=fan.id, followed_id=star.id),
                        Follow(follower_id=star.id, followed_id=fan.id)])
    db.session.commit()
    return viewer, star, fan


@pytest.mark.parametrize("who", ["star", "fan", "viewer"])
def test_lean_profile_dump_is_the_schema_dump_byte_for_byte(app, clock, people, who):
    viewer, star, fan = people
    row = users.get_profile({"star": star, "fan": fan, "viewer": viewer}[who].id, viewer.id)

    with app.test_request_context():
        lean = dump_public_profile_row(row)
        assert jsonify(lean).get_data() == jsonify(PublicProfileSchema().dump(row)).get_data()

    assert set(lean) == set(PublicProfileSchema().fields)


def test_profile_response_sends_the_bytes_the_declared_schema_would(app, client, clock, people, auth_headers):
    viewer, star, fan = people
    headers = auth_headers(viewer)

    for person in (star, fan):
        response = client.get(f"/api/v1/users/{person.id}", headers=headers)
        with app.test_request_context():
            expected = jsonify(PublicProfileSchema().dump(users.get_profile(person.id, viewer.id))).get_data()
        assert response.status_code == 200 and response.get_data() == expected
    star_body = client.get(f"/api/v1/users/{star.id}", headers=headers).get_json()
    assert star_body["followers_count"] == 2 and star_body["following_count"] == 1
    assert star_body["followed_by_me"] is True and star_body["profile_picture_url"]
