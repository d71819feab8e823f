"""Liveness and readiness probes."""
from marshmallow import Schema, fields

from app.blueprints.base import Blueprint
from app.errors import ServiceUnavailable
from app.services.health import check_dependencies

blp = Blueprint("health", __name__, description="Liveness and readiness probes.", rate_limited=False)


class StatusSchema(Schema):
    status = fields.String()
    checks = fields.Dict(keys=fields.String(), values=fields.String())


@blp.route("/up")
@blp.response(200, StatusSchema)
def up():
    """Liveness: the process answers."""
    return {"status": "ok"}


@blp.route("/ready")
@blp.response(200, StatusSchema)
@blp.alt_response(503, description="The database or Redis is down.")
def ready():
    """Readiness: the database and (if configured) Redis answer."""
    checks = check_dependencies()
    down = [name for name, state in checks.items() if state != "ok"]
    if down:
        raise ServiceUnavailable(f"Unavailable: {', '.join(down)}.")
    return {"status": "ok", "checks": checks}
