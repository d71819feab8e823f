"""app.queue: a job is queued by its dotted name; without Redis it runs at once in-process, with Redis it is
an RQ job on its queue, with that queue's settings and the failure callback named."""
import logging

import pytest
from rq.job import Job

from app.queue import QUEUES, enqueue, get_queue, redis_connection

CALLS = []


def record(*args, **kwargs):
    CALLS.append((args, kwargs))


def fail():
    raise RuntimeError("the job broke")


def on_failure(job, connection, exc_type, exc_value, traceback):
    pass


@pytest.fixture
def calls():
    CALLS.clear()
    yield CALLS
    CALLS.clear()


@pytest.fixture
def in_process(app, monkeypatch):
    monkeypatch.setitem(app.config, "REDIS_URL", None)


def test_without_redis_the_named_job_runs_at_once(in_process, calls):
    job_id = enqueue("default", "tests.test_queue.record", 1, "a", job_id="job-1", flag=True)

    assert job_id == "job-1"
    assert calls == [((1, "a"), {"flag": True})]


def test_without_redis_a_failing_job_is_logged_not_raised(in_process, caplog):
    with caplog.at_level(logging.ERROR, logger="app.queue"):
        enqueue("default", "tests.test_queue.fail", job_id="job-2")

    [record_] = [r for r in caplog.records if r.name == "app.queue"]
    assert "tests.test_queue.fail" in record_.getMessage() and "job-2" in record_.getMessage()
    assert record_.exc_info[0] is RuntimeError


def test_without_redis_an_unknown_job_name_raises(in_process):
    with pytest.raises(ImportError):
        enqueue("default", "tests.test_queue.no_such_job")


@pytest.mark.redis
def test_with_redis_the_job_is_queued_by_name_with_its_queues_settings(calls):
    job_id = enqueue("ingest", "tests.test_queue.record", 7, job_id="job-3", on_failure="tests.test_queue.on_failure")

    assert calls == []
    assert get_queue("ingest").job_ids == ["job-3"]
    job = Job.fetch(job_id, connection=redis_connection())
    assert (job.func_name, job.args, job.origin) == ("tests.test_queue.record", (7,), "ingest")
    assert (job.timeout, job.failure_ttl) == (QUEUES["ingest"]["job_timeout"], QUEUES["ingest"]["failure_ttl"])
    assert job.failure_callback is on_failure
