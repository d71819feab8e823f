"""One log line per request, with a request id that is also returned as X-Request-ID."""
import logging
import re
import time
import uuid

from flask import g, has_request_context, request

log = logging.getLogger("listify.request")

# Accept an upstream id (nginx's $request_id) only if it is short and harmless in a log line.
VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# What must not reach a log line raw: C0 and C1 controls and DEL (a newline forges a line, ESC drives terminals),
# the Unicode line and paragraph separators, and lone surrogates (the stream cannot encode them).
_UNSAFE_IN_LOG = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match):
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def log_safe(text) -> str:
    """`text` for one log line: unsafe characters written as Python escapes (`\\x0a`), everything else as is."""
    text = str(text)
    return _UNSAFE_IN_LOG.sub(_escape, text) if _UNSAFE_IN_LOG.search(text) else text


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class DevelopmentServerAccessLineFilter(logging.Filter):
    """Drops the development server's own line per request (werkzeug's `log_request`): the request is logged once,
    by us, with its id. The server's other lines (its address, a malformed request's error) stay."""

    def filter(self, record):
        return not (isinstance(record.msg, str) and record.msg.endswith('] "%s" %s %s')
                    and isinstance(record.args, tuple) and len(record.args) == 3)


def configure_logging(app):
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, DevelopmentServerAccessLineFilter) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(DevelopmentServerAccessLineFilter())
    root = logging.getLogger()
    if not any(isinstance(f, RequestIdFilter) for h in root.handlers for f in h.filters):
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])


def register_request_logging(app):
    @app.before_request
    def start_request():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def finish_request(response):
        request_id = g.get("request_id") or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        duration_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        log.info(
            "%s %s %s %.1fms request_id=%s remote=%s",
            log_safe(request.method), log_safe(request.path), response.status_code, duration_ms, request_id,
            log_safe(request.remote_addr),
        )
        return response
