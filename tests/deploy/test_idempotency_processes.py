"""Idempotency-Key across processes: a request answered by one gunicorn is replayed by another, after Redis lost
everything it held (the keys live in the database)."""
import json

from sqlalchemy import func, select

from app.extensions import db
from app.models import Review
from app.queue import redis_connection
from tests.deploy.servers import http_request
from tests.factories import make_song


def call(server, path, body, headers=None):
    return http_request(server.port, "POST", path, body=json.dumps(body),
                        headers={"Content-Type": "application/json", **(headers or {})})


def test_a_review_posted_on_one_process_is_replayed_by_another_after_a_redis_restart(gunicorn_factory, make_user):
    first_process, second_process = gunicorn_factory(), gunicorn_factory()
    user, song = make_user(), make_song()
    login = call(first_process, "/api/v1/auth/login", {"email": user.email, "password": "password123"})
    assert login.status == 200, login.body
    headers = {"Authorization": "Bearer " + json.loads(login.body)["access_token"], "Idempotency-Key": "k-1"}
    body = {"song_id": song.id, "rating": 5}

    first = call(first_process, "/api/v1/reviews", body, headers)
    if (redis := redis_connection()) is not None:
        redis.flushdb()  # what a restart of a Redis that keeps nothing on disk leaves
    again = call(second_process, "/api/v1/reviews", body, headers)

    assert first.status == again.status == 201, (first.body, again.body)
    assert json.loads(again.body) == json.loads(first.body)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert db.session.scalar(select(func.count()).select_from(Review)) == 1
