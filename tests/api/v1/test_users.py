"""Profiles: me, update, public profile, username prefix search (v1)."""
import pytest

from app.models import MAX_ID
from tests.conftest import error_codes


def test_me_is_wrapped_and_has_email(client, make_user, auth_headers):
    user = make_user(username="carol", bio="bio")
    response = client.get("/api/v1/users/me", headers=auth_headers(user))
    assert response.status_code == 200
    me = response.get_json()["user"]
    assert set(me) == {"id", "username", "email", "bio", "profile_picture_url", "is_admin", "followers_count",
                       "following_count", "created_at"}
    assert me["email"] == "carol@example.com" and me["created_at"].endswith("+00:00")


def test_me_requires_authentication(client):
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_update_me_changes_username_and_bio(client, make_user, auth_headers):
    user = make_user(username="carol")
    response = client.patch("/api/v1/users/me", headers=auth_headers(user), json={"username": "Caroline", "bio": "x"})
    assert response.status_code == 200
    assert response.get_json()["user"]["username"] == "Caroline"
    assert response.get_json()["user"]["bio"] == "x"


@pytest.mark.parametrize("body, field", [
    ({"username": "no spaces"}, "username"),
    ({"bio": "b" * 501}, "bio"),
    ({"is_admin": True}, "is_admin"),
    ({"email": "new@example.com"}, "email"),
    ({"jwt_version": 9}, "jwt_version"),
])
def test_update_me_rejects_invalid_or_protected_fields(client, make_user, auth_headers, body, field):
    user = make_user()
    response = client.patch("/api/v1/users/me", headers=auth_headers(user), json=body)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field
    me = client.get("/api/v1/users/me", headers=auth_headers(user)).get_json()["user"]
    assert me["is_admin"] is False


def test_update_me_to_taken_username_is_conflict(client, make_user, auth_headers):
    make_user(username="taken")
    user = make_user()
    response = client.patch("/api/v1/users/me", headers=auth_headers(user), json={"username": "TAKEN"})
    assert response.status_code == 409
    assert response.get_json()["errors"][0]["field"] == "username"


def test_patch_another_user_is_forbidden(client, make_user, auth_headers):
    me, other = make_user(), make_user(username="victim")
    response = client.patch(f"/api/v1/users/{other.id}", headers=auth_headers(me), json={"bio": "pwned"})
    assert response.status_code == 403 and error_codes(response) == ["forbidden"]
    profile = client.get(f"/api/v1/users/{other.id}", headers=auth_headers(me)).get_json()
    assert profile["bio"] == ""


def test_patch_yourself_by_id_works(client, make_user, auth_headers):
    me = make_user()
    response = client.patch(f"/api/v1/users/{me.id}", headers=auth_headers(me), json={"bio": "by id"})
    assert response.status_code == 200 and response.get_json()["user"]["bio"] == "by id"


def test_public_profile_has_no_email(client, make_user, auth_headers):
    me, other = make_user(), make_user(username="dave", bio="hello")
    response = client.get(f"/api/v1/users/{other.id}", headers=auth_headers(me))
    assert response.status_code == 200
    assert response.get_json() == {
        "id": other.id, "username": "dave", "bio": "hello", "profile_picture_url": None,
        "followers_count": 0, "following_count": 0, "followed_by_me": False,
    }


@pytest.mark.parametrize("path_id", ["999999", str(MAX_ID), str(MAX_ID + 1), "99999999999999999999999"])
def test_unknown_or_out_of_range_user_is_404(client, make_user, auth_headers, path_id):
    response = client.get(f"/api/v1/users/{path_id}", headers=auth_headers(make_user()))
    assert response.status_code == 404 and error_codes(response) == ["not_found"]


def test_search_matches_username_prefix_case_insensitively(client, make_user, auth_headers):
    me = make_user(username="zed")
    for name in ("Alpha", "alfred", "bob", "al_x"):
        make_user(username=name)
    response = client.get("/api/v1/users?q=AL", headers=auth_headers(me))
    assert response.status_code == 200
    assert [u["username"] for u in response.get_json()["items"]] == ["al_x", "alfred", "Alpha"]
    assert "email" not in response.get_json()["items"][0]


def test_search_wildcards_match_literally(client, make_user, auth_headers):
    me = make_user(username="zed")
    make_user(username="a_b")
    make_user(username="axb")
    response = client.get("/api/v1/users?q=a_", headers=auth_headers(me))
    assert [u["username"] for u in response.get_json()["items"]] == ["a_b"]
    response = client.get("/api/v1/users?q=%25", headers=auth_headers(me))
    assert response.get_json()["items"] == []


def test_search_pages_with_cursor_without_gaps_or_repeats(client, make_user, auth_headers):
    me = make_user(username="zed")
    names = [f"user_{i:02d}" for i in range(7)]
    for name in names:
        make_user(username=name)
    seen, cursor, inserted = [], None, 0
    while True:
        query = "/api/v1/users?q=user_&limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(query, headers=auth_headers(me)).get_json()
        seen += [u["username"] for u in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        inserted += 1
        make_user(username=f"user_00_{inserted}")  # sorts before the cursor: must not appear or shift pages
    assert seen == names


def test_search_supports_legacy_page_and_per(client, make_user, auth_headers):
    me = make_user(username="zed")
    for i in range(5):
        make_user(username=f"p{i}")
    page2 = client.get("/api/v1/users?q=p&page=2&per=2", headers=auth_headers(me)).get_json()
    assert [u["username"] for u in page2["items"]] == ["p2", "p3"]


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=abc", "limit"),
    ("cursor=forged", "cursor"), ("page=0", "page"), ("per=500", "per"),
])
def test_search_rejects_bad_paging(client, make_user, auth_headers, query, field):
    response = client.get(f"/api/v1/users?{query}", headers=auth_headers(make_user()))
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == field
