"""Extension objects, created once and bound to the app in create_app. Imports nothing from app but the
session class (app.database), which imports nothing from app either."""
from apispec import BasePlugin
from flask_cors import CORS
from flask_jwt_extended import JWTManager
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.database import Session

# Deterministic constraint names, so Alembic can drop and alter them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
jwt = JWTManager()  # mints access tokens; app.access_tokens verifies them
cors = CORS()
limiter = Limiter(key_func=get_remote_address)


class SchemaRulesPlugin(BasePlugin):
    def schema_helper(self, name, definition, schema=None, **kwargs):
        """A schema's `Meta.json_schema` adds what fields alone cannot say (a rule across fields, such as
        "exactly one of these"), so /openapi.json states the rules that its schema validators enforce.
        (Runs after the marshmallow plugin, whose output it extends.)"""
        return getattr(getattr(schema, "Meta", None), "json_schema", None)


IF_MATCH_PARAMETER = {
    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "The collection's ETag (from `GET /api/v1/collections/{id}`): the change is made only while "
                   "the collection is still at that version, else `412` and nothing changes. `*`, or no header: "
                   "no precondition.",
}


class ConditionalReadsPlugin(BasePlugin):
    """Every JSON read answers ETag and If-None-Match, and the writes that answer 412 take If-Match
    (app/blueprints/conditional.py): say so on each of those operations."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for operation in (operations or {}).values():
            if any(str(code) == "412" for code in operation.get("responses", {})):
                operation.setdefault("parameters", []).append(IF_MATCH_PARAMETER)
        read = (operations or {}).get("get")
        responses = (read or {}).get("responses", {})
        status = next((code for code in (200, "200") if code in responses), None)  # apispec keys are not yet str
        if status is None:
            return
        read.setdefault("parameters", []).append({
            "name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"},
            "description": "An ETag of an earlier answer (or `*`): `304` without a body while it is current.",
        })
        ok = responses[status]
        if isinstance(ok, dict):
            ok.setdefault("headers", {})["ETag"] = {
                "description": "Validator of this body, for If-None-Match.", "schema": {"type": "string"},
            }
        responses.setdefault(304, {"description": "Not modified: the If-None-Match ETag is current."})


api = Api(spec_kwargs={"extra_plugins": [SchemaRulesPlugin(), ConditionalReadsPlugin()]})
