"""`flask --app wsgi sync ...`: an ingestion in the foreground."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Song, SyncJob
from tests.fakes.deezer_server import NoWaitLimiter, recorded, sample_routes

BASE_URL = "http://127.0.0.1:9"


@pytest.fixture
def run(app, monkeypatch, requests_mock):
    monkeypatch.setitem(app.config, "REDIS_URL", None)
    monkeypatch.setitem(app.config, "DEEZER_API_URL", BASE_URL)
    monkeypatch.setitem(app.extensions, "listify_deezer_limiter", NoWaitLimiter())
    for path, body in sample_routes().items():
        requests_mock.get(BASE_URL + path, json=body)
    return lambda *args: app.test_cli_runner().invoke(args=["sync", *args])


def test_sync_command_ingests_and_prints_the_counts(run):
    result = run("--album-id", "302127", "--limit", "500")

    assert result.exit_code == 0, result.output
    assert "Finished: 2 pages, 14 tracks seen, 14 songs created, 0 updated." in result.output
    assert db.session.scalar(select(func.count()).select_from(Song)) == 14
    assert db.session.scalars(select(SyncJob.status)).all() == ["finished"]


def test_sync_command_failure_exits_non_zero_with_the_error(run, requests_mock):
    requests_mock.get(BASE_URL + "/artist/1", json=recorded("error_artist_not_found.json"))

    result = run("--artist-id", "1")

    assert result.exit_code == 1
    assert "artist 1 not found" in result.output
    assert db.session.scalars(select(SyncJob.status)).all() == ["failed"]


@pytest.mark.parametrize("args", [[], ["--chart", "--query", "x"], ["--query", "  "], ["--chart", "--limit", "0"]])
def test_sync_command_needs_exactly_one_valid_source(run, args):
    result = run(*args)

    assert result.exit_code == 2
    assert db.session.scalar(select(func.count()).select_from(SyncJob)) == 0
