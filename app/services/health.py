import logging

from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db
from app.queue import redis_connection

log = logging.getLogger(__name__)


def check_dependencies() -> dict[str, str]:
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except SQLAlchemyError as error:
        db.session.rollback()
        log.error("Readiness: database down: %s", error)
        checks["database"] = "down"
    client = redis_connection()
    if client is not None:
        try:
            client.ping()
            checks["redis"] = "ok"
        except RedisError as error:
            log.error("Readiness: redis down: %s", error)
            checks["redis"] = "down"
    return checks
