"""A hostile (or broken) Deezer, over real HTTP on 127.0.0.1: bodies trickled, huge, compressed to explode or
nested too deep are given up within each attempt's deadline and byte cap; never read whole."""
import gzip
import json
import time
import tracemalloc

import pytest

from app.services.deezer import DeezerClient, DeezerSource, DeezerUnavailableError
from tests.fakes.deezer_server import FakeDeezer, NoWaitLimiter, Streamed, trickled

CHART = DeezerSource("chart")
EMPTY_PAGE = {"data": [], "total": 0}
MB = 1024 * 1024


def client_for(deezer, **options):
    options = {"max_attempts": 2, "sleep": lambda seconds: None, **options}
    return DeezerClient(deezer.url, NoWaitLimiter(), **options)


def read_chart(client):
    with client:
        return [track for page in client.iter_track_pages(CHART, 100) for track in page.tracks]


def test_body_trickled_byte_by_byte_is_given_up_at_the_attempt_deadline():
    # 1000 bytes at one per 10 ms: each read brings a byte well within the read timeout, for 10 s in all.
    with FakeDeezer({"/chart/0/tracks": trickled(EMPTY_PAGE, interval=0.01, pad_to=1000)}) as deezer:
        started = time.monotonic()
        with pytest.raises(DeezerUnavailableError, match=r"took longer than the 0\.3 s an attempt may take"):
            read_chart(client_for(deezer, attempt_deadline=0.3))
        elapsed = time.monotonic() - started
        assert len(deezer.requests) == 2
        assert deezer.bodies_completed == 0
    assert elapsed < 5  # two attempts of 0.3 s, not two bodies of 10 s


def endless_padding(chunk_bytes: int = 64 * 1024, chunks: int = 1024):
    """A JSON object whose string member goes on for chunks x chunk_bytes (64 MB by default)."""
    padding = b"x" * chunk_bytes

    def chunks_of_body():
        yield b'{"data": [], "padding": "'
        for _ in range(chunks):
            yield padding
        yield b'"}'

    return chunks_of_body


def peak_python_memory(work) -> int:
    tracemalloc.start()
    try:
        work()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_body_over_the_byte_cap_is_never_buffered_whole():
    with FakeDeezer({"/chart/0/tracks": Streamed(endless_padding())}) as deezer:
        def fetch():
            with pytest.raises(DeezerUnavailableError, match="sent a body over the 1048576-byte cap"):
                read_chart(client_for(deezer, max_response_bytes=MB))

        peak = peak_python_memory(fetch)
        assert deezer.bodies_completed == 0
    assert peak < 8 * MB  # the 64 MB body was cut off at the cap


def test_announced_length_over_the_cap_is_refused_before_reading():
    answer = Streamed(lambda: [b'{"data": []'], content_length=50 * MB)
    with FakeDeezer({"/chart/0/tracks": answer}) as deezer:
        with pytest.raises(DeezerUnavailableError, match="announced a body of 52428800 bytes, over the 1048576"):
            read_chart(client_for(deezer, max_response_bytes=MB))


def test_compressed_body_is_capped_on_what_it_expands_to():
    bomb = gzip.compress(b'{"data": [], "padding": "' + b" " * (64 * MB) + b'"}', compresslevel=1)
    answer = Streamed(lambda: [bomb], content_length=len(bomb), headers={"Content-Encoding": "gzip"})
    assert len(bomb) < MB
    with FakeDeezer({"/chart/0/tracks": answer}) as deezer:
        def fetch():
            with pytest.raises(DeezerUnavailableError, match="over the 1048576-byte cap"):
                read_chart(client_for(deezer, max_response_bytes=MB))

        assert peak_python_memory(fetch) < 8 * MB + len(bomb)


def test_json_nested_deeper_than_python_can_parse_is_a_bad_response():
    nested = b"[" * 200_000 + b"]" * 200_000
    answer = Streamed(lambda: [nested], content_length=len(nested))
    with FakeDeezer({"/chart/0/tracks": answer}) as deezer:
        with pytest.raises(DeezerUnavailableError, match="non-JSON response"):
            read_chart(client_for(deezer))


def test_a_body_within_the_caps_is_read_as_before(recorded):
    body = recorded("chart_0_tracks.json")
    size = len(json.dumps(body))
    with FakeDeezer({"/chart/0/tracks": body}) as deezer:
        tracks = read_chart(client_for(deezer, max_response_bytes=size, attempt_deadline=5))
    assert len(tracks) == 10


@pytest.mark.parametrize("options", [{"attempt_deadline": 0}, {"max_response_bytes": 0}])
def test_caps_must_be_positive(options):
    with pytest.raises(ValueError):
        DeezerClient("http://127.0.0.1:9", NoWaitLimiter(), **options)
