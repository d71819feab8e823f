from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Activity,
    Album,
    Artist,
    Collection,
    CollectionItem,
    Comment,
    Follow,
    Like,
    Notification,
    Review,
    Song,
    User,
)
from app.services.passwords import verify_password
from app.services.seed import DEMO_PASSWORD

TABLES = (Artist, Album, Song, User, Follow, Review, Like, Comment, Collection, CollectionItem, Activity, Notification)


def counts():
    db.session.expire_all()
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def test_seed_fills_every_table_and_prints_the_demo_password(app):
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert DEMO_PASSWORD in result.output
    seeded = counts()
    assert all(seeded.values()), seeded
    assert seeded["songs"] >= 90 and seeded["users"] == 10


def test_seed_twice_creates_nothing_new(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed"]).exit_code == 0
    first = counts()
    second_run = runner.invoke(args=["seed"])
    assert second_run.exit_code == 0, second_run.output
    assert counts() == first
    assert "Created: 0 songs" in second_run.output


def test_demo_users_log_in_with_the_printed_password(app, client):
    app.test_cli_runner().invoke(args=["seed"])
    user = db.session.scalars(select(User).order_by(User.id)).first()
    assert verify_password(user.password_hash, DEMO_PASSWORD)
    response = client.post("/api/v1/auth/login", json={"email": user.email, "password": DEMO_PASSWORD})
    assert response.status_code == 200


def test_seeded_catalogue_keeps_album_track_order_and_artists(app):
    app.test_cli_runner().invoke(args=["seed"])
    album = db.session.scalar(select(Album).where(Album.deezer_id == 302127))
    assert album is not None and album.title
    titles = db.session.scalars(select(Song.track_position).where(Song.album_id == album.id)
                                .order_by(Song.track_position)).all()
    assert titles == list(range(1, len(titles) + 1)) and len(titles) == 14


def test_seeded_private_collection_activity_is_not_public(app):
    app.test_cli_runner().invoke(args=["seed"])
    private = db.session.scalars(select(Collection.id).where(Collection.public.is_(False))).all()
    assert private
    assert not db.session.scalar(select(func.count()).select_from(Activity).where(
        Activity.collection_id.in_(private), Activity.public.is_(True)))


def test_seed_refuses_to_run_in_production(app_config, make_app):
    """The demo accounts' password is published: production must never get them."""
    from config import ProductionConfig

    class Production(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = app_config.SQLALCHEMY_DATABASE_URI
        SECRET_KEY, JWT_SECRET_KEY = "k" * 40, "j" * 40
        REDIS_URL, SINGLE_PROCESS = None, True

    production = make_app(Production)
    with production.app_context():  # the test's own app context would otherwise be the command's
        result = production.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code != 0
    assert "Refusing to seed a production database" in result.output
    assert DEMO_PASSWORD not in result.output
    assert counts()["users"] == 0 and counts()["songs"] == 0
