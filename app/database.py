"""How requests use database connections: fewer round trips per request, same guarantees.

- Read-only requests (GET, HEAD, OPTIONS) on PostgreSQL run their statements in autocommit: no BEGIN before the
  first statement and no ROLLBACK after the last, two round trips of the five a one-query request used to make.
  Reads see exactly what they saw before: PostgreSQL's READ COMMITTED takes a new snapshot per statement inside
  a transaction too. Handlers of these methods never write: on every engine, a statement that writes during
  one fails (`WriteInReadOnlyRequest`, a 500) instead of being committed at once on PostgreSQL or silently
  rolled back on SQLite (`Session` below says where the check sits, and why).
- A pooled connection is checked for life at checkout without a round trip: a connection whose server went
  away (restart, failover, a proxy or firewall resetting it) has something to read on its socket (the server's
  termination notice or the end of the stream), while a healthy idle one has nothing. This replaces
  `pool_pre_ping`, which spends a `SELECT 1` round trip on every checkout. A connection that died without a
  trace (a silent network partition) fails its first statement instead; SQLAlchemy then discards every pooled
  connection of that generation, so each process answers at most one request with a 503.
"""
import select
import weakref

from flask import request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import event, exc
from sqlalchemy.pool import Pool
from sqlalchemy.schema import ExecutableDDLElement
from sqlalchemy.sql.elements import TextClause

READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY = "listify_read_only_request"  # the key in Session.info that marks a read-only request's session
WRITE_STATEMENTS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE"})


class WriteInReadOnlyRequest(RuntimeError):
    """A GET, HEAD or OPTIONS handler sent a statement that writes."""


# One autocommit variant per PostgreSQL engine (it shares the engine's pool; its connections are reset at checkin).
_read_only_engines: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def read_only_engine(engine):
    """The engine read-only requests use: the autocommit variant on PostgreSQL; the engine itself on SQLite,
    which runs in-process, where BEGIN and ROLLBACK cost no round trip."""
    if engine.dialect.name != "postgresql":
        return engine
    variant = _read_only_engines.get(engine)
    if variant is None:
        variant = _read_only_engines[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return variant


class Session(FlaskSession):
    """Flask-SQLAlchemy's session; during a read-only request, on the read-only engine and refusing writes.

    The guard sits here, not in an engine event: a `before_cursor_execute` listener makes SQLAlchemy take its
    evented path for every statement (about 8 µs each, 2 % of a GET's CPU in-process), while these checks cost
    0.25 µs per statement of a read-only request and a dictionary lookup otherwise. Everything the app sends
    goes through the session: its statements pass `execute`, `scalar` or `scalars`, the ORM's writes a flush.
    """

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):
        engine = super().get_bind(mapper, clause, bind, **kwargs)
        if bind is None and self.info.get(READ_ONLY):
            return read_only_engine(engine)
        return engine

    def execute(self, statement, *args, **kwargs):
        if self.info.get(READ_ONLY):
            _refuse_writes(statement)
        return super().execute(statement, *args, **kwargs)

    def scalar(self, statement, *args, **kwargs):
        if self.info.get(READ_ONLY):
            _refuse_writes(statement)
        return super().scalar(statement, *args, **kwargs)

    def scalars(self, statement, *args, **kwargs):
        if self.info.get(READ_ONLY):
            _refuse_writes(statement)
        return super().scalars(statement, *args, **kwargs)


def register_read_only_requests(app, db):
    @app.before_request
    def mark_read_only_requests():
        # The request's own session (its app context's), closed by that context's teardown.
        if request.method in READ_ONLY_METHODS:
            db.session.info[READ_ONLY] = True


@event.listens_for(Session, "before_flush")
def _refuse_flushes(session, flush_context, instances):
    if session.info.get(READ_ONLY):
        raise WriteInReadOnlyRequest(f"{request.method} {request.path} flushed changes to the database")


def _refuse_writes(statement):
    if isinstance(statement, TextClause):
        words = statement.text[:24].split(None, 1)  # its first word
        writes = bool(words) and words[0].upper() in WRITE_STATEMENTS
    else:
        writes = statement.is_dml or isinstance(statement, ExecutableDDLElement)
    if writes:
        raise WriteInReadOnlyRequest(f"{request.method} {request.path} sent a statement that writes: {statement}"[:200])


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
