"""Things that break on purpose, for the fault and scale-out tests: a private redis-server that can be stopped and
started again, a TCP proxy in front of PostgreSQL that can cut every connection, a scripted fake Deezer (slow
pages, held pages, 500s, request times) and RQ worker subprocesses. Every wait is bounded; every process started
here is stopped by the fixture that started it (see conftest.py)."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.deploy.servers import free_port, spawn, wait_until
from tests.fakes.deezer_server import NO_DATA, track_item

ROOT = Path(__file__).resolve().parents[2]
HOLD_TIMEOUT = 60.0  # the longest a held fake-Deezer page waits for the test to let it go


# --- Redis -------------------------------------------------------------------------------------------------


class PrivateRedis:
    """A redis-server of this test alone on a free loopback port; stop() and start() keep the port."""

    def __init__(self, log_path: Path):
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        from redis import Redis

        return Redis.from_url(self.url(), socket_connect_timeout=1, socket_timeout=2)

    def start(self) -> PrivateRedis:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                 "--dir", str(self.log_path.parent)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            )
        client = self.client()

        def answers():
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited with {self.process.returncode}: {self.log_path.read_text()}")
            try:
                return client.ping()
            except OSError:
                return False
            except Exception:  # redis' ConnectionError while it boots
                return False

        wait_until(answers, 10, lambda: f"redis-server on {self.port} not answering")
        client.close()
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()  # as a crash would: no goodbye to the clients
            self.process.wait(timeout=10)
        self.process = None


# --- PostgreSQL through a proxy that can be cut --------------------------------------------------------------


class TcpProxy:
    """Forwards loopback connections to `target`; cut() resets every open connection and refuses new ones
    (accepted, then closed at once) until restore()."""

    def __init__(self, target_host: str, target_port: int):
        self._target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port = self._listener.getsockname()[1]
        self._up = True
        self._stopping = False
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept_loop, name="tcp-proxy", daemon=True)
        self._acceptor.start()

    def cut(self) -> None:
        with self._lock:
            self._up = False
            sockets, self._sockets = self._sockets, set()
        for sock in sockets:
            _reset(sock)

    def restore(self) -> None:
        with self._lock:
            self._up = True

    def close(self) -> None:
        self._stopping = True
        self.cut()
        self._acceptor.join(timeout=5)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept_loop(self) -> None:
        while not self._stopping:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                up = self._up
            if not up:
                _reset(client)
                continue
            try:
                upstream = socket.create_connection(self._target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                thread = threading.Thread(target=_pump, args=(source, sink), daemon=True)
                thread.start()
                self._threads.append(thread)


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _reset(sink)
        _reset(source)


def _reset(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


# --- A scripted fake Deezer -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    at: float  # time.monotonic() when the request arrived
    path: str  # path and query string

    @property
    def index(self) -> int:
        return int(parse_qs(urlsplit(self.path).query).get("index", ["0"])[0])

    @property
    def query(self) -> str | None:
        return parse_qs(urlsplit(self.path).query).get("q", [None])[0]


class ScriptedDeezer:
    """Deezer's search over HTTP on 127.0.0.1, scripted by the test.

    `searches` maps a query to how many tracks it finds; they are served `page_size` per page with Deezer's
    `index` paging and `next` links (ids: 1_000_000 * (n + 1) + position, for the query's rank n).
    `hold(query, index)` makes that page wait until `release()`; `fail_with = 500` answers every request with
    that status; `delay` makes every answer wait that many seconds (or until release()).
    """

    def __init__(self, searches: dict[str, int], page_size: int = 10):
        self.searches = searches
        self.page_size = page_size
        self.fail_with: int | None = None
        self.delay: float | None = None
        self.requests: list[Seen] = []
        self._held: set[tuple[str, int]] = set()
        self._released = threading.Event()
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                seen = Seen(time.monotonic(), self.path)
                with fake._lock:
                    fake.requests.append(seen)
                status, body = fake._answer(seen)
                if isinstance(body, bytes):
                    data, kind = body, "text/html"
                else:
                    data, kind = json.dumps(body).encode(), "application/json"
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client went away (timed out, or was killed) while we waited
                    self.close_connection = True

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def hold(self, query: str, index: int) -> None:
        self._held.add((query, index))

    def release(self) -> None:
        self._released.set()

    def seen(self, query: str | None = None) -> list[Seen]:
        with self._lock:
            return [r for r in self.requests if query is None or r.query == query]

    def track_ids(self, query: str) -> list[int]:
        base = 1_000_000 * (list(self.searches).index(query) + 1)
        return [base + n for n in range(self.searches[query])]

    def _answer(self, seen: Seen) -> tuple[int, dict | bytes]:
        if self.delay is not None:
            self._released.wait(self.delay)
        if self.fail_with is not None:  # as a load balancer in front of Deezer would answer
            return self.fail_with, b"<html><body><h1>Server error</h1></body></html>"
        if urlsplit(seen.path).path != "/search" or seen.query not in self.searches:
            return 200, NO_DATA
        if (seen.query, seen.index) in self._held:
            self._released.wait(HOLD_TIMEOUT)
        ids = self.track_ids(seen.query)
        page = ids[seen.index:seen.index + self.page_size]
        body = {"data": [track_item(n) for n in page], "total": len(ids)}
        if seen.index + self.page_size < len(ids):
            next_query = urlencode({"q": seen.query, "index": seen.index + self.page_size, "limit": self.page_size})
            body["next"] = f"{self.url}/search?{next_query}"
        return 200, body

    def __enter__(self) -> ScriptedDeezer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


# --- RQ workers -------------------------------------------------------------------------------------------


def worker_env(app_config, tmp_path: Path, deezer_url: str, **overrides) -> dict[str, str]:
    """A worker's environment: this session's database and Redis, the fake Deezer, and nothing else."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DEEZER_", "RATELIMIT_"))}
    env.update({
        "LISTIFY_ENV": "development", "DATABASE_URL": app_config.SQLALCHEMY_DATABASE_URI,
        "REDIS_URL": app_config.REDIS_URL, "DEEZER_API_URL": deezer_url, "INSTANCE_PATH": str(tmp_path / "instance"),
        "LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1",
    })
    env.update(overrides)
    return env


def start_worker(env: dict[str, str], log_path: Path, *args: str):
    return spawn([sys.executable, "-m", "flask", "--app", "wsgi", "worker", *args], log_path, env=env)


def children_of(pid: int) -> list[int]:
    """Live child processes of `pid` (an RQ work horse is the worker's child, in a process group of its own)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry))
    return found


def is_running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
