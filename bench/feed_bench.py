"""Following-feed benchmark: page 1 against the page 500 pages deep, on a seeded PostgreSQL database.

    python bench/feed_bench.py [--runs 30] [--user 4242] [--limit 20] [--depth 500] [--no-seed]

Needs PostgreSQL on 127.0.0.1:5432 (user postgres); (re)creates the database `listify_bench_feed`
(override with BENCH_DATABASE_URL, whose database is dropped and recreated unless --no-seed).
Seeds with INSERT ... SELECT generate_series (no rows travel through Python):
10,000 users, 200 follows each (2,000,000), 100,000 collections (10 per user, every tenth private)
and 1,000,000 activities (900,000 `followed`, 100,000 `created_collection`), spread over a year.

Measures the real service call, app.services.feed.following_feed (page query, actors, targets), p50 and
p95 over --runs for page 1 and for the page after --depth full pages, then prints EXPLAIN (ANALYZE, BUFFERS)
of both page queries as the service emits them, and, for contrast, the plain join the SQLite path uses.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import common  # noqa: E402  (bench/common.py)

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/listify_bench_feed"
USERS = 10_000
FOLLOWS_PER_USER = 200
FOLLOW_STEP = 47  # followee of (g, k) is g + 47k (mod USERS): distinct, never g itself, for k <= 200
FOLLOW_ACTIVITIES_PER_USER = 90
COLLECTIONS_PER_USER = 10

SEED_SQL = [
    f"""INSERT INTO users (id, email, username, password_hash, bio, is_admin, jwt_version, created_at, updated_at)
        SELECT g, 'u' || g || '@bench.invalid', 'u' || g, 'x', '', false, 1, now(), now()
        FROM generate_series(1, {USERS}) g""",
    f"""INSERT INTO follows (id, follower_id, followed_id, created_at)
        SELECT (g - 1) * {FOLLOWS_PER_USER} + k, g, ((g - 1 + k * {FOLLOW_STEP}) % {USERS}) + 1,
               now() - random() * interval '365 days'
        FROM generate_series(1, {USERS}) g, generate_series(1, {FOLLOWS_PER_USER}) k""",
    f"""INSERT INTO collections (id, user_id, title, description, public, created_at, updated_at)
        SELECT (g - 1) * {COLLECTIONS_PER_USER} + j, g, 'Collection ' || j, '', j <> {COLLECTIONS_PER_USER},
               now() - random() * interval '365 days', now()
        FROM generate_series(1, {USERS}) g, generate_series(1, {COLLECTIONS_PER_USER}) j""",
    f"""INSERT INTO activities (actor_id, action_type, public, created_at, follow_id)
        SELECT follower_id, 'followed', true, created_at, id FROM follows
        WHERE (id - 1) % {FOLLOWS_PER_USER} < {FOLLOW_ACTIVITIES_PER_USER}""",
    """INSERT INTO activities (actor_id, action_type, public, created_at, collection_id)
        SELECT user_id, 'created_collection', public, created_at, id FROM collections""",
]

RESET_SEQUENCES = [
    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
    for table in ("users", "follows", "collections", "activities")
]


def bench_url() -> str:
    return common.bench_url(DEFAULT_URL)


def seed() -> None:
    from sqlalchemy import text

    from app.extensions import db

    db.create_all()
    with db.engine.begin() as connection:
        # The rows are consistent by construction: skip per-row foreign-key triggers while loading.
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in SEED_SQL:
            started = time.perf_counter()
            result = connection.execute(text(statement))
            print(f"  {result.rowcount:>9,} rows  {time.perf_counter() - started:6.1f} s  {statement.split()[2]}")
        for statement in RESET_SEQUENCES:
            connection.execute(text(statement))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))


def depth_cursor(user_id: int, limit: int, depth: int) -> str:
    """The cursor a client holds after reading `depth` full pages (the key of item depth * limit)."""
    from sqlalchemy import text

    from app.extensions import db
    from app.services.feed import FOLLOWING_KEYSET

    row = db.session.execute(text(
        "SELECT a.created_at, a.id FROM activities a JOIN follows f ON f.followed_id = a.actor_id"
        " WHERE f.follower_id = :user AND a.public ORDER BY a.created_at DESC, a.id DESC OFFSET :skip LIMIT 1"
    ), {"user": user_id, "skip": depth * limit - 1}).one()
    return FOLLOWING_KEYSET.encode([row.created_at, row.id])


def feed_paging(limit: int, cursor: str | None):
    """The feed's paging as its argument schema decodes a request's query string."""
    from app.schemas.common import PageArgsSchema
    from app.services.feed import FOLLOWING_KEYSET

    return PageArgsSchema(FOLLOWING_KEYSET).load({"limit": limit, **({"cursor": cursor} if cursor else {})})


def time_service(user_id: int, limit: int, cursor: str | None, runs: int) -> tuple[list[float], int]:
    from app.extensions import db
    from app.models import User
    from app.services.feed import following_feed

    timings, items = [], 0
    for _ in range(runs):
        user = db.session.get(User, user_id)
        started = time.perf_counter()
        page = following_feed(user, feed_paging(limit, cursor))
        timings.append((time.perf_counter() - started) * 1000)
        items = len(page.items)
        db.session.remove()
    return timings, items


def page_statement(user_id: int, limit: int, cursor: str | None):
    """The first SQL statement the service runs for this page (the page query), with its parameters."""
    from sqlalchemy import event

    from app.extensions import db
    from app.models import User
    from app.services.feed import following_feed

    user = db.session.get(User, user_id)
    captured = []

    def capture(conn, cursor_, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        following_feed(user, feed_paging(limit, cursor))
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)
        db.session.remove()
    return captured[0]


def explain(statement: str, parameters) -> str:
    from app.extensions import db

    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).all()
    return "\n".join(row[0] for row in rows)


def plain_join_explain(user_id: int, limit: int, cursor_values) -> str:
    from app.extensions import db

    created_at, activity_id = cursor_values
    sql = (
        "EXPLAIN (ANALYZE, BUFFERS) SELECT a.* FROM activities a JOIN follows f ON f.followed_id = a.actor_id"
        " WHERE f.follower_id = %(user)s AND a.public AND (a.created_at, a.id) < (%(at)s, %(id)s)"
        " ORDER BY a.created_at DESC, a.id DESC LIMIT %(limit)s"
    )
    with db.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            sql, {"user": user_id, "at": created_at, "id": activity_id, "limit": limit + 1}
        ).all()
    return "\n".join(row[0] for row in rows)


def summary(label: str, timings: list[float], items: int) -> float:
    p50 = statistics.median(timings)
    p95 = statistics.quantiles(timings, n=20)[-1] if len(timings) >= 20 else max(timings)
    print(f"{label:<22} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   min {min(timings):7.2f} ms   items {items}")
    return p50


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--user", type=int, default=4242)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--depth", type=int, default=500)
    parser.add_argument("--no-seed", action="store_true", help="Reuse an already seeded database.")
    args = parser.parse_args()

    url = bench_url()
    if not args.no_seed:
        print(f"Seeding {url.rsplit('/', 1)[1]} ...")
        common.reset_database(url)
    app = common.make_app(url)
    with app.app_context():
        if not args.no_seed:
            started = time.perf_counter()
            seed()
            print(f"  seeded and analysed in {time.perf_counter() - started:.1f} s")
        from app.services.feed import FOLLOWING_KEYSET

        deep = depth_cursor(args.user, args.limit, args.depth)
        time_service(args.user, args.limit, None, 5)  # warm the caches and the connection pool
        time_service(args.user, args.limit, deep, 5)
        print(f"\nfollowing_feed(user {args.user}, limit {args.limit}), {args.runs} runs each:")
        first = summary("page 1", *time_service(args.user, args.limit, None, args.runs))
        deeper = summary(f"page {args.depth + 1} (cursor)", *time_service(args.user, args.limit, deep, args.runs))
        print(f"ratio deep / first (p50): {deeper / first:.2f}  (target <= 1.5)")

        for label, cursor in (("page 1", None), (f"page {args.depth + 1}", deep)):
            print(f"\n--- EXPLAIN ANALYZE, service page query, {label} ---")
            print(explain(*page_statement(args.user, args.limit, cursor)))
        print(f"\n--- For contrast: the plain join (SQLite's path) at page {args.depth + 1} on PostgreSQL ---")
        print(plain_join_explain(args.user, args.limit, FOLLOWING_KEYSET.decode(deep)))


if __name__ == "__main__":
    main()
