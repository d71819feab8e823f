"""The password-reset mail job, and the reset flow end to end through a real SMTP server."""
import re

import pytest

from app.jobs.mail import send_password_reset_email
from app.services.mail import send_password_reset


def reset_token(message):
    match = re.search(r"^\s*([A-Za-z0-9_-]{40,})\s*$", message.get_content(), re.MULTILINE)
    assert match, message.get_content()
    return match.group(1)


def test_reset_mail_carries_the_token_to_the_users_address(make_user, smtp_server):
    user = make_user(username="ada", email="ada@example.com")
    send_password_reset(user.id, "T" * 43)
    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["ada@example.com"] and message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your Listify password"
    assert reset_token(message) == "T" * 43
    assert "6 hours" in message.get_content()


def test_reset_mail_for_a_deleted_user_sends_nothing(smtp_server):
    send_password_reset(123456, "T" * 43)
    assert smtp_server.messages == []


def test_the_job_mails_a_fresh_token_to_the_account_of_the_email(make_user, smtp_server):
    make_user(username="ada", email="ada@example.com")
    send_password_reset_email("ada@example.com")
    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["ada@example.com"] and len(reset_token(message)) == 43


def test_the_job_for_an_unknown_email_sends_nothing(smtp_server):
    send_password_reset_email("nobody@example.com")
    assert smtp_server.messages == []


@pytest.fixture
def jobs_in_process(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def test_password_reset_by_mail_works_once(client, make_user, smtp_server, jobs_in_process):
    make_user(username="ada", email="ada@example.com", password="old-password-1")
    assert client.post("/api/v1/auth/password", json={"email": "ADA@example.com"}).status_code == 202
    [(_, recipients, message)] = smtp_server.messages
    assert recipients == ["ada@example.com"]
    token = reset_token(message)

    body = {"reset_password_token": token, "password": "new-password-2"}
    assert client.put("/api/v1/auth/password", json=body).status_code == 200
    again = client.put("/api/v1/auth/password", json={**body, "password": "third-password-3"})
    assert again.status_code == 422
    assert again.get_json()["errors"][0]["field"] == "reset_password_token"
    login = {"email": "ada@example.com", "password": "new-password-2"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200


def test_password_reset_for_an_unknown_email_sends_no_mail(client, smtp_server, jobs_in_process):
    assert client.post("/api/v1/auth/password", json={"email": "nobody@example.com"}).status_code == 202
    assert smtp_server.messages == []
