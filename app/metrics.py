"""Prometheus metrics: requests per endpoint, RQ queues, Deezer calls; served on /metrics behind a token.

Under gunicorn every worker is its own process. With PROMETHEUS_MULTIPROC_DIR set (before this module is
imported) prometheus-client keeps each process's samples in files there and /metrics adds them up; the
same directory given to the RQ worker makes its Deezer counters show up too. Without it, /metrics shows
this process only (development, tests, a single worker).

Labels are bounded: the Flask endpoint name (never the raw path), the method, the status code, the queue.
"""
import hmac
import os
import time

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from redis.exceptions import RedisError

from app.blueprints.limits import metrics_limit
from app.errors import NotFound, Unauthorized
from app.extensions import limiter
from app.queue import QUEUES, get_queue, redis_connection

HTTP_REQUESTS = Counter(
    "listify_http_requests_total", "HTTP requests answered, by Flask endpoint, method and status.",
    ["endpoint", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "listify_http_request_duration_seconds", "Time to answer an HTTP request, by Flask endpoint and method.",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
from app.services.deezer.metrics import DEEZER_QUOTA_PAUSES, DEEZER_REQUESTS  # noqa: E402,F401  (served here)

UNMATCHED_ENDPOINT = "<unmatched>"  # unknown paths share one label, so scanners cannot blow up cardinality
KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

blp = Blueprint("metrics", __name__)


@blp.route("/metrics")
@limiter.limit(metrics_limit, scope="metrics")
def metrics():
    """Limited per client IP like the API (RATELIMIT_METRICS, counted before the token is checked): with
    PROMETHEUS_MULTIPROC_DIR any one worker answers for all, so a scraper needs one request per interval."""
    check_token()
    body = generate_latest(scrape_registry())
    return Response(body, content_type=CONTENT_TYPE_LATEST)


def check_token():
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        raise NotFound("The requested resource was not found.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise Unauthorized("A valid metrics token is required.", headers={"WWW-Authenticate": "Bearer"})


def scrape_registry():
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_DefaultRegistry())
    registry.register(RQCollector())
    return registry


class _DefaultRegistry:
    """This process's metrics (the module's counters plus prometheus-client's process/GC collectors)."""

    def collect(self):
        return REGISTRY.collect()


class RQCollector:
    """Queue depth and failed jobs per RQ queue, read from Redis at scrape time (nothing when REDIS_URL is unset)."""

    def collect(self):
        if redis_connection() is None:
            return
        depth = GaugeMetricFamily("listify_rq_queue_depth", "Jobs waiting in an RQ queue.", labels=["queue"])
        started = GaugeMetricFamily("listify_rq_started_jobs", "Jobs an RQ worker is running.", labels=["queue"])
        failed = GaugeMetricFamily(
            "listify_rq_failed_jobs", "Failed jobs kept in an RQ queue's failed registry.", labels=["queue"]
        )
        up = GaugeMetricFamily("listify_rq_up", "1 when Redis answered this scrape, else 0.")
        try:
            for name in QUEUES:
                queue = get_queue(name)
                depth.add_metric([name], queue.count)
                started.add_metric([name], queue.started_job_registry.count)
                failed.add_metric([name], queue.failed_job_registry.count)
        except RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield from (up, depth, started, failed)


def register_metrics(app):
    @app.before_request
    def start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def count_request(response):
        endpoint = request.endpoint or UNMATCHED_ENDPOINT
        method = request.method if request.method in KNOWN_METHODS else "OTHER"
        HTTP_REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        started = g.get("metrics_started")
        if started is not None:
            HTTP_LATENCY.labels(endpoint, method).observe(time.perf_counter() - started)
        return response

    app.register_blueprint(blp)
