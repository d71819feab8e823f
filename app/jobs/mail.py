"""Mail jobs (queue `default`)."""
from flask import current_app

from app.extensions import db
from app.models import User
from app.services.mail import send_mail


def send_password_reset_email(user_id: int, raw_token: str) -> None:
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
