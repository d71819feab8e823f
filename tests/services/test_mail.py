"""send_mail: SMTP to a real aiosmtpd server on 127.0.0.1 (tests/plugins/mail.py) when MAIL_SERVER is set;
otherwise the log in development, nowhere (a warning) elsewhere."""
import logging
import smtplib

import pytest

from app.services.mail import send_mail
from tests.deploy.servers import free_port


def test_send_mail_delivers_over_smtp(smtp_server):
    send_mail("ada@example.com", "Hello there ✨", "First line\nthe token: abc-123\n")
    [(mail_from, recipients, message)] = smtp_server.messages
    assert mail_from == "no-reply@listify.test"
    assert recipients == ["ada@example.com"]
    assert message["To"] == "ada@example.com"
    assert message["From"] == "Listify <no-reply@listify.test>"
    assert message["Subject"] == "Hello there ✨"
    assert "the token: abc-123" in message.get_content()


@pytest.fixture
def no_mail_server(app, monkeypatch):
    def no_smtp(*args, **kwargs):
        raise AssertionError("no SMTP connection may be opened")

    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setattr(smtplib, "SMTP", no_smtp)


def test_send_mail_without_mail_server_logs_the_mail_in_development(app, monkeypatch, caplog, no_mail_server):
    monkeypatch.setitem(app.config, "ENV_NAME", "development")
    with caplog.at_level(logging.INFO, logger="app.services.mail"):
        send_mail("ada@example.com", "Subject line", "the body")
    assert "ada@example.com" in caplog.text and "the body" in caplog.text


@pytest.mark.parametrize("env_name", ["production", "testing"])
def test_send_mail_without_mail_server_elsewhere_drops_it_with_a_warning_without_the_body(
        app, monkeypatch, caplog, no_mail_server, env_name):
    monkeypatch.setitem(app.config, "ENV_NAME", env_name)
    with caplog.at_level(logging.DEBUG):
        send_mail("ada@example.com", "Subject line", "the secret token")
    [record] = caplog.records
    assert record.levelname == "WARNING"
    assert record.getMessage() == "Mail to=ada@example.com subject='Subject line' dropped: MAIL_SERVER is not set"
    assert "secret" not in caplog.text


def test_send_mail_to_an_unreachable_server_raises(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    with pytest.raises(OSError):
        send_mail("ada@example.com", "Subject", "body")
