"""`Link: <next page>; rel="next"` on every page whose next_cursor is set (RFC 8288), on every paged route."""
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.factories import make_collection, make_comment, make_review, make_song

LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


@pytest.fixture
def lists(client, me, headers, make_user, auth_headers):
    """Three rows in every list of `me`'s view; the paths to walk, by their OpenAPI path."""
    others = [make_user() for _ in range(3)]
    for other in others:
        assert client.post(f"/api/v1/users/{me.id}/follow", headers=auth_headers(other)).status_code in (200, 201)
        assert client.post(f"/api/v1/users/{other.id}/follow", headers=headers).status_code in (200, 201)
    songs = [make_song() for _ in range(3)]
    reviews = [make_review(other, songs[0]) for other in others]
    for other in others:
        make_comment(other, reviews[0])
    for _ in range(3):
        make_collection(me)
    return {
        "/api/v1/users": "/api/v1/users?q=user",
        "/api/v1/users/{user_id}/followers": f"/api/v1/users/{me.id}/followers",
        "/api/v1/users/{user_id}/following": f"/api/v1/users/{me.id}/following",
        "/api/v1/feed/following": "/api/v1/feed/following",
        "/api/v1/feed/explore": "/api/v1/feed/explore",
        "/api/v2/feed/following": "/api/v2/feed/following",
        "/api/v2/feed/explore": "/api/v2/feed/explore",
        "/api/v1/notifications": "/api/v1/notifications",
        "/api/v1/songs": "/api/v1/songs",
        "/api/v2/songs": "/api/v2/songs",
        "/api/v2/artists": "/api/v2/artists",
        "/api/v1/songs/{song_id}/reviews": f"/api/v1/songs/{songs[0].id}/reviews",
        "/api/v1/reviews/{review_id}/comments": f"/api/v1/reviews/{reviews[0].id}/comments",
        "/api/v1/collections": "/api/v1/collections",
    }


def paged_operations(client):
    """Every GET whose 200 is a page (its schema has next_cursor), from the published document."""
    document = client.get("/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    for path, operations in document["paths"].items():
        ok = operations.get("get", {}).get("responses", {}).get("200", {})
        name = ok.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "").rsplit("/", 1)[-1]
        if "next_cursor" in schemas.get(name, {}).get("properties", {}):
            yield path, ok


def next_url(response):
    match = LINK.match(response.headers["Link"])
    assert match, response.headers["Link"]
    return match["url"]


def test_every_paged_route_is_walked_here_and_documents_the_header(client, lists):
    documented = dict(paged_operations(client))
    assert set(documented) == set(lists)
    for path, ok in documented.items():
        assert "Link" in ok["headers"], path


def test_each_page_links_the_next_until_the_last(client, headers, lists):
    for path in lists.values():
        separator = "&" if "?" in path else "?"
        response = client.get(f"{path}{separator}limit=1", headers=headers)
        seen = []
        while True:
            assert response.status_code == 200, (path, response.get_json())
            body = response.get_json()
            seen += body["items"]
            if body["next_cursor"] is None:
                assert "Link" not in response.headers, path
                break
            url = next_url(response)
            parts = urlsplit(url)
            assert (parts.scheme, parts.netloc) == ("http", "localhost"), url  # absolute
            query = parse_qs(parts.query)
            assert query["cursor"] == [body["next_cursor"]] and query["limit"] == ["1"], url
            response = client.get(url, headers=headers)
        assert len(seen) >= 3, path
        everything = client.get(f"{path}{separator}limit=100", headers=headers).get_json()["items"]
        assert seen == everything, path


def test_the_link_keeps_the_filters_and_replaces_the_cursor(client, headers, lists):
    first = client.get("/api/v1/users?q=user&limit=1", headers=headers)
    second = client.get(next_url(first), headers=headers)

    query = parse_qs(urlsplit(next_url(second)).query)
    assert query == {"q": ["user"], "limit": ["1"], "cursor": [second.get_json()["next_cursor"]]}


def test_a_legacy_page_links_the_next_by_cursor_with_its_page_size(client, headers, lists):
    first = client.get("/api/v1/songs?page=2&per=1", headers=headers)
    url = next_url(first)

    query = parse_qs(urlsplit(url).query)
    assert set(query) == {"limit", "cursor"} and query["limit"] == ["1"]
    assert client.get(url, headers=headers).get_json()["items"] == \
        client.get("/api/v1/songs?page=3&per=1", headers=headers).get_json()["items"]


def test_the_link_names_the_host_and_scheme_the_proxy_was_asked_for(client, headers, lists, app):
    response = client.get("/api/v2/songs?limit=1", headers=headers, base_url="https://api.example.com")

    assert next_url(response).startswith("https://api.example.com/api/v2/songs?")
