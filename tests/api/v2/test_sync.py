"""POST /api/v2/songs/sync and GET /api/v2/sync_jobs/{job_id}: admin only, validated, in-process jobs."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Song, SyncJob
from tests.conftest import error_codes
from tests.fakes.deezer_server import NoWaitLimiter, recorded, sample_routes

BASE_URL = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def inline_jobs(app, monkeypatch, requests_mock):
    """Jobs run in-process (whatever REDIS_URL says) against the recorded samples, without waiting."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "DEEZER_API_URL", BASE_URL)
    monkeypatch.setitem(app.extensions, "listify_deezer_limiter", NoWaitLimiter())
    for path, body in sample_routes().items():
        requests_mock.get(BASE_URL + path, json=body)


@pytest.fixture
def admin(make_user):
    return make_user(is_admin=True)


def sync_jobs():
    return db.session.scalar(select(func.count()).select_from(SyncJob))


def test_sync_is_accepted_and_its_status_reports_the_counts(client, admin, auth_headers):
    response = client.post("/api/v2/songs/sync", json={"album_id": 302127}, headers=auth_headers(admin))

    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"job_id", "status_url"}
    assert body["status_url"] == f"/api/v2/sync_jobs/{body['job_id']}"
    status = client.get(body["status_url"], headers=auth_headers(admin))
    assert status.status_code == 200
    job = status.get_json()
    assert job["job_id"] == body["job_id"]
    assert job["status"] == "finished" and job["error"] is None
    assert job["progress"] == {"pages": 2, "tracks_seen": 14, "created": 14, "updated": 0}
    assert all(job[name].endswith("+00:00") for name in ("enqueued_at", "started_at", "ended_at"))
    assert db.session.scalar(select(func.count()).select_from(Song)) == 14
    assert db.session.get(SyncJob, body["job_id"]).requested_by_id == admin.id


def test_sync_of_the_same_source_again_creates_nothing(client, admin, auth_headers):
    client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(admin))

    again = client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(admin)).get_json()

    progress = client.get(again["status_url"], headers=auth_headers(admin)).get_json()["progress"]
    assert (progress["created"], progress["updated"], progress["tracks_seen"]) == (0, 0, 10)


def test_sync_limit_caps_the_songs_stored(client, admin, auth_headers):
    response = client.post("/api/v2/songs/sync", json={"query": "lay low", "limit": 7}, headers=auth_headers(admin))

    job = client.get(response.get_json()["status_url"], headers=auth_headers(admin)).get_json()
    assert job["progress"]["created"] == 7
    assert db.session.scalar(select(func.count()).select_from(Song)) == 7


def test_failed_sync_reports_a_clear_error(client, admin, auth_headers, requests_mock):
    requests_mock.get(BASE_URL + "/playlist/1/tracks", json=recorded("error_playlist_not_found.json"))

    response = client.post("/api/v2/songs/sync", json={"playlist_id": 1}, headers=auth_headers(admin))

    assert response.status_code == 202
    job = client.get(response.get_json()["status_url"], headers=auth_headers(admin)).get_json()
    assert job["status"] == "failed" and job["ended_at"] is not None
    assert "playlist 1" in job["error"] and "not found" in job["error"]


def test_sync_by_a_non_admin_is_forbidden(client, make_user, auth_headers):
    response = client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(make_user()))

    assert response.status_code == 403
    assert error_codes(response) == ["forbidden"]
    assert sync_jobs() == 0


def test_sync_without_a_token_is_401(client):
    response = client.post("/api/v2/songs/sync", json={"chart": True})

    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


