"""Real servers for the deployment tests: gunicorn (gunicorn.conf.py, wsgi:app) as a subprocess on a free
loopback port, against the test session's database and Redis, and a tiny HTTP client that can pick its
source address. Every wait is bounded; every process is killed by its test's teardown."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOOT_TIMEOUT = 30.0  # seconds for a server to answer; a cold gunicorn boot takes about two

CHROMIUM = "/usr/bin/chromium"  # Debian's chromium; chromium-driver's chromedriver drives it
CHROMEDRIVER = "/usr/bin/chromedriver"
# Headless, and no traffic but to the test server: every host name but the loopback address fails to resolve, and
# none of Chromium's own background requests (updates, metrics, sync) is made.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
    "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-domain-reliability",
    "--no-pings", "--metrics-recording-only", "--no-proxy-server",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]


def free_port(host="127.0.0.1"):
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self):
        import json

        return json.loads(self.body)


def http_request(port, method, path, *, headers=None, body=None, source="127.0.0.1", timeout=30):
    """One request on a fresh connection from `source` (any 127.x address works on Linux's loopback)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        connection.close()


def wait_until(predicate, timeout, message):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.02)
    raise AssertionError(message())


@dataclass
class Server:
    """A subprocess whose output goes to a log file, killed (with its process group) on stop()."""

    process: subprocess.Popen
    port: int
    log_path: Path
    _log_file: object = field(repr=False, default=None)

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, needle, timeout=5.0):
        """The log's lines containing `needle`, once there is one (a line is written just after the response)."""
        return wait_until(
            lambda: [line for line in self.log().splitlines() if needle in line],
            timeout, lambda: f"no log line with {needle!r} in:\n{self.log()[-4000:]}",
        )

    def wait_ready(self, path="/up"):
        def answered():
            if self.process.poll() is not None:
                raise AssertionError(f"exited with {self.process.returncode} before answering:\n{self.log()[-4000:]}")
            try:
                return http_request(self.port, "GET", path, timeout=2).status == 200
            except OSError:
                return False

        wait_until(answered, BOOT_TIMEOUT, lambda: f"not answering {path} after {BOOT_TIMEOUT}s:\n{self.log()[-4000:]}")
        return self

    def stop(self):
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            except ProcessLookupError:
                pass
        if self._log_file:
            self._log_file.close()


def spawn(command, log_path, env=None, port=0):
    log_file = open(log_path, "ab")
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so teardown reaches gunicorn's workers too
    )
    return Server(process, port, log_path, log_file)


def gunicorn_env(app, tmp_path, **overrides):
    """The environment of a deployed web process, pointed at this test session's database and Redis."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "GUNICORN_BIND", "PROMETHEUS_MULTIPROC_DIR",
                                                           "METRICS_TOKEN", "TRUSTED_PROXIES", "REDIS_URL"}}
    env.update({
        "LISTIFY_ENV": "development",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        # Fixed keys: a token minted by one worker must be accepted by the other.
        "SECRET_KEY": "deploy-test-secret-key-0123456789abcdef",
        "JWT_SECRET_KEY": "deploy-test-jwt-secret-key-0123456789abcdef",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "STORAGE_LOCAL_ROOT": str(tmp_path / "media"),
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "INFO",
        "PYTHONUNBUFFERED": "1",
    })
    if app.config["REDIS_URL"]:
        env["REDIS_URL"] = app.config["REDIS_URL"]
    env.update(overrides)
    return env


def start_gunicorn(app, tmp_path, **env_overrides):
    port = free_port()
    env = gunicorn_env(app, tmp_path, GUNICORN_BIND=f"127.0.0.1:{port}", **env_overrides)
    server = spawn([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
                   tmp_path / f"gunicorn-{port}.log", env=env, port=port)
    return server
