import pytest
from sqlalchemy import event, text

from app.errors import NotFound
from app.extensions import db
from app.services import catalogue
from tests.factories import count_queries, make_album, make_artist, make_song
from tests.paging import paging


def titles(page):
    return [song.title for song in page.items]


def list_songs(limit=20, cursor=None, page=None, per=None, **filters):
    legacy = {name: value for name, value in (("page", page), ("per", per)) if value is not None}
    return catalogue.list_songs(paging(catalogue.SONG_KEYSET, limit, cursor, **legacy), **filters)


def test_songs_are_listed_newest_first():
    first, second = make_song("First"), make_song("Second")
    assert [s.id for s in list_songs(limit=20).items] == [second.id, first.id]


def test_songs_pages_follow_the_cursor_without_overlap():
    songs = [make_song(f"S{i}") for i in range(5)]
    first = list_songs(limit=2)
    second = list_songs(limit=2, cursor=first.next_cursor)
    third = list_songs(limit=2, cursor=second.next_cursor)
    ids = [s.id for s in first.items + second.items + third.items]
    assert ids == [s.id for s in reversed(songs)]
    assert third.next_cursor is None


def test_songs_legacy_page_and_per_use_offsets():
    songs = [make_song(f"S{i}") for i in range(5)]
    page = list_songs(limit=20, page=2, per=2)
    assert [s.id for s in page.items] == [songs[2].id, songs[1].id]


def test_song_query_matches_title_case_insensitively():
    make_song("Get Lucky"), make_song("Around the World")
    assert titles(list_songs(q="LUCK", limit=20)) == ["Get Lucky"]


def test_song_query_matches_artist_name():
    artist = make_artist("Daft Punk")
    make_song("One More Time", artist=artist), make_song("Other")
    assert titles(list_songs(q="daft", limit=20)) == ["One More Time"]


@pytest.mark.parametrize("q, expected", [
    ("100%", ["100% Pure"]),
    ("%", ["100% Pure"]),
    ("a_b", ["a_b"]),
    ("_", ["a_b"]),
    ("\\", ["back\\slash"]),
])
def test_song_query_wildcards_match_only_themselves(q, expected):
    for title in ("100% Pure", "1000 Pure", "a_b", "axb", "back\\slash", "backslash"):
        make_song(title)
    assert titles(list_songs(q=q, limit=20)) == expected


def test_songs_filter_by_album():
    album = make_album()
    on_album = make_song("On", album=album)
    make_song("Off")
    assert [s.id for s in list_songs(album_id=album.id, limit=20).items] == [on_album.id]


def test_songs_filter_by_artist_through_albums():
    artist = make_artist()
    a = make_song("A", album=make_album(artist=artist))
    b = make_song("B", album=make_album(artist=artist))
    make_song("Other")
    assert [s.id for s in list_songs(artist_id=artist.id, limit=20).items] == [b.id, a.id]


def test_unknown_song_is_not_found():
    with pytest.raises(NotFound):
        catalogue.get_song(999)


def test_album_songs_are_in_track_order():
    album = make_album()
    third = make_song("Third", album=album, disk_number=2, track_position=1)
    second = make_song("Second", album=album, disk_number=1, track_position=2)
    first = make_song("First", album=album, disk_number=1, track_position=1)
    expected, album_id = [first.id, second.id, third.id], album.id
    db.session.expunge_all()
    assert [s.id for s in catalogue.get_album(album_id).tracks] == expected


def test_artists_filter_by_name_substring():
    make_artist("Daft Punk"), make_artist("Punkish"), make_artist("Air")
    page = catalogue.list_artists(paging(catalogue.ARTIST_KEYSET), q="PUNK")
    assert sorted(a.name for a in page.items) == ["Daft Punk", "Punkish"]


def _statements_for_page(size):
    artists = [make_artist() for _ in range(size)]
    for artist in artists:
        make_song(artist=artist)
    db.session.expunge_all()
    with count_queries() as counter:
        page = list_songs(limit=size)
        from app.schemas.catalogue import SongSchema

        SongSchema(many=True).dump(page.items)
    return counter.count


def test_song_page_query_count_does_not_grow_with_page_size():
    small = _statements_for_page(2)
    db.session.expunge_all()
    large = _statements_for_page(10)
    assert small == large == 1


def explain_last_statement(run) -> str:
    """EXPLAIN of the last statement `run` sends, with its parameters, in the same transaction."""
    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    statement, parameters = sent[-1]
    return "\n".join(row[0] for row in db.session.connection().exec_driver_sql(f"EXPLAIN {statement}", parameters))


@pytest.mark.postgres
@pytest.mark.parametrize("column", ["title", "artist_name"])
def test_song_search_can_use_the_trigram_indexes(column):
    make_song("Harder Better Faster Stronger")
    # A tiny table is cheapest to read whole; forbid whole-table and whole-index scans (for this transaction) to
    # see whether the trigram indexes can answer the search itself.
    db.session.execute(text("SET LOCAL enable_seqscan = off"))
    db.session.execute(text("SET LOCAL enable_indexscan = off"))
    plan = explain_last_statement(lambda: list_songs(q="harder"))
    db.session.rollback()
    assert f"Bitmap Index Scan on ix_songs_{column}_trgm" in plan, plan
