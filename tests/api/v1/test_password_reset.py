"""Password reset (POST and PUT /api/v1/auth/password): one live token per user, 3 mails per email per hour,
the same work for every email, no token in a log outside development. Mail goes to a real SMTP server."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import PasswordResetToken, User, utcnow
from app.queue import get_queue
from app.services import auth
from app.services.tokens import hash_token
from tests.concurrency import run_concurrently
from tests.conftest import error_codes

URL = "/api/v1/auth/password"
PASSWORD = "old-password-1"


@pytest.fixture
def alice(make_user):
    return make_user(username="alice", email="alice@example.com", password=PASSWORD)


@pytest.fixture
def request_reset(client, drain_jobs):
    """POST a reset request, then run its job as a worker would (it ran in-process already without Redis)."""

    def post(email="alice@example.com", **kwargs):
        response = client.post(URL, json={"email": email}, **kwargs)
        assert response.status_code == 202, response.get_json()
        drain_jobs()
        return response

    return post


@pytest.fixture
def in_process(app, monkeypatch):
    """Jobs run inside the request, as without Redis: the request does all the work."""
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def tokens_in(inbox):
    return [re.search(r"^\s*([A-Za-z0-9_-]{40,})\s*$", message.get_content(), re.MULTILINE).group(1)
            for _, _, message in inbox.messages]


def reset(client, token, password="new-password-2"):
    return client.put(URL, json={"reset_password_token": token, "password": password})


def live_tokens():
    return db.session.scalar(
        select(func.count()).select_from(PasswordResetToken).where(PasswordResetToken.used_at.is_(None))
    )


def test_reset_token_works_once_and_bumps_the_version(client, alice, auth_headers, smtp_server, request_reset):
    headers = auth_headers(alice)
    request_reset("ALICE@example.com")
    [token] = tokens_in(smtp_server)
    assert db.session.scalars(select(PasswordResetToken.token_hash)).one() == hash_token(token)
    response = reset(client, token)
    assert response.status_code == 200 and response.get_json()["jwt_version"] == 2
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    again = reset(client, token, "third-password-3")
    assert again.status_code == 422 and again.get_json()["errors"][0]["field"] == "reset_password_token"
    login = client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": "new-password-2"})
    assert login.status_code == 200


def test_unknown_email_answers_the_same_and_gets_nothing(client, alice, smtp_server, request_reset):
    known = request_reset("alice@example.com")
    unknown = request_reset("nobody@example.com")
    assert known.get_json() == unknown.get_json()
    assert [recipients for _, recipients, _ in smtp_server.messages] == [["alice@example.com"]]
    assert db.session.scalar(select(func.count()).select_from(PasswordResetToken)) == 1


def test_reset_token_expires_after_six_hours(client, alice, smtp_server, request_reset, clock):
    request_reset()
    [token] = tokens_in(smtp_server)
    row = db.session.scalars(select(PasswordResetToken)).one()
    assert row.expires_at - utcnow() == timedelta(hours=6)
    clock.advance(hours=6)
    assert reset(client, token).status_code == 422


def test_a_new_request_replaces_the_live_token(client, alice, smtp_server, request_reset):
    request_reset()
    request_reset()
    first, second = tokens_in(smtp_server)
    assert live_tokens() == 1
    assert reset(client, first).status_code == 422
    assert reset(client, second).status_code == 200


def test_a_reset_leaves_no_live_token(client, alice, smtp_server, request_reset):
    request_reset()
    request_reset()
    first, second = tokens_in(smtp_server)
    assert reset(client, second).status_code == 200
    assert live_tokens() == 0
    assert reset(client, first, "another-password-3").status_code == 422


def test_a_password_change_voids_the_reset_token(client, alice, auth_headers, smtp_server, request_reset):
    request_reset()
    [token] = tokens_in(smtp_server)
    change = client.patch(URL, headers=auth_headers(alice),
                          json={"current_password": PASSWORD, "password": "changed-password-9"})
    assert change.status_code == 200
    assert live_tokens() == 0
    response = reset(client, token)
    assert response.status_code == 422 and error_codes(response) == ["validation_error"]


def test_at_most_three_mails_per_email_per_hour(client, alice, smtp_server, request_reset, clock):
    for n in range(5):
        request_reset("Alice@Example.com" if n % 2 else "alice@example.com")
        clock.advance(minutes=1)
    assert len(smtp_server.messages) == 3
    assert live_tokens() == 1
    clock.advance(minutes=54)  # the first mail is now 59 minutes old
    request_reset()
    assert len(smtp_server.messages) == 3
    clock.advance(minutes=1, seconds=1)  # and now over an hour
    request_reset()
    assert len(smtp_server.messages) == 4
    assert reset(client, tokens_in(smtp_server)[-1]).status_code == 200


def test_the_mail_limit_of_one_email_leaves_others_alone(client, alice, make_user, smtp_server, request_reset):
    make_user(username="bob", email="bob@example.com")
    for _ in range(4):
        request_reset("alice@example.com")
    request_reset("bob@example.com")
    assert [recipients for _, recipients, _ in smtp_server.messages][-1] == ["bob@example.com"]
    assert len(smtp_server.messages) == 4


def test_the_mail_limit_holds_across_processes(app, app_config, make_app, alice, smtp_server, in_process):
    """Each app is a process of its own (its own memory, limiter and pool): the count lives in the database."""

    class OtherProcess(app_config):
        REDIS_URL = None
        MAIL_SERVER, MAIL_PORT, MAIL_FROM = app.config["MAIL_SERVER"], app.config["MAIL_PORT"], "x@listify.test"

    clients = [app.test_client(), make_app(OtherProcess).test_client()]
    for n in range(6):
        assert clients[n % 2].post(URL, json={"email": "alice@example.com"}).status_code == 202
    assert len(smtp_server.messages) == 3


def test_concurrent_requests_mail_at_most_three_and_leave_one_live_token(app, alice, smtp_server):
    run_concurrently(app, [lambda: auth.send_password_reset("alice@example.com")] * 6)
    assert len(smtp_server.messages) == 3
    assert live_tokens() == 1
    [live] = db.session.scalars(select(PasswordResetToken.token_hash).where(PasswordResetToken.used_at.is_(None)))
    assert live in {hash_token(token) for token in tokens_in(smtp_server)}


def test_known_unknown_and_limited_emails_run_the_same_statements(client, alice, smtp_server, statements,
                                                                  in_process):
    """The same SQL in the same order, one write each (the request's record): the time of the answer cannot
    tell a known email from an unknown one, nor a mailed request from one over the limit."""
    runs = {}
    for name, email in [("unknown", "nobody@example.com"), ("known", "alice@example.com"),
                        ("known2", "alice@example.com"), ("known3", "alice@example.com"),
                        ("limited", "alice@example.com")]:
        statements.clear()
        assert client.post(URL, json={"email": email}).status_code == 202
        runs[name] = list(statements)
    assert len(smtp_server.messages) == 3
    assert any(statement.lstrip().upper().startswith("INSERT") for statement in runs["unknown"])
    assert runs["unknown"] == runs["known"] == runs["limited"]


@pytest.mark.redis
def test_with_redis_the_request_only_queues_the_email(client, alice, statements):
    """With a queue the request runs no statement at all, for any email; the job gets the email, never a token
    (RQ logs a job's arguments)."""
    for email in ("alice@example.com", "nobody@example.com"):
        statements.clear()
        assert client.post(URL, json={"email": email}).status_code == 202
        assert statements == []
    assert [(job.func_name, job.args, job.kwargs) for job in get_queue("default").jobs] == [
        ("app.jobs.mail.send_password_reset_email", ("alice@example.com",), {}),
        ("app.jobs.mail.send_password_reset_email", ("nobody@example.com",), {}),
    ]


def test_no_reset_token_reaches_the_log_outside_development(app, client, alice, request_reset, caplog, monkeypatch):
    monkeypatch.setitem(app.config, "ENV_NAME", "production")
    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    caplog.set_level("DEBUG")
    request_reset()
    [stored] = db.session.scalars(select(PasswordResetToken.token_hash))
    logged_words = set(re.findall(r"[A-Za-z0-9_-]{20,}", caplog.text))
    assert stored not in {hash_token(word) for word in logged_words}
    [dropped] = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert dropped.levelname == "WARNING"
    assert dropped.getMessage() == (
        "Mail to=alice@example.com subject='Reset your Listify password' dropped: MAIL_SERVER is not set"
    )


def test_a_deleted_account_gets_no_mail_from_its_queued_request(client, alice, smtp_server, in_process):
    db.session.delete(db.session.get(User, alice.id))
    db.session.commit()
    assert client.post(URL, json={"email": "alice@example.com"}).status_code == 202
    assert smtp_server.messages == []
