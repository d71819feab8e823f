"""Ingestion benchmark: the real service's bulk upserts against a row-by-row find-or-create loop, and memory.

    python bench/ingest_bench.py [--tracks 50000] [--naive-tracks 50000] [--memory 10000,50000]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres); (re)creates the database `listify_bench_ingest` (override
with BENCH_DATABASE_URL, whose database is dropped and recreated). Deezer is replaced by a client that yields
generated pages of 100 tracks shaped like the recorded samples (no HTTP, no limiter, no sleeping); both runs
parse and store the very same pages, each into a fresh schema. Memory: the service ingests N tracks in a
subprocess per N, reporting its peak RSS and its tracemalloc peak while ingesting.
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402  (bench/common.py)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/listify_bench_ingest"
PAGE_SIZE = 100
ARTISTS_EVERY = 25  # one artist per 25 tracks: 2,000 artists for 50,000 tracks
ALBUMS_EVERY = 10  # ten tracks per album


def bench_url() -> str:
    return common.bench_url(DEFAULT_URL)


def fresh_schema() -> None:
    from app.extensions import db

    db.session.remove()
    db.drop_all()
    db.create_all()


class GeneratedDeezer:
    """Stands in for DeezerClient: `total` tracks on pages of 100, generated and parsed one page at a time."""

    def __init__(self, total: int):
        with open(ROOT / "tests/fixtures/deezer/search_billy_jean_limit2.json", encoding="utf-8") as handle:
            self.template = json.load(handle)["data"][0]
        self.total = total

    def item(self, n: int) -> dict:
        item = {**self.template, "artist": dict(self.template["artist"]), "album": dict(self.template["album"])}
        artist, album = n // ARTISTS_EVERY, n // ALBUMS_EVERY
        item.update(id=10_000_000_000 + n, title=f"Track {n}", isrc=f"BENCH{n:07d}", track_position=n % 10 + 1)
        item["artist"].update(id=5_000_000_000 + artist, name=f"Artist {artist}")
        item["album"].update(id=7_000_000_000 + album, title=f"Album {album}", release_date="2020-01-01")
        return item

    def iter_track_pages(self, source, limit):
        from app.services.deezer import TrackPage
        from app.services.deezer.records import parse_track

        count = min(limit, self.total)
        for number, start in enumerate(range(0, count, PAGE_SIZE), start=1):
            items = [self.item(n) for n in range(start, min(start + PAGE_SIZE, count))]
            yield TrackPage(tracks=[parse_track(item) for item in items], pages_fetched=number)


def service_ingest(total: int):
    from app.services.deezer import DeezerSource
    from app.services.sync_jobs import create_sync_job, run_sync_job

    job = create_sync_job(DeezerSource("query", "bench"), total, requested_by_id=None)
    return run_sync_job(job.id, GeneratedDeezer(total))


def naive_ingest(total: int) -> None:
    """What the service replaces: per track, an ORM SELECT of the artist, album and song, an INSERT if missing."""
    from sqlalchemy import select

    from app.extensions import db
    from app.models import Album, Artist, Song

    for page in GeneratedDeezer(total).iter_track_pages(None, total):
        for track in page.tracks:
            artist = db.session.scalar(select(Artist).where(Artist.deezer_id == track.artist.deezer_id))
            if artist is None:
                artist = Artist(deezer_id=track.artist.deezer_id, name=track.artist.name,
                                picture_url=track.artist.picture_url)
                db.session.add(artist)
                db.session.flush()
            album = db.session.scalar(select(Album).where(Album.deezer_id == track.album.deezer_id))
            if album is None:
                album = Album(deezer_id=track.album.deezer_id, title=track.album.title, artist_id=artist.id,
                              cover_url=track.album.cover_url, release_date=track.album.release_date)
                db.session.add(album)
                db.session.flush()
            song = db.session.scalar(select(Song).where(Song.deezer_id == track.deezer_id))
            if song is None:
                db.session.add(Song(deezer_id=track.deezer_id, album_id=album.id, title=track.title,
                                    artist_name=track.artist.name, duration_ms=track.duration_ms,
                                    preview_url=track.preview_url, isrc=track.isrc, explicit=track.explicit,
                                    track_position=track.track_position))
                db.session.flush()
        db.session.commit()


def timed(run, total: int) -> float:
    started = time.perf_counter()
    run(total)
    return total / (time.perf_counter() - started)


def counts() -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from app.extensions import db
    from app.models import Album, Artist, Song

    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (Artist, Album, Song))


def memory_child(total: int) -> None:
    """Run in a subprocess: ingest `total` tracks into a fresh schema, print peak memory as JSON."""
    app = common.make_app(bench_url())
    with app.app_context():
        fresh_schema()
        tracemalloc.start()
        job = service_ingest(total)
        _, traced_peak = tracemalloc.get_traced_memory()
        gc.collect()  # what the run keeps, once the cyclic garbage that awaits a full collection is gone
        retained, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert job.status == "finished" and job.created == total, (job.status, job.error)
    rss_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"tracks": total, "rss_peak_mib": rss_kib / 1024, "traced_peak_mib": traced_peak / 2**20,
                      "retained_mib": retained / 2**20}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=50_000)
    parser.add_argument("--naive-tracks", type=int, default=None, help="default: --tracks")
    parser.add_argument("--memory", default="10000,50000", help="track counts to compare peak memory for")
    parser.add_argument("--memory-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(args.memory_child)
        return

    url = bench_url()
    common.reset_database(url)
    app = common.make_app(url)
    naive_tracks = args.naive_tracks or args.tracks
    with app.app_context():
        fresh_schema()
        bulk = timed(service_ingest, args.tracks)
        stored = counts()
        rerun = timed(service_ingest, args.tracks)
        assert counts() == stored, "a rerun must not add rows"
        print(f"service (bulk upserts), {args.tracks} tracks: {bulk:,.0f} tracks/s "
              f"({stored[0]} artists, {stored[1]} albums, {stored[2]} songs)")
        print(f"service rerun, nothing changed:     {rerun:,.0f} tracks/s")

        fresh_schema()
        naive = timed(naive_ingest, naive_tracks)
        print(f"row-by-row find-or-create, {naive_tracks} tracks: {naive:,.0f} tracks/s")
        print(f"speed-up: {bulk / naive:.1f}x (target >= 10x)")
        fresh_schema()
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()

    peaks = []
    for total in (int(n) for n in args.memory.split(",")):
        child = subprocess.run([sys.executable, __file__, "--memory-child", str(total)], capture_output=True,
                               text=True, check=True, cwd=ROOT)
        peak = json.loads(child.stdout.strip().splitlines()[-1])
        peaks.append(peak)
        print(f"memory, {total} tracks: peak RSS {peak['rss_peak_mib']:.1f} MiB; while ingesting (tracemalloc): "
              f"peak {peak['traced_peak_mib']:.2f} MiB, retained {peak['retained_mib']:.2f} MiB")
    if len(peaks) >= 2:
        first, last = peaks[0], peaks[-1]
        ratio = {key: last[key] / first[key] for key in ("rss_peak_mib", "traced_peak_mib", "retained_mib")}
        print(f"memory growth {first['tracks']} -> {last['tracks']} tracks: peak RSS x{ratio['rss_peak_mib']:.2f} "
              f"(target <= 1.2); tracemalloc peak x{ratio['traced_peak_mib']:.2f} (varies with when the garbage "
              f"collector last ran), retained x{ratio['retained_mib']:.2f}")


if __name__ == "__main__":
    main()
