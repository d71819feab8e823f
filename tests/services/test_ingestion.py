"""Deezer ingestion into the catalogue: every source end to end (Deezer mocked), paging, idempotent upserts,
progress per page, failures and their recovery, and concurrent jobs on PostgreSQL."""
import datetime
import functools
import threading
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from sqlalchemy import create_engine, func, select

from app.extensions import db
from app.models import Album, Artist, Song, SyncJob
from app.services import ingestion
from app.services.deezer import (
    DeezerClient,
    DeezerPermanentError,
    DeezerSource,
    DeezerUnavailableError,
    TrackPage,
)
from app.services.deezer.records import parse_track
from app.services.ingestion import UNKNOWN_ALBUM_TITLE, store_tracks
from app.services.sync_jobs import create_sync_job, run_sync_job
from tests.concurrency import run_concurrently
from tests.conftest import ON_POSTGRES
from tests.fakes.deezer_server import (
    FakeDeezer,
    NoWaitLimiter,
    generated_pages,
    recorded,
    sample_routes,
    track_item,
    trickled,
)

BASE_URL = "http://127.0.0.1:9"


@pytest.fixture
def limiter():
    return NoWaitLimiter()


@pytest.fixture
def deezer(limiter):
    client = DeezerClient(BASE_URL, limiter, sleep=lambda seconds: None, random=lambda: 0.5)
    yield client
    client.close()


@pytest.fixture
def samples(requests_mock):
    routes = sample_routes()
    for path, body in routes.items():
        requests_mock.get(BASE_URL + path, json=body)
    return routes


@pytest.fixture
def sync(deezer):
    """`sync(source, limit)` records a sync job and runs it to the end; returns the job row."""

    def run(source, limit=100, client=None):
        job = create_sync_job(source, limit, requested_by_id=None)
        return run_sync_job(job.id, client or deezer)

    return run


def serve_items(requests_mock, path, items, *, page_size=100):
    """Serve `items` at `path` with Deezer's paging (`index`, `limit`, `next`)."""

    def page(request, context):
        query = dict(parse_qsl(urlsplit(request.url).query))
        index, limit = int(query.get("index", 0)), min(int(query.get("limit", page_size)), page_size)
        body = {"data": items[index:index + limit], "total": len(items)}
        if index + limit < len(items):
            body["next"] = f"https://api.deezer.com{path}?{urlencode({**query, 'index': index + limit})}"
        return body

    requests_mock.get(BASE_URL + path, json=page)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def song(deezer_id):
    return db.session.scalar(select(Song).where(Song.deezer_id == deezer_id))


@pytest.mark.parametrize("source, path, pages", [
    (DeezerSource("query", "lay low"), "/search", 1),
    (DeezerSource("album", 302127), "/album/302127/tracks", 2),
    (DeezerSource("playlist", 9200461), "/playlist/9200461/tracks", 1),
    (DeezerSource("chart"), "/chart/0/tracks", 1),
])
def test_source_is_stored_end_to_end(sync, samples, source, path, pages):
    ids = {item["id"] for item in samples[path]["data"]}

    job = sync(source)

    assert (job.status, job.pages, job.tracks_seen, job.created, job.updated) == (
        "finished", pages, len(samples[path]["data"]), len(ids), 0)
    assert set(db.session.scalars(select(Song.deezer_id))) == ids


def test_artist_source_stores_top_tracks_then_album_tracks(sync, samples):
    job = sync(DeezerSource("artist", 27))

    top_ids = {item["id"] for item in samples["/artist/27/top"]["data"]}
    album_ids = {item["id"] for item in samples["/album/302127/tracks"]["data"]}
    assert (job.status, job.pages, job.created) == ("finished", 4, len(top_ids | album_ids))
    assert set(db.session.scalars(select(Song.deezer_id))) == top_ids | album_ids
    artist = db.session.scalar(select(Artist).where(Artist.deezer_id == 27))
    assert artist.picture_url == samples["/artist/27"]["picture_big"]


