"""Gunicorn settings for Listify: `gunicorn -c gunicorn.conf.py wsgi:app`, behind nginx (deploy/nginx.conf).

Everything a deployment varies comes from the environment (systemd's EnvironmentFile, a Procfile platform):
  PORT or GUNICORN_BIND   where to listen (default 127.0.0.1:8000: only the proxy on this host reaches it)
  WEB_CONCURRENCY         worker processes (default: 2 x CPUs + 1)
  GUNICORN_THREADS        threads per worker (default 1; above 1 gunicorn uses its gthread worker)
  FORWARDED_ALLOW_IPS     proxies whose X-Forwarded-Proto gunicorn believes (default 127.0.0.1 only)
  GUNICORN_ACCESS_LOG     access log target (default "-": stdout; "" turns it off)
  GUNICORN_CONTROL_SOCKET path of gunicorn's control socket (default: none)
  GUNICORN_WORKER_TMP_DIR where workers' heartbeat files go (default /dev/shm when writable)
  PROMETHEUS_MULTIPROC_DIR  when set, /metrics adds up every worker's samples (see docs/operations.md)
The client address the app believes is decided by the app itself (TRUSTED_PROXIES + werkzeug's ProxyFix).
"""
import multiprocessing
import os

from gunicorn.glogging import Logger


def _int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


if os.environ.get("GUNICORN_BIND"):
    bind = [address.strip() for address in os.environ["GUNICORN_BIND"].split(",") if address.strip()]
elif os.environ.get("PORT"):
    # Platforms that hand out a port expect the process to listen on every interface.
    bind = [f"0.0.0.0:{_int('PORT', 8000)}"]
else:
    bind = ["127.0.0.1:8000"]

workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)

timeout = 30  # a worker silent this long is killed and replaced
graceful_timeout = 30  # on restart, in-flight requests get this long to finish
keepalive = 5  # seconds an idle keep-alive connection from the proxy stays open (threaded workers)

# Recycle workers now and then so a slow leak cannot grow forever; the jitter keeps them from restarting together.
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# The heartbeat file lives in memory, so a slow disk cannot make a healthy worker look stuck.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or ("/dev/shm" if os.access("/dev/shm", os.W_OK) else None)

# The app logs its own line per request; this one is gunicorn's view of the same request, with the same id.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = (
    "%(t)s INFO [%({x-request-id}o)s] gunicorn.access: %(m)s %(U)s %(s)s %(M)sms "
    "request_id=%({x-request-id}o)s remote=%(h)s bytes=%(B)s"
)
errorlog = "-"


class AccessLogger(Logger):
    """gunicorn's logger, with the request's values escaped in the access line: the path arrives percent-decoded,
    so `/x%0aFAKE` would write a second, forged line."""

    def atoms(self, resp, req, environ, request_time):
        from app.logging_setup import log_safe  # in a worker, where the app is already loaded

        def readable(value):
            try:  # WSGI strings are bytes read as latin-1 (PEP 3333): shown as the UTF-8 they usually are
                value = value.encode("latin-1").decode("utf-8", "backslashreplace")
            except UnicodeEncodeError:
                pass
            return log_safe(value)

        return {name: readable(value) if isinstance(value, str) else value
                for name, value in super().atoms(resp, req, environ, request_time).items()}


logger_class = AccessLogger
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Gunicorn 25+ opens a control socket under $HOME by default: off unless a path is given.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True

proc_name = "listify-web"


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    # A dead worker's live gauges must stop counting; its counters and histograms stay in the totals.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
