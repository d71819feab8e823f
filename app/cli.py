"""Command line: `flask --app wsgi users ...`, `worker`, and the commands other modules add."""
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup
from marshmallow import ValidationError
from sqlalchemy import select

from app.cli_seed import seed
from app.cli_sync import sync
from app.errors import AppError, flatten_validation_messages
from app.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


class InputErrors(click.ClickException):
    """A command's input refused: one `Error: field: message` line per problem, fields named as the API names them."""

    def __init__(self, errors):
        self.lines = [f"{e['field']}: {e['message']}" if e.get("field") else e["message"] for e in errors]
        super().__init__("\n".join(self.lines))

    def show(self, file=None):
        for line in self.lines:
            click.echo(f"Error: {line}", file=file, err=True, color=self.show_color)


@contextmanager
def reported_input_errors():
    """Invalid input (a schema's ValidationError) and domain errors end the command as InputErrors."""
    try:
        yield
    except ValidationError as error:
        raise InputErrors(flatten_validation_messages(error.messages)) from None
    except AppError as error:
        raise InputErrors([error.to_dict()]) from None


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--username", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make the account an administrator.")
def create_user(email, username, password, admin):
    """Create an account (administrators can only be made here)."""
    from app.schemas.auth import RegisterSchema
    from app.services import auth

    with reported_input_errors():
        body = RegisterSchema().load({"email": email, "username": username, "password": password})
        session = auth.register(**body)
    if admin:
        from sqlalchemy import update

        from app.models import User

        db.session.execute(update(User).where(User.id == session.user.id).values(
            is_admin=True, profile_version=User.profile_version + 1))
        db.session.commit()
    click.echo(f"Created user {session.user.id} ({session.user.username}){' as admin' if admin else ''}.")


@users_cli.command("promote")
@click.argument("email")
def promote_user(email):
    """Make an existing account an administrator."""
    from app.models import User

    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user with email {email}.")
    user.is_admin = True
    user.profile_version = User.profile_version + 1  # the profile shows is_admin
    db.session.commit()
    click.echo(f"{user.username} is now an administrator.")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the queued jobs, then exit (no periodic jobs).")
@click.option("--no-cron", is_flag=True, help="Do not start the periodic-job scheduler in this worker.")
@click.option("--queues", default="ingest,default", show_default=True, help="Queues, highest priority first.")
def worker(burst, no_cron, queues):
    """Run an RQ worker for every queue, inside the app context, with the scheduler for periodic jobs."""
    from app.jobs.worker import run_worker

    if not current_app.config.get("REDIS_URL"):
        raise click.ClickException("REDIS_URL is not set: without it jobs run in-process and no worker is needed.")
    run_worker([q.strip() for q in queues.split(",") if q.strip()], burst=burst, cron=not no_cron)


def register_commands(app):
    app.cli.add_command(users_cli)
    app.cli.add_command(worker)
    app.cli.add_command(sync)
    app.cli.add_command(seed)
