"""`flask --app wsgi seed`: demo data, offline; running it again creates nothing new."""
import click
from flask import current_app


@click.command("seed")
def seed():
    """Fill the database with a demo catalogue, users, follows, reviews, likes, comments and collections."""
    from app.services.seed import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
    from app.services.seed import seed as run_seed

    if current_app.config["ENV_NAME"] == "production":
        # The demo accounts' password is published (README, this command's output): anyone could log in.
        raise click.ClickException(
            "Refusing to seed a production database: the demo accounts' password is public. "
            "Seed a development database instead (LISTIFY_ENV=development)."
        )
    result = run_seed()
    created = ", ".join(f"{count} {kind}" for kind, count in result.created.items()) or "nothing"
    click.echo(f"Catalogue: {result.songs} demo songs. Created: {created}.")
    click.echo(f"Demo users (email USERNAME@{DEMO_EMAIL_DOMAIN}, password {DEMO_PASSWORD!r}): "
               + ", ".join(result.users))
