"""Errors that every operation of a path can answer (404 for a path id, 429 where rate limited) are
documented on each operation, in the error shape, unless the operation describes them itself."""
import re

import pytest
from flask import Flask
from flask.views import MethodView
from flask_smorest import Api

from app.blueprints.base import Blueprint
from app.blueprints.converters import register_converters
from app.schemas.common import ErrorSchema

ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
ID_OUT_OF_RANGE = "No such resource (or an id out of range)."
RATE_LIMITED = "Rate limited: retry after `Retry-After` seconds."
PROBES = {"/", "/up", "/ready"}  # not rate limited: the index and the probes


def openapi_path(rule):
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


def operations(paths):
    for path, path_item in paths.items():
        for method, operation in path_item.items():
            if method != "parameters":
                yield path, method, operation


def error_schema(operation, status):
    return operation["responses"][status]["content"]["application/json"]["schema"]


def test_every_path_id_documents_404_and_every_rate_limited_operation_429(app, client):
    paths = client.get("/openapi.json").get_json()["paths"]
    id_paths = {openapi_path(rule.rule) for rule in app.url_map.iter_rules() if "<id:" in rule.rule}
    assert id_paths and id_paths <= set(paths)
    assert PROBES <= set(paths)
    for path, method, operation in operations(paths):
        responses = operation["responses"]
        if path in id_paths:
            assert "404" in responses, (method, path)
            assert error_schema(operation, "404") == ERROR_SCHEMA, (method, path)
        if path in PROBES:
            assert "429" not in responses, (method, path)
        else:
            assert "429" in responses, (method, path)
            assert error_schema(operation, "429") == ERROR_SCHEMA, (method, path)


@pytest.fixture
def small_spec():
    """A document of a few routes, so that each case of the rule is present whatever the API's routes say."""
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="1", OPENAPI_VERSION="3.0.3")
    api = Api()
    api.ERROR_SCHEMA = ErrorSchema
    api.init_app(app)
    register_converters(app, api)
    things = Blueprint("things", __name__)
    probes = Blueprint("probes", __name__, rate_limited=False)

    @things.route("/things/<id:thing_id>")
    class Thing(MethodView):
        @things.response(200)
        @things.alt_response(404, description="No such thing.")
        @things.alt_response(429, description="Too many things.")
        def get(self, thing_id):
            return {}

        @things.response(204)
        def delete(self, thing_id):
            return ""

    # The same class on a rule without an id: its registration above added no 404 to it.
    things.add_url_rule("/things", "things", Thing)

    @things.route("/thing_names/<name>")
    def thing_name(name):
        return {}

    @probes.route("/probe")
    def probe():
        return {}

    api.register_blueprint(things)
    api.register_blueprint(probes)
    return api.spec.to_dict()["paths"]


def test_an_operation_that_documents_the_status_keeps_its_own_description(small_spec):
    get = small_spec["/things/{thing_id}"]["get"]["responses"]
    assert (get["404"]["description"], get["429"]["description"]) == ("No such thing.", "Too many things.")
    assert get["404"]["content"]["application/json"]["schema"] == ERROR_SCHEMA


def test_shared_errors_are_added_to_the_operations_that_do_not_document_them(small_spec):
    delete = small_spec["/things/{thing_id}"]["delete"]["responses"]
    assert (delete["404"]["description"], delete["429"]["description"]) == (ID_OUT_OF_RANGE, RATE_LIMITED)
    assert delete["404"]["content"]["application/json"]["schema"] == ERROR_SCHEMA
    assert delete["429"]["content"]["application/json"]["schema"] == ERROR_SCHEMA


def test_404_only_where_the_path_has_an_id(small_spec):
    assert "404" not in small_spec["/things"]["delete"]["responses"]
    assert small_spec["/things"]["get"]["responses"]["404"]["description"] == "No such thing."
    assert "404" not in small_spec["/thing_names/{name}"]["get"]["responses"]
    assert small_spec["/thing_names/{name}"]["get"]["responses"]["429"]["description"] == RATE_LIMITED


def test_no_429_where_the_blueprint_is_not_rate_limited(small_spec):
    assert "429" not in small_spec["/probe"]["get"]["responses"]
