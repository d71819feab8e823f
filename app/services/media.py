"""The storage backend of this app, built once from its configuration."""
from flask import current_app

from app.services.storage import Storage, build_storage


def get_storage() -> Storage:
    storage = current_app.extensions.get("listify_storage")
    if storage is None:
        storage = build_storage(current_app.config)
        current_app.extensions["listify_storage"] = storage
    return storage
