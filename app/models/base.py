"""Column types shared by every model."""
from datetime import timezone

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

# 64-bit ids on PostgreSQL; SQLite only auto-increments a column declared exactly INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")

MAX_ID = 2**63 - 1


class UTCDateTime(TypeDecorator):
    """A timestamp that is always timezone-aware UTC in Python, whatever the engine stores.

    SQLite keeps no offset, so values read back are naive; they were written as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        if value is not None and dialect.name == "sqlite":
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
        return value


def conflict_insert(target):
    """INSERT into `target` (a model or table) in the session's dialect, which has `on_conflict_do_nothing` and
    `on_conflict_do_update` on both engines."""
    from sqlalchemy.dialects import postgresql, sqlite

    from app.extensions import db

    return (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)(target)


def insert_or_ignore(model, values: dict, returning=None):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id (or the column `returning`), on either engine: the new
    row's id, or None when a unique constraint says it already exists (so concurrent inserts of the same thing
    make one row)."""
    from app.extensions import db

    return db.session.scalar(conflict_insert(model).values(**values).on_conflict_do_nothing().returning(
        model.id if returning is None else returning))
