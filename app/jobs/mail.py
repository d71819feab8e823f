"""Mail jobs (queue `default`)."""
from app.services import auth


def send_password_reset_email(email: str) -> None:
    """Mail a reset token to the account of `email`, if it has one and may have another mail this hour."""
    auth.send_password_reset(email)
