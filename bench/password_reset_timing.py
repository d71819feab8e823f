"""How long `POST /api/v1/auth/password` takes for a known email, an unknown one and one over its mail limit.

    python bench/password_reset_timing.py [--requests 200]                          # SQLite file, no Redis
    DATABASE_URL=postgresql://... REDIS_URL=redis://127.0.0.1:6379/N python bench/password_reset_timing.py

Production settings (MAIL_SERVER unset: mail is dropped with a warning), called in-process as a WSGI app
through Flask's test client. Without REDIS_URL the job runs inside the request (SINGLE_PROCESS=true), so the
request does all the work; with it the request only queues the job (the queue is emptied afterwards). The
database gets fresh tables: never point it at data you keep. Each "known" request goes to a user of its own
(mailed once), "limited" requests all go to one user past its 3 mails an hour; the kinds are interleaved.
"""
import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200, help="requests of each kind")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="listify-reset-bench-")
    os.environ.update({
        "LISTIFY_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "j" * 40,
        "RATELIMIT_DEFAULT": "100000000 per minute", "SINGLE_PROCESS": "true", "MAIL_SERVER": "",
        "INSTANCE_PATH": workdir,
    })
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")

    from sqlalchemy import insert

    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.queue import redis_connection
    from app.services.passwords import hash_password

    app = create_app()
    logging.getLogger().handlers[0].setStream(open(os.devnull, "w"))
    n = args.requests
    with app.app_context():
        db.drop_all()
        db.create_all()
        password_hash = hash_password("bench-password-1")
        db.session.execute(insert(User), [
            {"email": f"u{i}@example.com", "username": f"u{i}", "password_hash": password_hash}
            for i in range(n + 1)
        ])
        db.session.commit()
        redis = redis_connection()
    client = app.test_client()
    emails = {"known": [f"u{i}@example.com" for i in range(n)], "unknown": [f"nobody{i}@example.com" for i in range(n)],
              "limited": [f"u{n}@example.com"] * n}
    for _ in range(3):  # the limited user's three mails of the hour
        client.post("/api/v1/auth/password", json={"email": f"u{n}@example.com"})
    for warm in range(20):
        client.post("/api/v1/auth/password", json={"email": f"warm{warm}@example.com"})
    times = {kind: [] for kind in emails}
    for i in range(n):
        for kind in emails:
            started = time.perf_counter()
            response = client.post("/api/v1/auth/password", json={"email": emails[kind][i]})
            times[kind].append((time.perf_counter() - started) * 1000)
            assert response.status_code == 202, response.get_data(as_text=True)
    engine = app.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(f"{engine}, {'Redis (request queues the job)' if redis else 'no Redis (job in the request)'}, {n} each")
    for kind, values in times.items():
        values.sort()
        print(f"  {kind:8} median {statistics.median(values):6.2f} ms   p90 {values[int(len(values) * 0.9)]:6.2f} ms")
    if redis is not None:
        with app.app_context():
            db.drop_all()
        redis.flushdb()


if __name__ == "__main__":
    main()
