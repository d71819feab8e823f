"""How the client meets Deezer's failures: quota signals, transient errors, permanent refusals."""
import email.utils

import pytest
import requests

from app.services.deezer import (
    DeezerClient,
    DeezerError,
    DeezerPermanentError,
    DeezerSource,
    DeezerUnavailableError,
)

CHART = DeezerSource("chart")
QUOTA_BODY = {"error": {"type": "Exception", "message": "Quota limit exceeded", "code": 4}}
BUSY_BODY = {"error": {"type": "Exception", "message": "Service busy", "code": 700}}


@pytest.fixture
def chart_url(base_url):
    return f"{base_url}/chart/0/tracks"


@pytest.fixture
def chart_page(recorded):
    return {"json": recorded("chart_0_tracks.json"), "status_code": 200}


def read_chart(deezer):
    return [track for page in deezer.iter_track_pages(CHART, 100) for track in page.tracks]


def test_quota_error_in_a_200_body_pauses_then_retries(deezer, requests_mock, limiter, sleeps, chart_url,
                                                        chart_page):
    requests_mock.get(chart_url, [{"json": QUOTA_BODY, "status_code": 200}, chart_page])

    tracks = read_chart(deezer)

    assert len(tracks) == 10
    assert requests_mock.call_count == 2
    assert limiter.pauses == [5.0]
    assert len(sleeps) == 1


def test_repeated_quota_errors_back_off_further(deezer, requests_mock, limiter, sleeps, chart_url, chart_page):
    requests_mock.get(chart_url, [{"json": QUOTA_BODY}] * 3 + [chart_page])

    assert len(read_chart(deezer)) == 10
    assert limiter.pauses == [5.0, 5.0, 5.0]
    assert sleeps == sorted(sleeps) and sleeps[0] < sleeps[-1]


@pytest.mark.parametrize(("retry_after", "pause"), [("12", 12.0), ("2", 5.0), (None, 5.0), ("soon", 5.0)])
def test_429_pauses_for_retry_after_but_at_least_five_seconds(deezer, requests_mock, limiter, chart_url,
                                                              chart_page, retry_after, pause):
    headers = {"Retry-After": retry_after} if retry_after else {}
    requests_mock.get(chart_url, [{"status_code": 429, "text": "Too Many Requests", "headers": headers},
                                  chart_page])

    assert len(read_chart(deezer)) == 10
    assert limiter.pauses == [pause]


def test_429_with_an_http_date_retry_after_is_honoured(deezer, requests_mock, limiter, chart_url, chart_page, clock):
    in_two_minutes = email.utils.formatdate(clock.timestamp() + 120, usegmt=True)
    requests_mock.get(chart_url, [{"status_code": 429, "headers": {"Retry-After": in_two_minutes}}, chart_page])

    read_chart(deezer)

    assert limiter.pauses == [120.0]


def test_quota_body_with_retry_after_honours_it(deezer, requests_mock, limiter, chart_url, chart_page):
    requests_mock.get(chart_url, [{"json": QUOTA_BODY, "headers": {"Retry-After": "30"}}, chart_page])

    read_chart(deezer)

    assert limiter.pauses == [30.0]


def test_burst_of_5xx_then_success(deezer, requests_mock, limiter, sleeps, chart_url, chart_page):
    requests_mock.get(chart_url, [{"status_code": 502, "text": "Bad Gateway"}, {"status_code": 503},
                                  {"status_code": 500, "json": {}}, chart_page])

    assert len(read_chart(deezer)) == 10
    assert requests_mock.call_count == 4
    assert sleeps == [0.75, 1.5, 3.0]  # 1, 2, 4 s with the jitter fixed at the middle
    assert limiter.pauses == []


def test_service_busy_code_700_is_retried(deezer, requests_mock, chart_url, chart_page):
    requests_mock.get(chart_url, [{"json": BUSY_BODY}, chart_page])

    assert len(read_chart(deezer)) == 10
    assert requests_mock.call_count == 2


@pytest.mark.parametrize("failure", [requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout,
                                     requests.exceptions.ConnectionError])
def test_timeout_or_connection_error_then_success(deezer, requests_mock, sleeps, chart_url, chart_page, failure):
    requests_mock.get(chart_url, [{"exc": failure}, chart_page])

    assert len(read_chart(deezer)) == 10
    assert requests_mock.call_count == 2
    assert len(sleeps) == 1


def test_requests_carry_connect_and_read_timeouts(deezer, requests_mock, chart_url, chart_page):
    requests_mock.get(chart_url, [chart_page])

    read_chart(deezer)

    assert requests_mock.last_request.timeout == (10, 30)


@pytest.mark.parametrize(("connect", "read"), [(11, 30), (10, 31), (0, 30)])
def test_timeouts_beyond_the_contract_are_refused(limiter, connect, read):
    with pytest.raises(ValueError):
        DeezerClient("https://api.deezer.com", limiter, connect_timeout=connect, read_timeout=read)


def test_non_json_body_is_retried(deezer, requests_mock, chart_url, chart_page):
    requests_mock.get(chart_url, [{"status_code": 200, "text": "<html>maintenance</html>"}, chart_page])

    assert len(read_chart(deezer)) == 10
    assert requests_mock.call_count == 2


