"""Outgoing mail: the messages Listify sends, over SMTP when MAIL_SERVER is set. Without it, development
writes each mail to the log; every other environment drops it with a warning that shows no body (a reset
token must never reach a log outside development)."""
import logging
import smtplib
from email.message import EmailMessage

from flask import current_app

from app.extensions import db
from app.models import User

log = logging.getLogger(__name__)


def send_password_reset(user_id: int, raw_token: str) -> None:
    """Mail the user their reset token and link; an account deleted since the request gets nothing."""
    user = db.session.get(User, user_id)
    if user is None:
        return
    link = current_app.config["PASSWORD_RESET_URL"].format(token=raw_token)
    hours = current_app.config["PASSWORD_RESET_TTL"] // 3600
    send_mail(
        user.email,
        "Reset your Listify password",
        f"Hello {user.username},\n\n"
        f"Someone asked to reset the password of your Listify account. If it was you, use this token\n"
        f"within {hours} hours (it works once):\n\n{raw_token}\n\nor open {link}\n\n"
        f"If it was not you, ignore this mail: your password is unchanged.\n",
    )


def send_mail(to: str, subject: str, body: str) -> None:
    cfg = current_app.config
    if not cfg.get("MAIL_SERVER"):
        # Before the message is built (about 2 ms): a dropped reset mail costs no more than none at all.
        if cfg["ENV_NAME"] == "development":
            log.info("Mail (no MAIL_SERVER configured) to=%s subject=%r\n%s", to, subject, body)
        else:
            log.warning("Mail to=%s subject=%r dropped: MAIL_SERVER is not set", to, subject)
        return
    message = EmailMessage()
    message["From"] = cfg["MAIL_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=30) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    log.info("Mail sent to=%s subject=%r", to, subject)
