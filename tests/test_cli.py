"""The `users` command group."""
from sqlalchemy import select

from app.extensions import db
from app.models import User


def test_users_create_with_admin_flag(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "Root@Example.com", "--username", "root", "--password", "long password",
        "--admin",
    ])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert user.is_admin and user.email == "root@example.com"


def test_users_create_rejects_invalid_input(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "nope", "--username", "x", "--password", "short"])
    assert result.exit_code != 0 and "Invalid input" in result.output
    assert db.session.scalar(select(User)) is None


def test_users_create_duplicate_fails_cleanly(app, make_user):
    make_user(username="taken")
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "a@example.com", "--username", "TAKEN", "--password", "long password"])
    assert result.exit_code != 0 and "taken" in result.output


def test_users_promote(app, make_user):
    user = make_user(email="promote@example.com")
    result = app.test_cli_runner().invoke(args=["users", "promote", "PROMOTE@example.com"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.is_admin


def test_users_promote_unknown_email(app):
    result = app.test_cli_runner().invoke(args=["users", "promote", "ghost@example.com"])
    assert result.exit_code != 0 and "No user" in result.output
