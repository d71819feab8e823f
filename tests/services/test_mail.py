"""send_mail: SMTP to a real aiosmtpd server on 127.0.0.1 (tests/plugins/mail.py) when MAIL_SERVER is set,
the log otherwise."""
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


def test_send_mail_without_mail_server_only_logs(app, monkeypatch, caplog):
    def no_smtp(*args, **kwargs):
        raise AssertionError("no SMTP connection may be opened")

    monkeypatch.setitem(app.config, "MAIL_SERVER", None)
    monkeypatch.setattr(smtplib, "SMTP", no_smtp)
    with caplog.at_level(logging.INFO, logger="app.services.mail"):
        send_mail("ada@example.com", "Subject line", "the body")
    assert "ada@example.com" in caplog.text and "the body" in caplog.text


def test_send_mail_to_an_unreachable_server_raises(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    with pytest.raises(OSError):
        send_mail("ada@example.com", "Subject", "body")
