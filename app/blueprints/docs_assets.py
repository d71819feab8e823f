"""Swagger UI's files, served by the app itself so /docs works on a closed network (no CDN)."""
from flask import Blueprint
from swagger_ui_bundle import swagger_ui_path

SWAGGER_UI_URL = "/docs/assets/"

blp = Blueprint("docs_assets", __name__, static_folder=swagger_ui_path, static_url_path="/docs/assets")
