"""`flask --app wsgi seed`: demo data, offline; running it again creates nothing new."""
import click


@click.command("seed")
def seed():
    """Fill the database with a demo catalogue, users, follows, reviews, likes, comments and collections."""
    from app.services.seed import DEMO_EMAIL_DOMAIN, DEMO_PASSWORD
    from app.services.seed import seed as run_seed

    result = run_seed()
    created = ", ".join(f"{count} {kind}" for kind, count in result.created.items()) or "nothing"
    click.echo(f"Catalogue: {result.songs} demo songs. Created: {created}.")
    click.echo(f"Demo users (email USERNAME@{DEMO_EMAIL_DOMAIN}, password {DEMO_PASSWORD!r}): "
               + ", ".join(result.users))
