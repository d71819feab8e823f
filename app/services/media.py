"""The storage backend of this app, built once from its configuration, and the URLs clients get for its files."""
from urllib.parse import urljoin

from flask import current_app, has_request_context, request

from app import clock
from app.services.storage import Storage, build_storage


def get_storage() -> Storage:
    storage = current_app.extensions.get("listify_storage")
    if storage is None:
        storage = build_storage(current_app.config)
        current_app.extensions["listify_storage"] = storage
    return storage


def url_window() -> int:
    """Seconds of one URL window: half of MEDIA_URL_TTL."""
    return max(current_app.config["MEDIA_URL_TTL"] // 2, 1)


def media_url(key: str) -> str:
    """The absolute URL of a stored file, the same for every read within a window of half MEDIA_URL_TTL, so that
    clients can cache the file; issued as of the window's start, it is valid for at least half its TTL from now.

    A local file's URL is joined to the address the request came to (ProxyFix makes that the public one behind
    TRUSTED_PROXIES), as url_for(_external=True) would; outside a request it stays relative."""
    window = url_window()
    issued_at = int(clock.timestamp()) // window * window
    url = get_storage().url(key, current_app.config["MEDIA_URL_TTL"], issued_at=issued_at)
    if url.startswith("/") and has_request_context():
        url = urljoin(request.host_url, url)
    return url
