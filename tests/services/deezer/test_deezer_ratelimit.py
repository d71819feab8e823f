"""The sliding-window limiters: never more than the configured requests in ANY window, pauses honoured.

Time is a FakeClock that only moves when the limiter sleeps on it, so nothing really sleeps. Each acquire()
returns the time its grant was recorded at; the checks run over those grant times.
"""
import bisect
import random
import threading

import pytest

from app.services.deezer import LocalSlidingWindowLimiter, RedisSlidingWindowLimiter

WINDOW = 5.0
CONFIGURED = 45
DEEZER_QUOTA = 50


def most_in_any_window(grant_times, window=WINDOW):
    """The largest number of grants inside any closed window [t, t + window] (the worst one starts at a grant)."""
    times = sorted(grant_times)
    return max(bisect.bisect_right(times, start + window) - i for i, start in enumerate(times))


def assert_within_quota(grant_times):
    busiest = most_in_any_window(grant_times)
    assert busiest <= CONFIGURED < DEEZER_QUOTA, f"{busiest} grants in one {WINDOW:g} s window"


def test_window_counter_sees_a_burst_across_a_bucket_boundary():
    # The checker itself must catch what a fixed-bucket limiter would allow: 45 just before and after t=5.
    grants = [4.9 + i * 0.001 for i in range(45)] + [5.0 + i * 0.001 for i in range(45)]

    assert most_in_any_window(grants) == 90


@pytest.fixture
def local_limiter(fake_clock):
    return LocalSlidingWindowLimiter(CONFIGURED, WINDOW, clock=fake_clock, sleep=fake_clock.sleep)


def test_local_limiter_never_exceeds_the_window_over_500_requests(local_limiter, fake_clock):
    start = fake_clock()

    grants = [local_limiter.acquire() for _ in range(500)]

    assert_within_quota(grants)
    assert grants == sorted(grants) and grants[0] == start
    # ...and it is not needlessly slow: 500 requests at 45 per 5 s need eleven full windows and a bit.
    assert 55.0 <= grants[-1] - start < 56.0


def test_local_limiter_with_irregular_callers_never_exceeds_the_window(local_limiter, fake_clock):
    pacing = random.Random(20240611)
    grants = []
    for _ in range(500):
        grants.append(local_limiter.acquire())
        if pacing.random() < 0.3:
            fake_clock.sleep(pacing.uniform(0.001, 2.0))

    assert_within_quota(grants)


def test_local_limiter_shared_by_threads_never_exceeds_the_window(local_limiter):
    grants = []
    grants_lock = threading.Lock()

    def worker():
        for _ in range(100):
            granted = local_limiter.acquire()
            with grants_lock:
                grants.append(granted)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(grants) == 400
    assert_within_quota(grants)


def test_local_pause_holds_every_acquirer_back(local_limiter, fake_clock):
    start = fake_clock()

    local_limiter.pause(10)

    assert local_limiter.acquire() >= start + 10


def test_local_shorter_pause_does_not_cut_a_longer_one(local_limiter, fake_clock):
    start = fake_clock()

    local_limiter.pause(10)
    local_limiter.pause(3)

    assert local_limiter.acquire() >= start + 10


@pytest.fixture
def redis_limiter(redis_client, redis_key, fake_clock):
    def make(clock=fake_clock):
        return RedisSlidingWindowLimiter(redis_client, key=redis_key, max_requests=CONFIGURED,
                                         window_seconds=WINDOW, clock=clock, sleep=fake_clock.sleep)
    return make


def test_redis_limiter_never_exceeds_the_window_over_500_requests(redis_limiter, fake_clock):
    limiter = redis_limiter()
    start = fake_clock()

    grants = [limiter.acquire() for _ in range(500)]

    assert_within_quota(grants)
    assert 55.0 <= grants[-1] - start < 56.0


def test_redis_limiter_shared_by_two_workers_never_exceeds_the_window(redis_limiter):
    first, second = redis_limiter(), redis_limiter()

    grants = [limiter.acquire() for _ in range(250) for limiter in (first, second)]

    assert_within_quota(grants)


def test_redis_limiter_shared_by_two_threads_never_exceeds_the_window(redis_limiter):
    limiter = redis_limiter()
    grants = []
    grants_lock = threading.Lock()
    failures = []

    def worker():
        try:
            for _ in range(150):
                granted = limiter.acquire()
                with grants_lock:
                    grants.append(granted)
        except Exception as exc:  # surfaced below: an exception in a thread would otherwise vanish
            failures.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(grants) == 300
    assert_within_quota(grants)


def test_redis_limiter_worker_with_a_lagging_clock_cannot_slip_in(redis_limiter, fake_clock):
    on_time = redis_limiter()
    three_seconds_behind = redis_limiter(clock=lambda: fake_clock() - 3.0)

    grants = [limiter.acquire() for _ in range(200) for limiter in (on_time, three_seconds_behind)]

    assert_within_quota(grants)


def test_redis_pause_by_one_worker_holds_back_another(redis_limiter, fake_clock):
    start = fake_clock()

    redis_limiter().pause(10)

    assert redis_limiter().acquire() >= start + 10


def test_redis_shorter_pause_does_not_cut_a_longer_one(redis_limiter, fake_clock):
    limiter = redis_limiter()
    start = fake_clock()

    limiter.pause(10)
    limiter.pause(3)

    assert limiter.acquire() >= start + 10


def test_redis_keys_expire_on_their_own(redis_limiter, redis_client, redis_key):
    limiter = redis_limiter()

    limiter.acquire()
    limiter.pause(10)

    assert 0 < redis_client.pttl(f"{redis_key}:grants") <= 6000
    assert 10_000 < redis_client.pttl(f"{redis_key}:paused_until") <= 11_000
