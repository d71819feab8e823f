"""Cursors: issued by one list, accepted by that list only; forged or foreign ones are a 422 naming `cursor`."""
import pytest

from app.pagination import Keyset
from tests.conftest import error_codes

LISTS = [
    "/api/v1/users?q=user", "/api/v1/feed/explore", "/api/v2/feed/explore", "/api/v1/feed/following",
    "/api/v2/feed/following", "/api/v1/notifications", "/api/v1/collections", "/api/v1/songs", "/api/v2/songs",
    "/api/v2/artists", "/api/v1/users/{me}/followers", "/api/v1/users/{me}/following",
]


def separator(path):
    return "&" if "?" in path else "?"


@pytest.fixture
def user_search_cursor(client, make_user, headers):
    for _ in range(3):
        make_user()
    body = client.get("/api/v1/users?q=user&limit=1", headers=headers).get_json()
    assert body["next_cursor"]
    return body["next_cursor"]


@pytest.mark.parametrize("path", LISTS[1:])
def test_a_cursor_of_the_user_search_is_refused_by_every_other_list(client, me, headers, user_search_cursor, path):
    path = path.format(me=me.id)
    response = client.get(f"{path}{separator(path)}cursor={user_search_cursor}", headers=headers)

    assert response.status_code == 422, response.get_json()
    assert error_codes(response) == ["validation_error"]
    assert response.get_json()["errors"][0]["field"] == "cursor"


def test_the_list_that_issued_a_cursor_accepts_it(client, headers, user_search_cursor):
    response = client.get(f"/api/v1/users?q=user&limit=1&cursor={user_search_cursor}", headers=headers)

    assert response.status_code == 200 and len(response.get_json()["items"]) == 1


@pytest.mark.parametrize("values", [["not a time", 1], [{"t": "2026-01-01T00:00:00"}, 1], [{"t": "x"}, 1],
                                    [{"t": "2026-01-01T00:00:00+00:00"}, 2**63], [{"t": "2026-01-01T00:00:00+00:00"}]])
def test_a_signed_cursor_with_values_of_the_wrong_type_is_refused(app, client, headers, values):
    with app.app_context():
        # Signed with the server's key, as a cursor from an older release or a bug could be: still a 422.
        cursor = Keyset("explore_feed", (object,) * len(values)).encode(values)

    response = client.get(f"/api/v2/feed/explore?cursor={cursor}", headers=headers)

    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("cursor", ["forged", "a" * 5000, "%00", "W10.x"])
def test_a_forged_cursor_is_refused(client, headers, cursor):
    response = client.get(f"/api/v2/songs?cursor={cursor}", headers=headers)

    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "cursor"
