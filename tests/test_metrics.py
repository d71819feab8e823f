"""/metrics: Prometheus text behind a Bearer token, request counters per endpoint, RQ queues from Redis."""
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import DEEZER_QUOTA_PAUSES, DEEZER_REQUESTS
from app.queue import get_queue
from tests.conftest import error_codes

TOKEN = "metrics-token-for-tests-0123456789"


@pytest.fixture
def metrics_token(app, monkeypatch):
    monkeypatch.setitem(app.config, "METRICS_TOKEN", TOKEN)
    return TOKEN


def scrape(client):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for sample in family.samples
    }


def sample(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def failing_job():
    raise RuntimeError("this job fails on purpose")


def test_metrics_is_not_found_when_no_token_is_configured(client, app):
    assert app.config["METRICS_TOKEN"] is None
    response = client.get("/metrics", headers={"Authorization": "Bearer anything"})
    assert response.status_code == 404
    assert error_codes(response) == ["not_found"]


@pytest.mark.parametrize("headers", [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": f"Basic {TOKEN}"},
    {"Authorization": f"Bearer {TOKEN}x"},
    {"Authorization": "Bearer t\u00f6ken"},
], ids=["missing", "wrong", "not-bearer", "longer", "non-ascii"])
def test_metrics_without_the_right_token_is_401(client, metrics_token, headers):
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert error_codes(response) == ["not_authenticated"]
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_metrics_with_the_token_is_prometheus_text(client, metrics_token):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    assert "# TYPE listify_http_requests_total counter" in response.get_data(as_text=True)


def test_request_counter_moves_per_endpoint_not_per_path(client, metrics_token):
    before = scrape(client)
    client.get("/up")
    client.get("/up")
    client.get("/no/such/path/123")
    after = scrape(client)
    up = {"endpoint": "health.up", "method": "GET", "status": "200"}
    unmatched = {"endpoint": "<unmatched>", "method": "GET", "status": "404"}
    assert sample(after, "listify_http_requests_total", **up) - sample(before, "listify_http_requests_total", **up) == 2
    assert (sample(after, "listify_http_requests_total", **unmatched)
            - sample(before, "listify_http_requests_total", **unmatched)) == 1
    assert not any("/no/such/path" in str(labels) for _, labels in after)


def test_latency_histogram_counts_each_request(client, metrics_token):
    labels = {"endpoint": "health.up", "method": "GET"}
    before = sample(scrape(client), "listify_http_request_duration_seconds_count", **labels)
    client.get("/up")
    after = scrape(client)
    assert sample(after, "listify_http_request_duration_seconds_count", **labels) == before + 1
    assert sample(after, "listify_http_request_duration_seconds_bucket", le="+Inf", **labels) == before + 1


def test_unknown_methods_share_one_label(client, metrics_token):
    labels = {"endpoint": "<unmatched>", "method": "OTHER", "status": "405"}
    before = sample(scrape(client), "listify_http_requests_total", **labels)
    client.open("/up", method="BREW")
    after = scrape(client)
    assert sample(after, "listify_http_requests_total", **labels) == before + 1
    assert not any(dict(labels).get("method") == "BREW" for _, labels in after)


def test_deezer_counters_are_exported(client, metrics_token):
    before = scrape(client)
    DEEZER_REQUESTS.labels("quota").inc()
    DEEZER_QUOTA_PAUSES.inc()
    after = scrape(client)
    assert (sample(after, "listify_deezer_requests_total", outcome="quota")
            - sample(before, "listify_deezer_requests_total", outcome="quota")) == 1
    assert sample(after, "listify_deezer_quota_pauses_total") - sample(before, "listify_deezer_quota_pauses_total") == 1


def test_metrics_has_a_rate_limit_of_its_own(client, metrics_token):
    for _ in range(3):
        scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert scraped.status_code == 200 and scraped.headers["X-RateLimit-Limit"] == "60"


def test_metrics_past_its_limit_is_429_whatever_the_token(client, app, metrics_token, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_METRICS", "2 per minute")
    guesses = [client.get("/metrics", headers={"Authorization": f"Bearer guess-{n}"}) for n in range(2)]
    assert [response.status_code for response in guesses] == [401, 401]
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 429 and error_codes(response) == ["rate_limited"]
    assert int(response.headers["Retry-After"]) > 0
    other_ip = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"},
                          environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_ip.status_code == 200


def test_metrics_token_is_compared_in_constant_time(client, metrics_token, monkeypatch):
    import hmac

    from app import metrics

    compared, real_compare_digest = [], hmac.compare_digest

    def compare_digest(given, expected):
        compared.append((given, expected))
        return real_compare_digest(given, expected)

    monkeypatch.setattr(metrics.hmac, "compare_digest", compare_digest)
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert compared == [(b"wrong", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def test_metrics_is_not_in_the_openapi_document(client):
    assert "/metrics" not in client.get("/openapi.json").get_json()["paths"]


def test_no_queue_metrics_without_redis(client, metrics_token, app):
    if app.config["REDIS_URL"]:
        pytest.skip("runs without REDIS_URL")
    assert not any(name.startswith("listify_rq_") for name, _ in scrape(client))


@pytest.mark.redis
def test_queue_depth_is_read_from_redis(client, metrics_token, app):
    get_queue("default").enqueue(failing_job)
    get_queue("default").enqueue(failing_job)
    samples = scrape(client)
    assert sample(samples, "listify_rq_up") == 1
    assert sample(samples, "listify_rq_queue_depth", queue="default") == 2
    assert sample(samples, "listify_rq_queue_depth", queue="ingest") == 0


@pytest.mark.redis
def test_failed_jobs_are_counted_per_queue(client, metrics_token, drain_jobs):
    get_queue("default").enqueue(failing_job)
    drain_jobs(queues=("default",))
    samples = scrape(client)
    assert sample(samples, "listify_rq_failed_jobs", queue="default") == 1
    assert sample(samples, "listify_rq_failed_jobs", queue="ingest") == 0
    assert sample(samples, "listify_rq_queue_depth", queue="default") == 0


def test_a_304_is_counted_as_a_304(client, metrics_token, make_user, auth_headers):
    headers = auth_headers(make_user())
    # /api/v1/collections hashes its body: the 200 becomes a 304 in an after_request, before metrics count it.
    etag = client.get("/api/v1/collections", headers=headers).headers["ETag"]
    before = scrape(client)
    assert client.get("/api/v1/collections", headers={**headers, "If-None-Match": etag}).status_code == 304
    after = scrape(client)
    labels = {"endpoint": "v1_collections.Collections", "method": "GET", "status": "304"}
    assert sample(after, "listify_http_requests_total", **labels) - sample(before, "listify_http_requests_total",
                                                                           **labels) == 1
