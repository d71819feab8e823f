"""Fixtures of the fault tests (the scale-out tests use them too): a private redis-server, a cuttable proxy in
front of PostgreSQL, a scripted fake Deezer, gunicorn and RQ worker subprocesses. Each is torn down by its
fixture, whatever the test did."""
import pytest
from sqlalchemy.engine import make_url

from tests.deploy.servers import start_gunicorn
from tests.faults.servers import PrivateRedis, ScriptedDeezer, TcpProxy, children_of, kill, start_worker


@pytest.fixture
def private_redis(tmp_path):
    """A redis-server of this test's own (not the machine's): stop() it, start() it again on the same port."""
    server = PrivateRedis(tmp_path / "redis.log").start()
    yield server
    server.stop()


@pytest.fixture
def pg_proxy(app_config):
    """A TCP proxy in front of the session's PostgreSQL; `.database_url` goes through it."""
    url = make_url(app_config.SQLALCHEMY_DATABASE_URI)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.database_url = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    yield proxy
    proxy.close()


@pytest.fixture
def fake_deezer():
    """fake_deezer({"query": tracks, ...}, page_size=10) -> a running ScriptedDeezer, shut down after the test."""
    started = []

    def start(searches, page_size=10):
        deezer = ScriptedDeezer(searches, page_size).__enter__()
        started.append(deezer)
        return deezer

    yield start
    for deezer in started:
        deezer.__exit__(None, None, None)


@pytest.fixture
def gunicorn(app, tmp_path):
    """gunicorn(**env) -> a ready gunicorn on a free loopback port (this session's database and Redis unless
    the environment given says otherwise); all of them stopped after the test."""
    servers = []

    def start(**env_overrides):
        server = start_gunicorn(app, tmp_path, **env_overrides)
        servers.append(server)
        return server.wait_ready()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def rq_worker(tmp_path):
    """rq_worker(env, *args) -> a `flask --app wsgi worker` subprocess; after the test it is killed with its
    work horse (which RQ puts in a process group of its own)."""
    workers = []

    def start(env, *args):
        worker = start_worker(env, tmp_path / f"worker-{len(workers)}.log", *args)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        horses = children_of(worker.process.pid)
        worker.stop()
        for pid in horses:
            kill(pid)