def test_album_tracks_get_album_artist_isrc_and_release_date(sync, samples):
    sync(DeezerSource("album", 302127))

    first = samples["/album/302127/tracks"]["data"][0]
    stored = song(first["id"])
    album = db.session.get(Album, stored.album_id)
    artist = db.session.get(Artist, album.artist_id)
    assert (stored.title, stored.isrc, stored.duration_ms, stored.track_position, stored.artist_name) == (
        first["title"], first["isrc"], first["duration"] * 1000, 1, "Daft Punk")
    assert (album.deezer_id, album.title, album.release_date) == (302127, "Discovery", datetime.date(2001, 3, 7))
    assert (artist.deezer_id, artist.name) == (27, "Daft Punk")
    assert (count(Album), count(Artist)) == (1, 1)


def test_paging_stops_at_exactly_the_limit(sync, requests_mock):
    serve_items(requests_mock, "/search", [track_item(n) for n in range(1, 301)])

    job = sync(DeezerSource("query", "many"), limit=230)

    assert (job.status, job.pages, job.tracks_seen, job.created) == ("finished", 3, 230, 230)
    assert count(Song) == 230
    assert db.session.scalar(select(func.max(Song.deezer_id))) == 230


def test_short_page_that_is_not_the_last_is_followed(sync, requests_mock):
    requests_mock.get(BASE_URL + "/search", json={
        "data": [track_item(n) for n in (1, 2, 3)], "total": 5, "next": "https://api.deezer.com/search?q=x&index=3"})
    requests_mock.get(BASE_URL + "/search?index=3", json={"data": [track_item(n) for n in (4, 5)], "total": 5})

    job = sync(DeezerSource("query", "x"), limit=100)

    assert (job.status, job.pages, job.created) == ("finished", 2, 5)
    assert count(Song) == 5


def test_empty_page_past_the_end_finishes_the_job(sync, samples, requests_mock):
    tracks = dict(samples["/album/302127/tracks"], next="https://api.deezer.com/album/302127/tracks?index=14")
    requests_mock.get(BASE_URL + "/album/302127/tracks", json=tracks)
    requests_mock.get(BASE_URL + "/album/302127/tracks?index=14",
                      json=recorded("album_302127_tracks_index14_past_end.json"))

    job = sync(DeezerSource("album", 302127))

    assert (job.status, job.pages, job.tracks_seen, job.created) == ("finished", 3, 14, 14)


def test_source_without_tracks_finishes_with_zero_counts(sync, requests_mock):
    requests_mock.get(BASE_URL + "/search", json=recorded("search_artist_no_results.json"))

    job = sync(DeezerSource("query", "nobody"))

    assert (job.status, job.tracks_seen, job.created, job.updated) == ("finished", 0, 0, 0)
    assert job.ended_at is not None


def test_second_run_creates_and_updates_nothing(sync, samples):
    sync(DeezerSource("artist", 27))
    rows = (count(Artist), count(Album), count(Song))

    again = sync(DeezerSource("artist", 27))

    assert (again.status, again.created, again.updated) == ("finished", 0, 0)
    assert (count(Artist), count(Album), count(Song)) == rows


def test_search_item_does_not_erase_known_isrc_and_release_date(sync, samples, requests_mock):
    sync(DeezerSource("album", 302127))
    album_track = samples["/album/302127/tracks"]["data"][0]
    same_in_search = track_item(album_track["id"], title=album_track["title"], duration=album_track["duration"],
                                preview=album_track["preview"], artist={"id": 27, "name": "Daft Punk"},
                                album={"id": 302127, "title": "Discovery"})
    requests_mock.get(BASE_URL + "/search", json={"data": [same_in_search], "total": 1})

    job = sync(DeezerSource("query", "one more time"))

    stored = song(album_track["id"])
    assert (stored.isrc, stored.track_position) == (album_track["isrc"], 1)
    album = db.session.get(Album, stored.album_id)
    assert (album.release_date, album.cover_url) == (datetime.date(2001, 3, 7), samples["/album/302127"]["cover_big"])
    assert (job.created, job.updated) == (0, 0)


def test_changed_title_counts_as_updated(sync, requests_mock):
    requests_mock.get(BASE_URL + "/search", [
        {"json": {"data": [track_item(1), track_item(2)], "total": 2}},
        {"json": {"data": [track_item(1, title="Renamed"), track_item(2)], "total": 2}},
    ])
    sync(DeezerSource("query", "x"))

    job = sync(DeezerSource("query", "x"))

    assert (job.created, job.updated) == (0, 1)
    assert song(1).title == "Renamed"
    assert count(Song) == 2


