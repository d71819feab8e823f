"""The scale-out tests reuse the fault tests' fixtures (fake Deezer, gunicorn and RQ worker subprocesses)."""
from tests.faults.conftest import fake_deezer, gunicorn, rq_worker  # noqa: F401 (fixtures)
