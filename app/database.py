"""How requests use database connections: fewer round trips per request, same guarantees.

- Read-only requests (GET, HEAD, OPTIONS) on PostgreSQL run their statements in autocommit: no BEGIN before the
  first statement and no ROLLBACK after the last, two round trips of the five a one-query request used to make.
  Reads see exactly what they saw before: PostgreSQL's READ COMMITTED takes a new snapshot per statement inside
  a transaction too. Handlers of these methods never write (tests/test_database.py fails any that does).
- A pooled connection is checked for life at checkout without a round trip: a connection whose server went
  away (restart, failover, a proxy or firewall resetting it) has something to read on its socket (the server's
  termination notice or the end of the stream), while a healthy idle one has nothing. This replaces
  `pool_pre_ping`, which spends a `SELECT 1` round trip on every checkout. A connection that died without a
  trace (a silent network partition) fails its first statement instead; SQLAlchemy then discards every pooled
  connection of that generation, so each process answers at most one request with a 503.
"""
import select
import weakref

from flask import g, has_request_context, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.pool import Pool

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# One autocommit variant per engine (it shares the engine's pool; its connections are reset at checkin).
_autocommit_engines: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def autocommit_engine(engine):
    variant = _autocommit_engines.get(engine)
    if variant is None:
        variant = _autocommit_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return variant


class Session(FlaskSession):
    """Flask-SQLAlchemy's session, on the autocommit variant of its engine during a read-only request."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper, clause, bind, **kwargs)
        if bind is None and has_request_context() and g.get("autocommit_reads"):
            return autocommit_engine(engine)
        return engine


def register_read_only_requests(app, db):
    if make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        return  # SQLite runs in-process: BEGIN and ROLLBACK cost no round trip there

    @app.before_request
    def autocommit_reads():
        # A session already inside a transaction (a test holding the app context) keeps it.
        if request.method in READ_ONLY_METHODS and not db.session().in_transaction():
            g.autocommit_reads = True

    @app.teardown_request
    def end_autocommit_reads(error=None):
        if g.pop("autocommit_reads", False):
            # Hands the connection back now (in production the app context's teardown would do it next).
            db.session.rollback()


@event.listens_for(Pool, "checkout")
def _discard_dead_connections(dbapi_connection, connection_record, connection_proxy):
    """Refuse a psycopg connection that the server has closed, so the pool hands out a fresh one."""
    pgconn = getattr(dbapi_connection, "pgconn", None)
    if pgconn is None:
        return  # not psycopg (SQLite): nothing to check
    if dbapi_connection.closed:
        raise exc.DisconnectionError("connection closed")
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    if poller.poll(0):
        raise exc.DisconnectionError("the server closed the connection while it was idle in the pool")