def test_track_repeated_within_a_page_is_stored_once(sync, requests_mock):
    requests_mock.get(BASE_URL + "/search", json={"data": [track_item(7), track_item(8), track_item(7)], "total": 3})

    job = sync(DeezerSource("query", "x"))

    assert (job.tracks_seen, job.created) == (3, 2)
    assert count(Song) == 2


def test_deezer_ids_beyond_32_bits_are_kept(sync, requests_mock):
    big = 2**40 + 5
    item = track_item(big, artist={"id": 2**33, "name": "Big"}, album={"id": 2**35, "title": "Huge"})
    requests_mock.get(BASE_URL + "/search", json={"data": [item], "total": 1})

    sync(DeezerSource("query", "x"))

    stored = song(big)
    album = db.session.get(Album, stored.album_id)
    assert (album.deezer_id, db.session.get(Artist, album.artist_id).deezer_id) == (2**35, 2**33)


def test_track_without_album_gets_its_artists_unknown_album(app):
    item = track_item(11)
    del item["album"]
    other = track_item(12)
    del other["album"]

    first = store_tracks([parse_track(item)])
    second = store_tracks([parse_track(other)])
    db.session.commit()

    albums = db.session.scalars(select(Album)).all()
    assert (first.created, second.created) == (1, 1)
    assert [(a.title, a.deezer_id) for a in albums] == [(UNKNOWN_ALBUM_TITLE, None)]
    assert {song(11).album_id, song(12).album_id} == {albums[0].id}


def test_quota_error_in_a_200_body_is_waited_out_then_the_page_stored(sync, requests_mock, limiter):
    requests_mock.get(BASE_URL + "/search", [
        {"json": {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}},
        {"json": {"data": [track_item(1)], "total": 1}},
    ])

    job = sync(DeezerSource("query", "x"))

    assert (job.status, job.created, job.error) == ("finished", 1, None)
    assert requests_mock.call_count == 2
    assert limiter.pauses and limiter.pauses[0] >= 1


def test_unknown_album_fails_the_job_with_a_clear_error(deezer, requests_mock):
    requests_mock.get(BASE_URL + "/album/999", json=recorded("error_album_not_found.json"))
    job = create_sync_job(DeezerSource("album", 999), 100, None)

    with pytest.raises(DeezerPermanentError):
        run_sync_job(job.id, deezer)

    failed = db.session.get(SyncJob, job.id)
    assert failed.status == "failed" and failed.ended_at is not None
    assert "album 999" in failed.error and "not found" in failed.error and "800" in failed.error
    assert requests_mock.call_count <= 3
    assert count(Song) == 0


def test_failure_midway_keeps_earlier_pages_and_a_rerun_completes(sync, deezer, requests_mock):
    items = [track_item(n) for n in range(1, 11)]
    serve_items(requests_mock, "/search", items, page_size=4)
    requests_mock.get(BASE_URL + "/search?index=8", status_code=503)
    job = create_sync_job(DeezerSource("query", "x"), 100, None)

    with pytest.raises(DeezerUnavailableError):
        run_sync_job(job.id, deezer)

    failed = db.session.get(SyncJob, job.id)
    assert (failed.status, failed.pages, failed.tracks_seen, failed.created) == ("failed", 2, 8, 8)
    assert 'query "x"' in failed.error and "503" in failed.error
    assert count(Song) == 8

    serve_items(requests_mock, "/search", items, page_size=4)
    rerun = sync(DeezerSource("query", "x"))

    assert (rerun.status, rerun.created, rerun.updated) == ("finished", 2, 0)
    assert count(Song) == 10


def test_unexpected_error_names_the_source_and_cause(app):
    class BrokenClient:
        def iter_track_pages(self, source, limit):
            yield TrackPage(tracks=[parse_track(track_item(1))], pages_fetched=1)
            raise RuntimeError("disk on fire")

    job = create_sync_job(DeezerSource("playlist", 42), 100, None)

    with pytest.raises(RuntimeError):
        run_sync_job(job.id, BrokenClient())

    failed = db.session.get(SyncJob, job.id)
    assert (failed.status, failed.error, failed.pages, failed.created) == (
        "failed", "Sync of playlist 42 failed: RuntimeError: disk on fire", 1, 1)
    assert count(Song) == 1


