"""Every blueprint, registered once. Add a module's `blp` to BLUEPRINTS."""
from importlib import import_module

BLUEPRINTS = [
    "app.blueprints.index",
    "app.blueprints.health",
    "app.blueprints.v1.auth",
    "app.blueprints.v1.users",
    "app.blueprints.v2.refresh_tokens",
    "app.blueprints.v1.follows",
    "app.blueprints.v2.relationships",
    "app.blueprints.v1.feed",
    "app.blueprints.v2.feed",
    "app.blueprints.v1.notifications",
    "app.blueprints.v2.sync",
    "app.blueprints.v1.profile_pictures",
    "app.blueprints.v1.exports",
    "app.blueprints.media",
    "app.blueprints.v1.songs",
    "app.blueprints.v2.catalogue",
    "app.blueprints.v1.reviews",
    "app.blueprints.v1.likes",
    "app.blueprints.v1.comments",
    "app.blueprints.v1.collections",
]


def register_all(app, api, limiter):
    for module_name in BLUEPRINTS:
        blueprint = import_module(module_name).blp
        api.register_blueprint(blueprint)
    from app.blueprints import docs_assets, reset_password_page

    # Pages and their files, outside the OpenAPI document.
    for pages in (docs_assets.blp, reset_password_page.blp):
        app.register_blueprint(pages)
        limiter.exempt(pages)
    # The index, the probes and the API's own documentation are not rate limited.
    limiter.exempt(app.blueprints["index"])
    limiter.exempt(app.blueprints["health"])
    limiter.exempt(app.blueprints["api-docs"])
