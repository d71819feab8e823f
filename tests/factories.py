"""Small factories for catalogue, engagement and collection rows (committed, so every engine sees them).

Catalogue rows are written the way ingestion writes them: with the catalogue's version bumped in the same
transaction (the validator of catalogue reads)."""
import itertools
from datetime import date

from app.extensions import db
from app.models import Album, Artist, Collection, CollectionItem, Comment, Like, Review, Song
from app.services.validators import bump_catalogue_version

_n = itertools.count(1)


def make_artist(name=None, **fields):
    n = next(_n)
    artist = Artist(name=name or f"Artist {n}", deezer_id=fields.pop("deezer_id", 10_000_000_000 + n), **fields)
    db.session.add(artist)
    bump_catalogue_version()
    db.session.commit()
    return artist


def make_album(artist=None, title=None, **fields):
    n = next(_n)
    artist = artist or make_artist()
    album = Album(
        artist_id=artist.id, title=title or f"Album {n}", deezer_id=fields.pop("deezer_id", 20_000_000_000 + n),
        release_date=fields.pop("release_date", date(2020, 1, 1)), **fields,
    )
    db.session.add(album)
    bump_catalogue_version()
    db.session.commit()
    return album


def make_song(title=None, album=None, artist=None, **fields):
    """A song on `album` (a new album of `artist`, or of a new artist, when not given)."""
    n = next(_n)
    if album is None:
        album = make_album(artist=artist)
    if "artist_name" not in fields:
        fields["artist_name"] = db.session.get(Artist, album.artist_id).name
    song = Song(
        album_id=album.id, title=title or f"Song {n}", deezer_id=fields.pop("deezer_id", 30_000_000_000 + n),
        duration_ms=fields.pop("duration_ms", 200_000), **fields,
    )
    db.session.add(song)
    bump_catalogue_version()
    db.session.commit()
    return song


def make_review(user, song=None, rating=4, review_text="Nice.", **fields):
    review = Review(user_id=user.id, song_id=(song or make_song()).id, rating=rating, review_text=review_text, **fields)
    db.session.add(review)
    db.session.commit()
    return review


def make_comment(user, review, text="Agreed."):
    comment = Comment(user_id=user.id, review_id=review.id, text=text)
    db.session.add(comment)
    db.session.commit()
    return comment


def make_like(user, review=None, song=None):
    like = Like(
        user_id=user.id, likeable_type="Review" if review else "Song",
        review_id=review.id if review else None, song_id=song.id if song else None,
    )
    db.session.add(like)
    db.session.commit()
    return like


def make_collection(user, title=None, public=True, songs=()):
    collection = Collection(user_id=user.id, title=title or f"Collection {next(_n)}", description="", public=public)
    db.session.add(collection)
    db.session.flush()
    for position, song in enumerate(songs, start=1):
        db.session.add(CollectionItem(collection_id=collection.id, song_id=song.id, position=position))
    db.session.commit()
    return collection


class count_queries:
    """Counts the SQL statements run on the app's engine inside the `with` block."""

    def __enter__(self):
        from sqlalchemy import event

        self.count = 0
        self._engine = db.engine
        event.listen(self._engine, "before_cursor_execute", self._on_execute)
        return self

    def _on_execute(self, *args, **kwargs):
        self.count += 1

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self._engine, "before_cursor_execute", self._on_execute)
        return False