def test_progress_is_committed_with_each_page(app, deezer, requests_mock):
    serve_items(requests_mock, "/search", [track_item(n) for n in range(1, 8)], page_size=3)
    job = create_sync_job(DeezerSource("query", "x"), 100, None)
    seen_elsewhere = []
    other = create_engine(db.engine.url)

    def look(job, page):
        with other.connect() as connection:
            row = connection.execute(select(SyncJob.status, SyncJob.pages, SyncJob.created)
                                     .where(SyncJob.id == job.id)).one()
            seen_elsewhere.append((tuple(row), connection.scalar(select(func.count()).select_from(Song))))

    run_sync_job(job.id, deezer, on_page=look)
    other.dispose()

    assert seen_elsewhere == [(("started", 1, 3), 3), (("started", 2, 6), 6), (("started", 3, 7), 7)]


class PagesClient:
    """Yields pre-built TrackPages: a Deezer that answers instantly, for concurrency tests."""

    def __init__(self, bodies, barrier=None):
        self.pages = [[parse_track(item) for item in body["data"]] for body in bodies]
        self.barrier = barrier

    def iter_track_pages(self, source, limit):
        for number, tracks in enumerate(self.pages, start=1):
            if self.barrier is not None:
                self.barrier.wait(timeout=30)
            yield TrackPage(tracks=tracks, pages_fetched=number)


@pytest.mark.postgres
def test_overlapping_jobs_at_once_store_each_song_once(app):
    assert ON_POSTGRES
    # Job A stores tracks 1..600, job B 301..900: the same artists and albums, and 300 songs in common,
    # which both write at the same time (A starts at its 4th page, 301..400).
    bodies_a = list(generated_pages(600, first_id=1))
    bodies_a = bodies_a[3:] + bodies_a[:3]
    bodies_b = list(generated_pages(600, first_id=301))
    pages_together = threading.Barrier(2)  # page n of one job is written while page n of the other is
    jobs = [create_sync_job(DeezerSource("query", name), 1000, None).id for name in ("a", "b")]

    run_concurrently(app, [
        functools.partial(run_sync_job, job_id, PagesClient(bodies, pages_together))
        for job_id, bodies in zip(jobs, (bodies_a, bodies_b))
    ], timeout=120)

    done = [db.session.get(SyncJob, job_id) for job_id in jobs]
    assert [job.status for job in done] == ["finished", "finished"]
    assert sum(job.created for job in done) == 900 and sum(job.updated for job in done) == 0
    assert (count(Song), count(Album), count(Artist)) == (900, 500, 50)
    assert db.session.scalar(select(func.count(func.distinct(Song.deezer_id)))) == 900


def test_album_source_corrects_an_album_artist_first_guessed_from_a_track(sync, requests_mock, samples):
    """Search items name only the track's artist; the album's own page later sets the album's real artist."""
    album_body = samples["/album/302127"]
    guest = {"id": 999001, "name": "A Guest", "picture_big": None}
    item = dict(samples["/album/302127/tracks"]["data"][0], artist=guest,
                album={k: album_body[k] for k in ("id", "title", "cover_big")})
    serve_items(requests_mock, "/search", [item])
    sync(DeezerSource("query", "one more time"))
    album = db.session.scalar(select(Album).where(Album.deezer_id == 302127))
    assert db.session.get(Artist, album.artist_id).deezer_id == 999001  # the stand-in

    sync(DeezerSource("album", 302127))

    db.session.expire_all()
    album = db.session.scalar(select(Album).where(Album.deezer_id == 302127))
    assert db.session.get(Artist, album.artist_id).deezer_id == 27
    assert song(item["id"]).disk_number == 1


# --- what a hostile or broken Deezer sends ------------------------------------------------------------------------

def test_malformed_items_are_skipped_and_counted_in_the_jobs_error(sync, requests_mock):
    items = [track_item(1), track_item(2, id="²"), track_item(3, id=2**63), track_item(4, duration=10**12),
             track_item(5, title="nul \x00 in a title"), track_item(6)]
    requests_mock.get(BASE_URL + "/search", json={"data": items, "total": len(items)})

    job = sync(DeezerSource("query", "x"))

    assert (job.status, job.tracks_seen, job.created) == ("finished", 2, 2)
    assert job.error == "4 malformed Deezer items skipped"
    assert set(db.session.scalars(select(Song.deezer_id))) == {1, 6}


