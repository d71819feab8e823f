"""send_mail: SMTP to a real aiosmtpd server on 127.0.0.1 when MAIL_SERVER is set, the log otherwise.

The `smtp_server` fixture is also used by tests/jobs/test_mail_job.py.
"""
import email
import email.policy
import logging
import smtplib
import socket

import pytest
from aiosmtpd.controller import Controller

from app.services.mail import send_mail


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on a free loopback port; the app's MAIL_* config points at it for this test."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", controller.port)
    monkeypatch.setitem(app.config, "MAIL_FROM", "Listify <no-reply@listify.test>")
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", None)
    yield inbox
    controller.stop()


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
    monkeypatch.setitem(app.config, "MAIL_PORT", _free_port())  # nothing listens there
    with pytest.raises(OSError):
        send_mail("ada@example.com", "Subject", "body")
