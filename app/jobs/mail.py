"""Mail jobs (queue `default`)."""
from app.services import mail


def send_password_reset_email(user_id: int, raw_token: str) -> None:
    mail.send_password_reset(user_id, raw_token)
