"""Per-request cost of one endpoint, in-process: wall time, this process's CPU time, and where it goes.

    python bench/request_profile.py /api/v1/users/4243 [--requests 2000] [--cprofile 30] [--sql] [--explain]

Uses the data and the production settings of bench/http_bench.py (run that once first to seed
`listify_bench_feed`): the app is created as gunicorn would create it and called as a WSGI callable, so
nothing but the app is measured (no HTTP, no gunicorn). Wall minus CPU is roughly the time spent waiting on
PostgreSQL and Redis. `--sql` prints the statements one request sends; `--explain` also runs each of them ten
times as a prepared statement (as psycopg does after five uses; PostgreSQL then settles on a generic plan or keeps
planning every time) and prints the last execution times and `EXPLAIN (ANALYZE, BUFFERS)`; `--cprofile N` the
N functions with the most cumulative time. SHOW_LOG=1 prints the app's log (the request lines included).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import feed_bench  # noqa: E402
import http_bench  # noqa: E402


def make_environ(path: str, token: str) -> dict:
    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "PATH_INFO": route, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8711", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8711", "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cprofile", type=int, metavar="N", default=0)
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--redis-db", type=int, default=10)
    args = parser.parse_args()

    url = feed_bench.bench_url()
    os.environ.update({
        "LISTIFY_ENV": "production", "SECRET_KEY": http_bench.SECRET_KEY, "JWT_SECRET_KEY": http_bench.JWT_SECRET_KEY,
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}", "RATELIMIT_DEFAULT": "100000000 per minute",
        "DATABASE_URL": url,
    })
    import logging

    from app import create_app

    app = create_app()
    if not os.environ.get("SHOW_LOG"):  # the request lines are formatted and written as under gunicorn, unread
        logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))
    with app.app_context():
        token = http_bench.access_token(http_bench.FEED_USER)

    def call():
        status = []
        body = b"".join(app(make_environ(args.path, token), lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"{args.path}: {status[0]} {body[:300]!r}")

    for _ in range(50):
        call()
    if args.sql or args.explain:
        from sqlalchemy import event

        from app.extensions import db

        with app.app_context():
            engine = db.engine
        statements = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append((a[2], a[3])))
        call()
        print(f"{len(statements)} statements:")
        for statement, parameters in statements:
            print("  ", " ".join(statement.split())[:200])
            if args.explain:
                explain(url, statement, parameters)

    profiler = cProfile.Profile() if args.cprofile else None
    wall, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    for _ in range(args.requests):
        call()
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{args.path}: {args.requests} requests, {1000 * wall / args.requests:.3f} ms wall, "
          f"{1000 * cpu / args.requests:.3f} ms CPU per request" + (" (under cProfile)" if profiler else ""))
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.cprofile)


def explain(url: str, statement: str, parameters) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        timings = []
        for _ in range(10):
            started = time.perf_counter()
            connection.execute(statement, parameters, prepare=True).fetchall()
            timings.append(1000 * (time.perf_counter() - started))
        print("     executions 7-10 (prepared):", ", ".join(f"{t:.2f} ms" for t in timings[-4:]))
        plan = connection.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
        print("\n".join("     " + row[0] for row in plan))


if __name__ == "__main__":
    main()
