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


def test_users_create_names_each_invalid_field_on_a_line_of_its_own(app):
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "nope", "--username", "x", "--password", "short"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: email: Not a valid email address.",
        "Error: username: 3 to 30 letters, digits, '_' or '.'.",
        "Error: password: Length must be between 8 and 128.",
    ]
    assert db.session.scalar(select(User)) is None


def test_users_create_duplicate_fails_cleanly(app, make_user):
    make_user(username="taken")
    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--email", "a@example.com", "--username", "TAKEN", "--password", "long password"])
    assert result.exit_code == 1
    assert result.output.splitlines() == ["Error: username: This username is taken."]


def test_users_promote(app, make_user):
    user = make_user(email="promote@example.com")
    result = app.test_cli_runner().invoke(args=["users", "promote", "PROMOTE@example.com"])
    assert result.exit_code == 0, result.output
    db.session.refresh(user)
    assert user.is_admin


def test_users_promote_unknown_email(app):
    result = app.test_cli_runner().invoke(args=["users", "promote", "ghost@example.com"])
    assert result.exit_code != 0 and "No user" in result.output
