"""POST /api/v1/users/me/exports and GET /api/v1/users/me/exports/{export_id} (jobs run in-process here)."""
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Export, utcnow
from app.services import exports
from tests.conftest import error_codes
from tests.services.test_exports import check_document, seed_history

URL = "/api/v1/users/me/exports"


@pytest.fixture(autouse=True)
def jobs_in_process(app, monkeypatch):
    # These tests run the job in-process; tests/jobs/test_export_job.py runs it in a real worker.
    monkeypatch.setitem(app.config, "REDIS_URL", None)


@pytest.fixture
def people(make_user):
    return make_user(), make_user(), make_user()


def test_post_queues_an_export_and_answers_202_with_its_status_url(client, auth_headers, people, local_backend):
    user = people[0]
    response = client.post(URL, headers=auth_headers(user))
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"export_id", "status_url"}
    assert body["status_url"] == f"{URL}/{body['export_id']}"
    export = db.session.get(Export, body["export_id"])
    assert export.user_id == user.id and len(export.id) == 32


def test_finished_export_downloads_the_whole_history(client, auth_headers, people, storage_backend):
    user, friend, fan = people
    history = seed_history(user, friend, fan)
    status_url = client.post(URL, headers=auth_headers(user)).get_json()["status_url"]
    response = client.get(status_url, headers=auth_headers(user))
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"export_id", "status", "download_url", "created_at", "expires_at", "error"}
    assert body["status"] == "finished" and body["error"] is None
    assert body["expires_at"] is not None
    status, content_type, data = storage_backend.fetch(body["download_url"])
    assert (status, content_type) == (200, "application/json")
    check_document(json.loads(data), history)


def test_unfinished_export_has_no_download_url(client, auth_headers, make_user, local_backend):
    user = make_user()
    db.session.add(Export(id="q" * 32, user_id=user.id, status="queued"))
    db.session.commit()
    body = client.get(f"{URL}/{'q' * 32}", headers=auth_headers(user)).get_json()
    assert (body["status"], body["download_url"], body["expires_at"]) == ("queued", None, None)


def test_failed_export_reports_its_error(client, auth_headers, make_user, local_backend, monkeypatch):
    user = make_user()

    def broken_save(*args, **kwargs):
        raise OSError("bucket gone")

    monkeypatch.setattr(local_backend.storage, "save", broken_save)
    status_url = client.post(URL, headers=auth_headers(user)).get_json()["status_url"]
    body = client.get(status_url, headers=auth_headers(user)).get_json()
    assert (body["status"], body["download_url"]) == ("failed", None)
    assert body["error"] == exports.FAILED_MESSAGE  # no internals leak to the client


def test_another_users_export_is_404(client, auth_headers, people, local_backend):
    owner, stranger, _ = people
    status_url = client.post(URL, headers=auth_headers(owner)).get_json()["status_url"]
    response = client.get(status_url, headers=auth_headers(stranger))
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


@pytest.mark.parametrize("export_id", ["0" * 32, "nope", "x" * 300])
def test_unknown_export_is_404(client, auth_headers, make_user, export_id):
    response = client.get(f"{URL}/{export_id}", headers=auth_headers(make_user()))
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


def test_expired_export_is_404_even_before_the_clean_up(client, auth_headers, make_user, local_backend):
    user = make_user()
    past = utcnow() - timedelta(minutes=1)
    db.session.add(Export(id="o" * 32, user_id=user.id, status="finished", storage_key="exports/o.json",
                          finished_at=past - timedelta(days=7), expires_at=past))
    db.session.commit()
    assert client.get(f"{URL}/{'o' * 32}", headers=auth_headers(user)).status_code == 404


@pytest.mark.parametrize(("method", "path"), [("post", URL), ("get", f"{URL}/{'0' * 32}")])
def test_exports_require_authentication(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]


