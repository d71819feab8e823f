"""What a hostile but parseable request costs, against a valid request of the same route, in-process.

    python bench/hostile_bench.py [--repeat 5] [--only deep]

The app runs with production's argon2 settings on a SQLite file in a temporary folder, without Redis and without
rate limits (DevelopmentConfig), and is called as a WSGI callable: nothing but the app is measured (no HTTP, no
gunicorn). Each line is the median wall time of `--repeat` requests, the status, the size of the answer, and the
ratio to the valid request of the same route. "10 MB string" is a body of the same size as the largest payloads
that breaks none of these limits (a 10 MB value for the first field, refused by its length rule): the cost of
reading 10 MB at all. Figures in docs/performance.md.
"""
from __future__ import annotations

import argparse
import io
import itertools
import json
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024
PASSWORD = "correct horse battery"


def million_keys() -> bytes:
    keys = ("".join(letters) for letters in itertools.islice(itertools.product(string.ascii_letters, repeat=4), 10**6))
    return json.dumps(dict.fromkeys(keys, 10), separators=(",", ":")).encode()


def hostile_payloads(valid: dict) -> dict[str, bytes]:
    """Each payload of tests/api/test_hostile_input.py, at the sizes the security review used (and at 10 MB)."""
    first = next(iter(valid))

    def with_value(raw: bytes) -> bytes:  # `raw` as the JSON value of the first field
        return json.dumps({**valid, first: "@"}).encode().replace(b'"@"', raw)

    return {
        "100,000 nested arrays": b"[" * 100_000 + b"]" * 100_000,
        "100,000 nested objects": b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
        "10 MB of nested arrays": b"[" * (5 * MB) + b"]" * (5 * MB),
        "10 MB of small arrays": b"[" + b"[]," * (10 * MB // 3 - 1) + b"[]]",
        "integer of 4,301 digits": with_value(b"9" * 4301),
        "integer of 10 MB": with_value(b"9" * (10 * MB - 200)),
        "lone surrogate": json.dumps({**valid, first: valid[first] + "\ud800"}).encode(),
        "NUL": json.dumps({**valid, first: valid[first] + "\x00"}).encode(),
        "a million unknown fields (9.9 MB)": million_keys(),
        "100,000 unknown fields (1 MB)": json.dumps({f"x{i}": 1 for i in range(100_000)}).encode(),
        "one unknown key of 5 MB": json.dumps({**valid, "k" * (5 * MB): 1}).encode(),
        "10 MB string": json.dumps({**valid, first: "p" * (10 * MB - 200)}).encode(),
    }


def make_app(folder: str):
    from app import create_app
    from config import DevelopmentConfig, database_url

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{folder}/bench.sqlite3")
        STORAGE_LOCAL_ROOT = f"{folder}/media"
        REDIS_URL = None
        RATELIMIT_ENABLED = False
        RATELIMIT_STORAGE_URI = "memory://"
        LOG_LEVEL = "WARNING"

    app = create_app(BenchConfig)
    from app.extensions import db

    with app.app_context():
        db.create_all()
    return app


def call(app, method: str, path: str, body: bytes) -> tuple[str, bytes]:
    environ = {
        "REQUEST_METHOD": method, "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8711", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8711", "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body)),
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False, "wsgi.version": (1, 0),
    }
    status = []
    answer = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
    return status[0].split()[0], answer


def timed(repeat: int, request) -> tuple[float, str, int]:
    """Median wall time of `repeat` calls of request() -> (status, answer), the last status and answer size."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        status, answer = request()
        times.append(time.perf_counter() - started)
    return statistics.median(times), status, len(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default="", help="only the payloads whose name contains this")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        app = make_app(folder)
        counter = itertools.count()

        def register_body():
            n = next(counter)
            return json.dumps({"email": f"bench{n}@example.com", "username": f"bench{n}", "password": PASSWORD})

        status, answer = call(app, "POST", "/api/v1/auth", register_body().encode())
        refresh_token = [json.loads(answer)["refresh_token"]]

        def valid_refresh():
            # a refresh rotates the token: each one presents the one the previous answered
            status, answer = call(app, "POST", "/api/v2/refresh_tokens",
                                  json.dumps({"refresh_token": refresh_token[0]}).encode())
            refresh_token[0] = json.loads(answer)["refresh_token"]
            return status, answer

        login = {"email": "bench0@example.com", "password": PASSWORD}
        routes = [
            ("/api/v1/auth", lambda: call(app, "POST", "/api/v1/auth", register_body().encode()),
             {"email": "a@example.com", "username": "alice", "password": PASSWORD}),
            ("/api/v1/auth/login", lambda: call(app, "POST", "/api/v1/auth/login", json.dumps(login).encode()), login),
            ("/api/v2/refresh_tokens", valid_refresh, {"refresh_token": "r" * 43}),
        ]
        print("| route | request | median | status | answer | × valid |")
        print("|---|---|---:|---:|---:|---:|")
        for path, valid_request, shape in routes:
            valid_time, status, size = timed(args.repeat, valid_request)
            print(f"| `POST {path}` | valid | {valid_time * 1000:.1f} ms | {status} | {size} B | 1.0 |")
            for name, body in hostile_payloads(shape).items():
                if args.only in name:
                    took, status, size = timed(args.repeat, lambda body=body: call(app, "POST", path, body))
                    print(f"| | {name} | {took * 1000:.1f} ms | {status} | {size} B | {took / valid_time:.1f} |")


if __name__ == "__main__":
    main()