def test_retries_run_out_with_an_error_naming_source_and_cause(deezer, requests_mock, sleeps, chart_url):
    requests_mock.get(chart_url, status_code=503, reason="Service Unavailable")

    with pytest.raises(DeezerUnavailableError) as raised:
        read_chart(deezer)

    assert requests_mock.call_count == 5
    assert len(sleeps) == 4
    message = str(raised.value)
    assert "chart" in message and "HTTP 503 Service Unavailable" in message and "5 attempts" in message


def test_non_json_bodies_until_the_end_are_unavailable(deezer, requests_mock, chart_url):
    requests_mock.get(chart_url, text="not json")

    with pytest.raises(DeezerUnavailableError, match="non-JSON"):
        read_chart(deezer)


def test_quota_until_the_end_is_unavailable(deezer, requests_mock, limiter, chart_url):
    requests_mock.get(chart_url, json=QUOTA_BODY)

    with pytest.raises(DeezerUnavailableError, match="quota exceeded"):
        read_chart(deezer)

    assert len(limiter.pauses) == 5


def test_backoff_grows_exponentially_and_is_capped(limiter, requests_mock, chart_url):
    sleeps = []
    deezer = DeezerClient("http://127.0.0.1:9", limiter, max_attempts=9, sleep=sleeps.append, random=lambda: 1.0)
    requests_mock.get(chart_url, status_code=500)

    with pytest.raises(DeezerUnavailableError):
        read_chart(deezer)

    assert sleeps == [1, 2, 4, 8, 16, 30, 30, 30]


def test_backoff_jitter_comes_from_the_injected_random(limiter, requests_mock, chart_url):
    sleeps = []
    deezer = DeezerClient("http://127.0.0.1:9", limiter, max_attempts=3, sleep=sleeps.append, random=lambda: 0.0)
    requests_mock.get(chart_url, status_code=500)

    with pytest.raises(DeezerUnavailableError):
        read_chart(deezer)

    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("source", "path", "fixture", "message"),
    [
        (DeezerSource("album", 999), "/album/999", "error_album_not_found.json",
         "Deezer: album 999 not found (code 800: no data)"),
        (DeezerSource("artist", 999), "/artist/999", "error_artist_not_found.json",
         "Deezer: artist 999 not found (code 800: no data)"),
        (DeezerSource("playlist", 999), "/playlist/999/tracks", "error_playlist_not_found.json",
         "Deezer: playlist 999 not found (code 800: no data)"),
        (DeezerSource("query", "x"), "/search", "error_genre_wrong_parameter.json",
         'Deezer: query "x" refused the request (code 500: Wrong parameter)'),
        (DeezerSource("chart"), "/chart/0/tracks", "error_episode_no_code.json",
         "Deezer: chart refused the request (An error has occured)"),
    ],
)
def test_deezer_error_body_fails_at_once(deezer, requests_mock, recorded, limiter, sleeps, base_url,
                                         source, path, fixture, message):
    requests_mock.get(base_url + path, json=recorded(fixture))

    with pytest.raises(DeezerPermanentError) as raised:
        list(deezer.iter_track_pages(source, 100))

    assert str(raised.value) == message
    assert raised.value.source == source
    assert requests_mock.call_count == 1
    assert sleeps == [] and limiter.pauses == []


@pytest.mark.parametrize("status", [400, 403, 404])
def test_other_4xx_fails_at_once(deezer, requests_mock, chart_url, status):
    requests_mock.get(chart_url, status_code=status, text="<html>nope</html>")

    with pytest.raises(DeezerPermanentError, match=f"chart refused the request \\(HTTP {status}") as raised:
        read_chart(deezer)

    assert raised.value.http_status == status
    assert requests_mock.call_count == 1


def test_errors_share_a_base_class():
    assert issubclass(DeezerPermanentError, DeezerError) and issubclass(DeezerUnavailableError, DeezerError)


def test_every_request_first_acquires_the_limiter(deezer, limiter, requests_mock, chart_url, chart_page):
    def answer(request, context):
        limiter.events.append("request")
        return QUOTA_BODY if limiter.events.count("request") == 1 else chart_page["json"]

    requests_mock.get(chart_url, json=answer)

    read_chart(deezer)

    assert limiter.events == ["acquire", "request", ("pause", 5.0), "acquire", "request"]



def test_requests_and_quota_pauses_are_counted_for_metrics(deezer, requests_mock, chart_url, chart_page):
    from app.services.deezer.metrics import DEEZER_QUOTA_PAUSES, DEEZER_REQUESTS

    requests_mock.get(chart_url, [{"json": QUOTA_BODY, "status_code": 200}, chart_page])
    ok_before = DEEZER_REQUESTS.labels("ok")._value.get()
    quota_before = DEEZER_REQUESTS.labels("quota")._value.get()
    pauses_before = DEEZER_QUOTA_PAUSES._value.get()

    read_chart(deezer)

    assert DEEZER_REQUESTS.labels("ok")._value.get() == ok_before + 1
    assert DEEZER_REQUESTS.labels("quota")._value.get() == quota_before + 1
    assert DEEZER_QUOTA_PAUSES._value.get() == pauses_before + 1