def test_endless_pages_without_a_usable_track_finish_the_job_cut_short(sync, requests_mock):
    def junk(request, context):
        index = int(dict(parse_qsl(urlsplit(request.url).query)).get("index", 0))
        return {"data": [track_item(index + 1, id="²")], "next": f"https://api.deezer.com/search?index={index + 1}"}

    requests_mock.get(BASE_URL + "/search", json=junk)

    job = sync(DeezerSource("query", "x"), limit=50)

    assert (job.status, job.pages, job.tracks_seen) == ("finished", 10, 0)
    assert job.error == ("10 malformed Deezer items skipped; Deezer answered 10 requests in a row without a usable "
                         "track; stopped there")
    assert requests_mock.call_count == 10


def test_a_failure_after_skipped_items_names_both(sync, requests_mock):
    requests_mock.get(BASE_URL + "/search", json={"data": [track_item(1), track_item(2, id="²")],
                                                  "next": "https://api.deezer.com/search?index=2"})
    requests_mock.get(BASE_URL + "/search?index=2", status_code=503)

    with pytest.raises(DeezerUnavailableError):
        sync(DeezerSource("query", "x"))

    job = db.session.scalars(select(SyncJob)).one()
    assert job.status == "failed" and job.created == 1
    assert job.error.startswith('Deezer unavailable for query "x"')
    assert job.error.endswith("; 1 malformed Deezer item skipped")


def test_unsafe_links_are_stored_as_null_and_html_in_titles_is_served_as_json_data(
    sync, requests_mock, client, make_user, auth_headers,
):
    title = '<img src=x onerror="alert(1)"> & <script>alert(2)</script>'
    item = track_item(1, title=title, preview="javascript:alert(document.cookie)")
    item["album"] = {**item["album"], "cover_big": "data:text/html,<script>alert(3)</script>"}
    item["artist"] = {**item["artist"], "picture_big": "ftp://cdn.example/picture.jpg"}
    requests_mock.get(BASE_URL + "/search", json={"data": [item], "total": 1})
    sync(DeezerSource("query", "x"))

    response = client.get(f"/api/v1/songs/{song(1).id}", headers=auth_headers(make_user()))

    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["title"] == title
    assert (body["preview_url"], body["album"]["cover_url"], body["artist"]["picture_url"]) == (None, None, None)


def test_record_checks_use_the_catalogue_column_sizes():
    from app.services.deezer import records

    assert records.TEXT_MAX == Song.title.type.length == Song.artist_name.type.length == Artist.name.type.length
    assert records.TEXT_MAX == Album.title.type.length
    assert records.URL_MAX == Song.preview_url.type.length == Album.cover_url.type.length
    assert records.URL_MAX == Artist.picture_url.type.length
    assert records.ISRC_MAX == Song.isrc.type.length


@pytest.mark.parametrize(("setting", "value", "answer", "cause"), [
    ("DEEZER_ATTEMPT_DEADLINE", 0.3, trickled({"data": []}, interval=0.01, pad_to=1000),
     "took longer than the 0.3 s an attempt may take"),
    ("DEEZER_MAX_RESPONSE_BYTES", 100, trickled({"data": []}, interval=0, pad_to=1000), "over the 100-byte cap"),
])
def test_attempt_caps_come_from_the_config(app, monkeypatch, setting, value, answer, cause):
    monkeypatch.setattr(ingestion, "DeezerClient", functools.partial(DeezerClient, max_attempts=1))
    monkeypatch.setitem(app.config, setting, value)
    with FakeDeezer({"/chart/0/tracks": answer}) as fake:
        monkeypatch.setitem(app.config, "DEEZER_API_URL", fake.url)
        job = create_sync_job(DeezerSource("chart"), 10, None)
        with ingestion.deezer_client() as client, pytest.raises(DeezerUnavailableError):
            run_sync_job(job.id, client)

    assert cause in db.session.get(SyncJob, job.id).error
