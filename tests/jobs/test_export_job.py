"""The export job: run_export(export_id) in-process, and a real RQ worker end to end."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.extensions import db
from app.jobs.exports import run_export
from app.models import Export
from tests.services.test_exports import check_document, seed_history

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def people(make_user):
    return make_user(), make_user(), make_user()


def test_run_export_takes_the_export_id_and_finishes_it(people, local_backend):
    user = people[0]
    db.session.add(Export(id="j" * 32, user_id=user.id, status="queued"))
    db.session.commit()
    run_export("j" * 32)
    export = db.session.get(Export, "j" * 32)
    assert export.status == "finished" and local_backend.keys("exports") == [export.storage_key]


def test_run_export_of_a_deleted_export_does_nothing(local_backend):
    run_export("gone" * 8)
    assert local_backend.keys("exports") == []


@pytest.mark.redis
def test_worker_writes_an_export_queued_through_the_api(app, app_config, client, auth_headers, people, local_backend):
    user, friend, fan = people
    history = seed_history(user, friend, fan)
    headers = auth_headers(user)
    response = client.post("/api/v1/users/me/exports", headers=headers)
    assert response.status_code == 202
    status_url = response.get_json()["status_url"]
    assert client.get(status_url, headers=headers).get_json()["status"] == "queued"

    env = {
        **os.environ, "LISTIFY_ENV": "development", "SECRET_KEY": app.config["SECRET_KEY"],
        # The same database, Redis and storage directory as this test's app.
        "DATABASE_URL": app_config.SQLALCHEMY_DATABASE_URI, "REDIS_URL": app_config.REDIS_URL,
        "STORAGE_BACKEND": "local", "STORAGE_LOCAL_ROOT": app.config["STORAGE_LOCAL_ROOT"],
    }
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--burst"], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr[-3000:]

    db.session.remove()  # the worker wrote in another process: forget what this session read before
    body = client.get(status_url, headers=headers).get_json()
    assert body["status"] == "finished", (body, worker.stderr[-3000:])
    status, content_type, data = local_backend.fetch(body["download_url"])
    assert (status, content_type) == (200, "application/json")
    check_document(json.loads(data), history)
