"""Demo data, offline and idempotent: a catalogue from recorded Deezer answers (app/seed_data/), demo users,
follows, reviews, likes, comments and collections.

Everything goes through the same services as the API, so activities and notifications exist and feeds are
alive. Each step is keyed (Deezer ids, emails, user+song, user+title, ...) so a second run creates nothing.
"""
import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from app.errors import Conflict
from app.extensions import db
from app.models import Collection, Comment, Review, Song, User
from app.services import collections, engagement, social
from app.services.deezer.records import MalformedItemError, parse_album, parse_artist, parse_track
from app.services.ingestion import store_tracks
from app.services.passwords import hash_password

SEED_DIR = Path(__file__).resolve().parent.parent / "seed_data"
DEMO_PASSWORD = "listify-demo"
DEMO_EMAIL_DOMAIN = "demo.listify.local"

# Deezer answers recorded as JSON: track lists, and one album whose track list needs the album around it.
TRACK_LISTS = [
    "artist_27_top.json", "chart_0_tracks.json", "search_lou_doillon_page1.json",
    "playlist_9200461_tracks_page1.json", "search_billy_jean_limit3.json", "search_soliloquy.json",
]
ALBUMS = [("album_302127.json", "album_302127_tracks.json")]

DEMO_USERS = [
    ("ada", "Jazz at breakfast, techno at night."),
    ("bruno", "Vinyl digger. Mostly French pop."),
    ("chloe", "I review everything I hear twice."),
    ("dmitri", "Piano trios and film scores."),
    ("esme", "Playlists for long train rides."),
    ("farid", "Electronic music, old and new."),
    ("grace", "Singer-songwriters, always."),
    ("hiro", "Charts watcher."),
    ("ines", "Bossa nova and trip hop."),
    ("jonas", "Here for the comments."),
]

REVIEW_TEXTS = [
    (5, "An all-time favourite: it still gives me chills."),
    (4, "Great groove, the second half is even better."),
    (3, "Nice enough, but I skip it sometimes."),
    (5, "Perfect for a late drive."),
    (2, "Not for me, though the production is clean."),
    (4, "The chorus stays with you for days."),
]
COMMENT_TEXTS = ["Totally agree!", "Really? I love that part.", "Thanks, adding it to my list.", "Fair point."]
COLLECTION_TITLES = [("Morning coffee", True), ("Workout", True), ("Guilty pleasures", False)]


@dataclass
class SeedResult:
    songs: int = 0
    users: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ["songs", "users", "follows", "reviews", "likes", "comments", "collections", "collection items"], 0))

    def add(self, kind: str, created: bool = True) -> None:
        self.created[kind] = self.created.get(kind, 0) + int(created)


def load_tracks(seed_dir: Path = SEED_DIR) -> list:
    """Every track record of the recorded answers, in file order (malformed items skipped)."""
    tracks = []
    for name in TRACK_LISTS:
        for item in json.loads((seed_dir / name).read_text())["data"]:
            try:
                tracks.append(parse_track(item))
            except MalformedItemError:
                continue
    for album_name, tracks_name in ALBUMS:
        album_body = json.loads((seed_dir / album_name).read_text())
        album = parse_album(album_body)
        artist = parse_artist(album_body["artist"]) if isinstance(album_body.get("artist"), dict) else None
        for item in json.loads((seed_dir / tracks_name).read_text())["data"]:
            try:
                tracks.append(parse_track(item, album=album, artist=artist))
            except MalformedItemError:
                continue
    return tracks


def seed() -> SeedResult:
    result = SeedResult()
    tracks = load_tracks()
    counts = store_tracks(tracks)
    db.session.commit()
    result.created["songs"] = counts.created
    songs = db.session.scalars(
        select(Song).where(Song.deezer_id.in_({t.deezer_id for t in tracks})).order_by(Song.deezer_id)
    ).all()
    result.songs = len(songs)
    users = [_demo_user(name, bio, result) for name, bio in DEMO_USERS]
    result.users = [u.username for u in users]
    _follows(users, result)
    reviews = _reviews(users, songs, result)
    _likes_and_comments(users, songs, reviews, result)
    _collections(users, songs, result)
    return result


def _demo_user(username: str, bio: str, result: SeedResult) -> User:
    email = f"{username}@{DEMO_EMAIL_DOMAIN}"
    user = db.session.scalar(select(User).where(User.email == email))
    result.add("users", user is None)
    if user is None:
        user = User(username=username, email=email, bio=bio, password_hash=hash_password(DEMO_PASSWORD))
        db.session.add(user)
        db.session.commit()
    return user


def _follows(users: list[User], result: SeedResult) -> None:
    # Each user follows the next three: a ring dense enough for every following feed to have content.
    for i, user in enumerate(users):
        for step in (1, 2, 3):
            _, created = social.follow(user, users[(i + step) % len(users)].id)
            result.add("follows", created)


def _reviews(users: list[User], songs: list[Song], result: SeedResult) -> list[Review]:
    reviews = []
    for i, user in enumerate(users):
        for k in range(3):
            song = songs[(i * 7 + k * 11) % len(songs)]
            rating, text = REVIEW_TEXTS[(i + k) % len(REVIEW_TEXTS)]
            existing = db.session.scalar(select(Review).where(Review.user_id == user.id, Review.song_id == song.id))
            if existing is None:
                try:
                    existing = engagement.create_review(user, song.id, rating, text)
                    result.add("reviews")
                except Conflict:  # reviewed concurrently by another seed run
                    existing = db.session.scalar(
                        select(Review).where(Review.user_id == user.id, Review.song_id == song.id))
            reviews.append(existing)
    return reviews


def _likes_and_comments(users: list[User], songs: list[Song], reviews: list[Review], result: SeedResult) -> None:
    review_ids = [r.id for r in reviews]
    for i, user in enumerate(users):
        for k in (1, 4, 9):
            review = db.session.get(Review, review_ids[(i * 3 + k * 5) % len(review_ids)])
            if review.user_id != user.id:
                _, created = engagement.like(user, "Review", review.id)
                result.add("likes", created)
        _, created = engagement.like(user, "Song", songs[(i * 5) % len(songs)].id)
        result.add("likes", created)
        review = db.session.get(Review, review_ids[(i * 3 + 4) % len(review_ids)])
        text = COMMENT_TEXTS[i % len(COMMENT_TEXTS)]
        exists = db.session.scalar(
            select(Comment.id).where(Comment.user_id == user.id, Comment.review_id == review.id, Comment.text == text)
        )
        if exists is None and review.user_id != user.id:
            engagement.add_comment(user, review.id, text)
            result.add("comments")


def _collections(users: list[User], songs: list[Song], result: SeedResult) -> None:
    for i, user in enumerate(users[:6]):
        title, public = COLLECTION_TITLES[i % len(COLLECTION_TITLES)]
        collection = db.session.scalar(select(Collection).where(Collection.user_id == user.id,
                                                                Collection.title == title))
        if collection is None:
            collection = collections.create_collection(
                user, title, description=f"{user.username}'s {title.lower()} picks.", public=public,
            )
            result.add("collections")
        for k in range(5):
            try:
                collections.add_item(user, collection.id, songs[(i * 13 + k * 3) % len(songs)].id)
                result.add("collection items")
            except Conflict:
                pass
