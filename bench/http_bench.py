"""HTTP benchmark: the hot endpoints under gunicorn, as ratios to a bare Flask app, in one run.

    python bench/http_bench.py [--rounds 5] [--duration 10] [--connections 16] [--threads 2] [--workers 2]
                               [--only songs-pg,feed-pg,profile-pg,songs-sqlite,songs-pg-304,profile-pg-304,feed-depth]
                               [--profile DIR]

Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 and wrk (Debian's `wrk` package).

1. Seeds, unless already there: the PostgreSQL database `listify_bench_feed` (BENCH_DATABASE_URL to
   override) with the feed bench's data (bench/feed_bench.py: 10,000 users, 200 follows each, 1,000,000
   activities) plus a catalogue of 100 artists, 1,000 albums and 10,000 songs; and a SQLite file
   (--sqlite-path) with one user and the same catalogue.
2. Starts three gunicorns with the same settings (`gunicorn -c gunicorn.conf.py ...`, WEB_CONCURRENCY=--workers,
   sync workers, GUNICORN_MAX_REQUESTS=0 so that no worker is recycled mid-run): the app on PostgreSQL, the
   app on the SQLite file (both production config, Redis db --redis-db for the limiter,
   RATELIMIT_DEFAULT raised so wrk is counted but never limited), and bench/bare_app.py.
3. For each scenario, --rounds times: wrk on the project's endpoint, then wrk on the bare app; each pair gives
   requests/s and p99 as ratios to the bare app, and the median pair is reported. `feed-depth` instead pairs
   the following feed at the cursor after 500 pages with page 1 and reports the p50 latency ratio.
4. With --profile DIR, one more wrk run per scenario under `py-spy record --subprocesses` writes collapsed
   stacks to DIR and prints the functions with the most samples.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402  (bench/common.py)
import feed_bench  # noqa: E402  (bench/feed_bench.py: the feed data set and its seeding)

SECRET_KEY = "http-bench-secret-key-0123456789abcdef"
JWT_SECRET_KEY = "http-bench-jwt-secret-key-0123456789abcdef"
ARTISTS, ALBUMS, SONGS = 100, 1_000, 10_000
FEED_USER = 4242  # follows 200 users (feed_bench's data)
PROFILE_USER = 4243
LUA = ROOT / "bench" / "wrk_auth.lua"
PORTS = {"pg": 8711, "sqlite": 8712, "bare": 8713}
BARE_PATH = "/api/v2/songs"

SCENARIOS = {
    "songs-pg": ("pg", "/api/v2/songs?limit=20"),
    "feed-pg": ("pg", "/api/v2/feed/following?limit=20"),
    "profile-pg": ("pg", f"/api/v1/users/{PROFILE_USER}"),
    "songs-sqlite": ("sqlite", "/api/v2/songs?limit=20"),
    # With a current If-None-Match: every answer a 304 from the validator the server keeps (issue 14).
    "songs-pg-304": ("pg", "/api/v2/songs?limit=20"),
    "profile-pg-304": ("pg", f"/api/v1/users/{PROFILE_USER}"),
}
CONDITIONAL = {"songs-pg-304", "profile-pg-304"}
TARGETS = {"songs-pg": 0.12, "feed-pg": 0.10, "profile-pg": 0.20, "songs-sqlite": 0.15,
           "songs-pg-304": 0.30, "profile-pg-304": 0.35}
DEPTH, DEPTH_TARGET = 500, 1.5


# --- Data ---------------------------------------------------------------------------------------------


def bench_config(url: str):
    from config import ProductionConfig, database_url

    class HttpBenchConfig(ProductionConfig):
        SQLALCHEMY_DATABASE_URI = database_url(url)
        SECRET_KEY = globals()["SECRET_KEY"]
        JWT_SECRET_KEY = globals()["JWT_SECRET_KEY"]
        REDIS_URL = None
        SINGLE_PROCESS = True  # this app only seeds and mints tokens, in this one process
        RATELIMIT_STORAGE_URI = "memory://"
        LOG_LEVEL = "WARNING"

    return HttpBenchConfig


def catalogue_rows():
    """100 artists, 1,000 albums (10 each), 10,000 songs (10 per album), deterministic."""
    from datetime import date, datetime, timezone

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    artists = [
        {"id": a, "deezer_id": 1_000 + a, "name": f"Artist {a}", "picture_url": f"https://cdn.example/a/{a}.jpg",
         "created_at": now, "updated_at": now}
        for a in range(1, ARTISTS + 1)
    ]
    albums = [
        {"id": b, "deezer_id": 200_000 + b, "artist_id": (b - 1) // 10 + 1, "title": f"Album {b}",
         "cover_url": f"https://cdn.example/b/{b}.jpg",
         "release_date": None if b % 9 == 0 else date(2000 + b % 25, b % 12 + 1, b % 28 + 1),
         "created_at": now, "updated_at": now}
        for b in range(1, ALBUMS + 1)
    ]
    songs = [
        {"id": s, "deezer_id": 3_000_000_000 + s, "album_id": (s - 1) // 10 + 1, "title": f"Song {s}",
         "artist_name": f"Artist {(s - 1) // 100 + 1}", "duration_ms": 120_000 + s * 7 % 180_000,
         "preview_url": None if s % 11 == 0 else f"https://cdns-preview.example/{s}.mp3",
         "isrc": f"FRZ0{s:08d}", "explicit": None if s % 13 == 0 else s % 5 == 0,
         "track_position": (s - 1) % 10 + 1, "disk_number": 1, "created_at": now, "updated_at": now}
        for s in range(1, SONGS + 1)
    ]
    return artists, albums, songs


def seed_catalogue() -> None:
    from sqlalchemy import func, insert, select, text

    from app.extensions import db
    from app.models import Album, Artist, Song

    if db.session.scalar(select(func.count()).select_from(Song)) >= SONGS:
        return
    started = time.perf_counter()
    artists, albums, songs = catalogue_rows()
    with db.engine.begin() as connection:
        for model, rows in ((Artist, artists), (Album, albums), (Song, songs)):
            connection.execute(insert(model), rows)
        if connection.dialect.name == "postgresql":
            for table in ("artists", "albums", "songs"):
                connection.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                ))
            connection.execute(text("ANALYZE artists, albums, songs"))
    print(f"  catalogue seeded ({SONGS:,} songs) in {time.perf_counter() - started:.1f} s")


def prepare_postgres(url: str, reseed: bool) -> tuple[str, str]:
    """Seed when needed; return an access token of FEED_USER and the cursor after DEPTH pages of its feed."""
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    seeded = False
    if exists and not reseed:
        with psycopg.connect(url) as connection:
            has_users = connection.execute("SELECT to_regclass('users') IS NOT NULL").fetchone()[0]
            seeded = has_users and connection.execute("SELECT count(*) FROM users").fetchone()[0] > 0
    if not seeded:
        print(f"Seeding {name} with the feed data set (about 2.5 minutes) ...")
        common.reset_database(url)
    from app import create_app

    app = create_app(bench_config(url))
    with app.app_context():
        if not seeded:
            feed_bench.seed()
        seed_catalogue()
        token = access_token(FEED_USER)
        deep = feed_bench.depth_cursor(FEED_USER, 20, DEPTH)
    return token, deep


def prepare_sqlite(path: Path) -> str:
    from sqlalchemy import select

    from app import create_app
    from app.extensions import db
    from app.models import User

    app = create_app(bench_config(f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        if db.session.scalar(select(User).where(User.id == 1)) is None:
            db.session.add(User(id=1, email="bench@bench.invalid", username="bench", password_hash="x"))
            db.session.commit()
        seed_catalogue()
        return access_token(1)


def access_token(user_id: int) -> str:
    from flask_jwt_extended import create_access_token

    from app.extensions import db
    from app.models import User

    user = db.session.get(User, user_id)
    return create_access_token(identity=str(user.id), additional_claims={"ver": user.jwt_version, "fam": "bench"})


# --- Servers ------------------------------------------------------------------------------------------


def start_server(label: str, target: str, env: dict, workers: int, log_dir: Path) -> subprocess.Popen:
    environment = {
        **os.environ, **env,
        "GUNICORN_BIND": f"127.0.0.1:{PORTS[label]}",
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_THREADS": "1",
        "GUNICORN_MAX_REQUESTS": "0",
    }
    log = open(log_dir / f"gunicorn-{label}.log", "w")
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", target]
    return subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def wait_ready(label: str, path: str, token: str | None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(f"http://127.0.0.1:{PORTS[label]}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{label} did not answer {path} with 200; see its gunicorn log") from None
            time.sleep(0.3)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


# --- Load ---------------------------------------------------------------------------------------------


def current_etag(label: str, path: str, token: str) -> str:
    request = urllib.request.Request(f"http://127.0.0.1:{PORTS[label]}{path}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.headers["ETag"]


def wrk(label: str, path: str, token: str | None, args, etag: str | None = None) -> dict:
    env = {**os.environ, "BENCH_TOKEN": token or "", "BENCH_IF_NONE_MATCH": etag or ""}
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "-s", str(LUA),
               f"http://127.0.0.1:{PORTS[label]}{path}"]
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("BENCH_JSON "))
    result = json.loads(line.removeprefix("BENCH_JSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p50_ms"], result["p99_ms"] = result["p50_us"] / 1000, result["p99_us"] / 1000
    failures = result["non_2xx"] + result["connect"] + result["read"] + result["timeout"]
    if failures:
        raise RuntimeError(f"wrk {label} {path}: {failures} failed or non-2xx responses: {result}")
    return result


def run_pairs(name: str, server: str, path: str, token: str, args, etag: str | None = None) -> dict:
    pairs = []
    for round_ in range(1, args.rounds + 1):
        app = wrk(server, path, token, args, etag)
        bare = wrk("bare", BARE_PATH, None, args)
        pair = {"app_rps": app["rps"], "bare_rps": bare["rps"], "app_p99": app["p99_ms"], "bare_p99": bare["p99_ms"],
                "app_p50": app["p50_ms"], "rps_ratio": app["rps"] / bare["rps"],
                "p99_ratio": app["p99_ms"] / bare["p99_ms"]}
        pairs.append(pair)
        print(f"  {name:<13} round {round_}: app {app['rps']:7.0f} req/s p99 {app['p99_ms']:6.1f} ms | "
              f"bare {bare['rps']:7.0f} req/s p99 {bare['p99_ms']:6.1f} ms | ratio {pair['rps_ratio']:.3f}",
              flush=True)
    return {
        "pairs": pairs,
        "rps_ratio": statistics.median(p["rps_ratio"] for p in pairs),
        "p99_ratio": statistics.median(p["p99_ratio"] for p in pairs),
        "app_rps": statistics.median(p["app_rps"] for p in pairs),
        "bare_rps": statistics.median(p["bare_rps"] for p in pairs),
        "app_p50": statistics.median(p["app_p50"] for p in pairs),
        "app_p99": statistics.median(p["app_p99"] for p in pairs),
    }


def run_depth(token: str, deep: str, args) -> dict:
    from urllib.parse import quote

    first_path = "/api/v2/feed/following?limit=20"
    deep_path = f"{first_path}&cursor={quote(deep)}"
    pairs = []
    for round_ in range(1, args.rounds + 1):
        deep_run = wrk("pg", deep_path, token, args)
        first_run = wrk("pg", first_path, token, args)
        ratio = deep_run["p50_ms"] / first_run["p50_ms"]
        pairs.append({"deep_p50": deep_run["p50_ms"], "first_p50": first_run["p50_ms"], "ratio": ratio})
        print(f"  feed-depth    round {round_}: page {DEPTH + 1} p50 {deep_run['p50_ms']:6.2f} ms | "
              f"page 1 p50 {first_run['p50_ms']:6.2f} ms | ratio {ratio:.2f}", flush=True)
    return {"pairs": pairs, "ratio": statistics.median(p["ratio"] for p in pairs),
            "deep_p50": statistics.median(p["deep_p50"] for p in pairs),
            "first_p50": statistics.median(p["first_p50"] for p in pairs)}


# --- Profiles -----------------------------------------------------------------------------------------


def profile(name: str, server: str, path: str, token: str, master_pid: int, args) -> None:
    out = Path(args.profile) / f"{name}.collapsed"
    recorder = subprocess.Popen(
        ["py-spy", "record", "--pid", str(master_pid), "--subprocesses", "--rate", "250", "--format", "raw",
         "--duration", str(args.duration + 1), "--output", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    time.sleep(1)
    wrk(server, path, token, args)
    recorder.wait()
    print(f"\n--- profile {name} ({out}) ---")
    print(summarise_profile(out))


def print_profiles(directory: str) -> None:
    """Summaries of collapsed stacks recorded earlier: python bench/http_bench.py --summarise DIR."""
    for path in sorted(Path(directory).glob("*.collapsed")):
        print(f"\n--- {path.stem} ({path}) ---")
        print(summarise_profile(path))


# Where request time goes: a sample counts for every group whose marker is on its stack.
PROFILE_GROUPS = {
    "Flask app (everything under Flask.wsgi_app)": ("Flask.wsgi_app",),
    "  the view (route, service, dump)": ("app/blueprints/",),
    "  auth: JWT decode and verify": ("jwt/api_jwt.py",),
    "  auth: user and denylist, one statement (load_user_for_token)": ("load_user_for_token",),
    "  rate limiter (flask-limiter, all)": ("flask_limiter/",),
    "  Redis round trips (the limiter)": ("redis/client.py",),
    "  SQL driver (psycopg or sqlite3, incl. waits)": ("psycopg/", "sqlite/base.py", "sqlite3"),
    "  SQLAlchemy (ORM + Core)": ("sqlalchemy/",),
    "  marshmallow (query args + schema dumps)": ("marshmallow/",),
    "  JSON encoding": ("json/encoder.py", "json/__init__.py"),
    "  logging (app request line)": ("logging/__init__.py",),
    "  metrics (prometheus-client)": ("prometheus_client/",),
}


def summarise_profile(path: Path, top: int = 12) -> str:
    """Share of request-handling samples per group, then the functions with the most own samples."""
    groups, own, total = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if "SyncWorker.handle_request" not in stack:
            continue  # the master, and idle workers waiting in accept()
        count = int(count)
        total += count
        for name, markers in PROFILE_GROUPS.items():
            if any(marker in stack for marker in markers):
                groups[name] += count
        own[_short(stack.split(";")[-1])] += count
    lines = [f"{total} samples in gunicorn's handle_request"]
    lines += [f"{100 * groups[name] / max(total, 1):5.1f}%  {name}" for name in PROFILE_GROUPS]
    lines.append("most own samples:")
    lines += [f"{100 * count / max(total, 1):5.1f}%  {frame}" for frame, count in own.most_common(top)]
    return "\n".join(lines)


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/work/main/", "python3.11/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where.split(':')[0]})"


# --- Main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=10, help="Seconds per wrk run.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY of every gunicorn.")
    parser.add_argument("--only", default=",".join([*SCENARIOS, "feed-depth"]))
    parser.add_argument("--sqlite-path", default="/tmp/listify_http_bench.sqlite3")
    parser.add_argument("--redis-db", type=int, default=10)
    parser.add_argument("--reseed", action="store_true", help="Drop and reseed the PostgreSQL database.")
    parser.add_argument("--profile", metavar="DIR", help="Also record py-spy profiles into DIR.")
    parser.add_argument("--log-dir", default="/tmp/listify_http_bench_logs")
    parser.add_argument("--summarise", metavar="DIR", help="Only summarise the profiles recorded in DIR.")
    args = parser.parse_args()
    if args.summarise:
        return print_profiles(args.summarise)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]

    pg_url = feed_bench.bench_url()
    token, deep = prepare_postgres(pg_url, args.reseed)
    sqlite_path = Path(args.sqlite_path)
    sqlite_token = prepare_sqlite(sqlite_path) if "songs-sqlite" in chosen else None

    log_dir = Path(args.log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    app_env = {
        "LISTIFY_ENV": "production", "SECRET_KEY": SECRET_KEY, "JWT_SECRET_KEY": JWT_SECRET_KEY,
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}", "RATELIMIT_DEFAULT": "100000000 per minute",
    }
    servers = {
        "pg": start_server("pg", "wsgi:app", {**app_env, "DATABASE_URL": pg_url}, args.workers, log_dir),
        "bare": start_server("bare", "bench.bare_app:app", {}, args.workers, log_dir),
    }
    if sqlite_token:
        servers["sqlite"] = start_server(
            "sqlite", "wsgi:app", {**app_env, "DATABASE_URL": f"sqlite:///{sqlite_path}"}, args.workers, log_dir
        )
    tokens = {"pg": token, "sqlite": sqlite_token}
    results = {}
    try:
        wait_ready("bare", BARE_PATH, None)
        wait_ready("pg", SCENARIOS["songs-pg"][1], token)
        if sqlite_token:
            wait_ready("sqlite", SCENARIOS["songs-sqlite"][1], sqlite_token)
        print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, {args.rounds} rounds, "
              f"{args.workers} sync workers per gunicorn, {os.cpu_count()} CPUs")
        for name in chosen:
            if name == "feed-depth":
                wrk("pg", "/api/v2/feed/following?limit=20", token, argparse.Namespace(**{**vars(args), "duration": 2}))
                results[name] = run_depth(token, deep, args)
                continue
            server, path = SCENARIOS[name]
            etag = current_etag(server, path, tokens[server]) if name in CONDITIONAL else None
            warm = argparse.Namespace(**{**vars(args), "duration": 2})
            wrk(server, path, tokens[server], warm, etag)
            wrk("bare", BARE_PATH, None, warm)
            results[name] = run_pairs(name, server, path, tokens[server], args, etag)
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            for name in chosen:
                if name in SCENARIOS:
                    server, path = SCENARIOS[name]
                    profile(name, server, path, tokens[server], servers[server].pid, args)
    finally:
        for process in servers.values():
            stop_server(process)

    print("\n| endpoint | app req/s | bare req/s | req/s ratio (median) | target | p50 ms | p99 ms | p99 ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for name, result in results.items():
        if name == "feed-depth":
            continue
        met = "met" if result["rps_ratio"] >= TARGETS[name] else "MISSED"
        print(f"| {name} `{SCENARIOS[name][1]}` | {result['app_rps']:.0f} | {result['bare_rps']:.0f} | "
              f"**{result['rps_ratio']:.3f}** | ≥ {TARGETS[name]} ({met}) | {result['app_p50']:.1f} | "
              f"{result['app_p99']:.1f} | {result['p99_ratio']:.1f}× |")
    if "feed-depth" in results:
        result = results["feed-depth"]
        met = "met" if result["ratio"] <= DEPTH_TARGET else "MISSED"
        print(f"\nfeed page {DEPTH + 1} vs page 1, p50: {result['deep_p50']:.2f} ms / {result['first_p50']:.2f} ms"
              f" = **{result['ratio']:.2f}** (target ≤ {DEPTH_TARGET}, {met})")
    (log_dir / "results.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
