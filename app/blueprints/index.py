"""The API's front door: GET / names the documentation and the base URL of each version."""
from flask import current_app, request, url_for

from app.blueprints.base import Blueprint
from app.schemas.index import IndexSchema

blp = Blueprint("index", __name__, description="Where to start.", rate_limited=False)

VERSIONS = ("v1", "v2")


@blp.route("/")
@blp.response(200, IndexSchema)
def index():
    """Where to start: the API's documentation, its OpenAPI document and its versions, as absolute URLs."""
    return {
        "name": current_app.config["API_TITLE"],
        "docs": url_for("api-docs.openapi_swagger_ui", _external=True),
        "openapi": url_for("api-docs.openapi_json", _external=True),
        "versions": [f"{request.url_root}api/{version}" for version in VERSIONS],
    }