def test_openapi_documents_the_export_endpoints(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert {"202", "401"} <= set(paths[URL]["post"]["responses"])
    assert {"200", "401", "404"} <= set(paths[URL + "/{export_id}"]["get"]["responses"])
    assert {"200", "404"} <= set(paths["/media/{token}"]["get"]["responses"])


# --- one export under way, five a day -------------------------------------------------


def count_exports():
    return db.session.scalar(select(func.count()).select_from(Export))


@pytest.mark.parametrize("status", ["queued", "started"])
def test_a_request_while_an_export_is_under_way_answers_that_export(client, auth_headers, make_user, status):
    user = make_user()
    db.session.add(Export(id="p" * 32, user_id=user.id, status=status, created_at=utcnow()))
    db.session.commit()
    response = client.post(URL, headers=auth_headers(user))
    assert response.status_code == 202
    assert response.get_json() == {"export_id": "p" * 32, "status_url": f"{URL}/{'p' * 32}"}
    assert count_exports() == 1


def test_an_export_under_way_of_another_user_does_not_count(client, auth_headers, people, local_backend):
    owner, other, _ = people
    db.session.add(Export(id="p" * 32, user_id=other.id, status="queued", created_at=utcnow()))
    db.session.commit()
    response = client.post(URL, headers=auth_headers(owner))
    assert response.status_code == 202 and response.get_json()["export_id"] != "p" * 32


def test_at_most_five_exports_a_day(client, auth_headers, make_user, local_backend, clock):
    user = make_user()
    for _ in range(5):
        assert client.post(URL, headers=auth_headers(user)).status_code == 202
        clock.advance(hours=1)
    response = client.post(URL, headers=auth_headers(user))
    assert response.status_code == 429
    assert error_codes(response) == ["rate_limited"]
    # The first of the day, 5 hours ago, leaves in 19 (flask-limiter, which rewrites the header on its way out,
    # rounds it down by up to a second).
    assert 19 * 3600 - 1 <= int(response.headers["Retry-After"]) <= 19 * 3600
    assert count_exports() == 5
    clock.advance(hours=19, seconds=-1)
    assert client.post(URL, headers=auth_headers(user)).status_code == 429
    clock.advance(seconds=1)
    assert client.post(URL, headers=auth_headers(user)).status_code == 202
    assert count_exports() == 6


def test_a_lost_export_does_not_block_the_next_request(client, auth_headers, make_user, local_backend, clock):
    """An export still queued an hour after it was asked for has lost its job (a dead worker, a Redis that lost
    its queue): the next request gets a new export, and the lost one says it failed."""
    user = make_user()
    db.session.add(Export(id="l" * 32, user_id=user.id, status="started", created_at=utcnow()))
    db.session.commit()
    clock.advance(minutes=59)
    assert client.post(URL, headers=auth_headers(user)).get_json()["export_id"] == "l" * 32
    clock.advance(minutes=1)
    body = client.post(URL, headers=auth_headers(user)).get_json()
    assert body["export_id"] != "l" * 32
    lost = client.get(f"{URL}/{'l' * 32}", headers=auth_headers(user)).get_json()
    assert (lost["status"], lost["error"]) == ("failed", exports.LOST_MESSAGE)
    assert client.get(body["status_url"], headers=auth_headers(user)).get_json()["status"] == "finished"


def test_an_export_the_queue_refused_leaves_nothing_behind(client, auth_headers, make_user, monkeypatch):
    import redis

    def queue_down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is down")

    monkeypatch.setattr(exports, "enqueue", queue_down)
    user = make_user()
    response = client.post(URL, headers=auth_headers(user))
    assert response.status_code == 503 and error_codes(response) == ["service_unavailable"]
    assert count_exports() == 0  # neither "queued" forever nor counted against the day's five


def test_openapi_documents_the_daily_export_limit(client):
    responses = client.get("/openapi.json").get_json()["paths"][URL]["post"]["responses"]
    assert responses["429"]["description"].startswith("Five exports in the last 24 hours")