@pytest.mark.parametrize("body, field", [
    ({}, None),
    ({"limit": 5}, None),
    ({"query": "daft punk", "album_id": 302127}, None),
    ({"chart": True, "artist_id": 27}, None),
    ({"chart": False}, "chart"),
    ({"chart": "yes"}, "chart"),
    ({"query": ""}, "query"),
    ({"query": "   "}, "query"),
    ({"query": "x" * 301}, "query"),
    ({"query": 5}, "query"),
    ({"album_id": 0}, "album_id"),
    ({"album_id": 2**63}, "album_id"),
    ({"album_id": "302127"}, "album_id"),
    ({"chart": True, "limit": 0}, "limit"),
    ({"chart": True, "limit": 10001}, "limit"),
    ({"chart": True, "limit": "5"}, "limit"),
    ({"chart": True, "priority": 1}, "priority"),
])
def test_invalid_sync_body_is_422(client, admin, auth_headers, body, field):
    response = client.post("/api/v2/songs/sync", json=body, headers=auth_headers(admin))

    assert response.status_code == 422
    assert set(error_codes(response)) == {"validation_error"}
    assert [error.get("field") for error in response.get_json()["errors"]] == [field]
    assert sync_jobs() == 0


def test_sync_is_rate_limited_per_admin(app, client, make_user, auth_headers, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_SYNC", "2 per minute")
    first, second = make_user(is_admin=True), make_user(is_admin=True)
    for _ in range(2):
        assert client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(first)).status_code == 202

    limited = client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(first))
    other_admin = client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(second))

    assert limited.status_code == 429
    assert error_codes(limited) == ["rate_limited"] and int(limited.headers["Retry-After"]) > 0
    assert other_admin.status_code == 202
    assert sync_jobs() == 3


def test_sync_while_the_job_queue_is_down_is_503_and_the_job_is_failed(app, client, admin, auth_headers,
                                                                         monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    monkeypatch.setitem(app.extensions, "listify_redis", None)

    response = client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(admin))

    assert response.status_code == 503
    assert error_codes(response) == ["service_unavailable"]
    job = db.session.scalars(select(SyncJob)).one()
    assert job.status == "failed" and job.ended_at is not None and "queue" in job.error


def test_status_of_an_unknown_job_is_404(client, admin, auth_headers):
    response = client.get("/api/v2/sync_jobs/no-such-job", headers=auth_headers(admin))

    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_status_with_an_overlong_job_id_is_404(client, admin, auth_headers):
    response = client.get("/api/v2/sync_jobs/" + "a" * 65, headers=auth_headers(admin))

    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_status_for_a_non_admin_is_forbidden(client, admin, make_user, auth_headers):
    job_id = client.post("/api/v2/songs/sync", json={"chart": True}, headers=auth_headers(admin)).get_json()["job_id"]

    response = client.get(f"/api/v2/sync_jobs/{job_id}", headers=auth_headers(make_user()))

    assert response.status_code == 403
    assert error_codes(response) == ["forbidden"]


@pytest.mark.parametrize("chart", [1, "true"])
def test_chart_must_be_the_json_boolean_true(client, admin, auth_headers, chart):
    response = client.post("/api/v2/songs/sync", json={"chart": chart}, headers=auth_headers(admin))
    assert response.status_code == 422
    assert [error.get("field") for error in response.get_json()["errors"]] == ["chart"]
    assert sync_jobs() == 0


def test_openapi_says_a_sync_names_exactly_one_non_blank_source(client):
    schema = client.get("/openapi.json").get_json()["components"]["schemas"]["SyncRequest"]
    assert schema["oneOf"] == [{"required": [name]} for name in ("query", "artist_id", "album_id", "playlist_id", "chart")]
    assert schema["properties"]["query"]["pattern"] == r"\S"
    assert schema["properties"]["chart"]["enum"] == [True]


def test_a_sync_repeated_with_its_idempotency_key_is_replayed_without_a_second_job(client, admin, auth_headers):
    headers = {**auth_headers(admin), "Idempotency-Key": "sync-chart-1"}
    first = client.post("/api/v2/songs/sync", json={"chart": True, "limit": 5}, headers=headers)
    again = client.post("/api/v2/songs/sync", json={"chart": True, "limit": 5}, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert sync_jobs() == 1
