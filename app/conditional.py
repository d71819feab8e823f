"""ETag and If-None-Match on every JSON `GET 200`: the body's hash as a strong validator, `304` when it matches.

The validator is the hash of the bytes the response already holds (computed once, no second dump and no
query). A `304` therefore still runs the read; what it saves is the body on the wire and the client's parse.
Validators kept by the server (a catalogue version, `updated_at`/`version` columns) are the next step, for reads
where even the query should be skipped (issue 14, docs/performance.md).
"""
from flask import request


def register_etags(app):
    @app.after_request
    def etag_on_json_reads(response):
        if (request.method not in ("GET", "HEAD") or response.status_code != 200 or response.is_streamed
                or response.mimetype != "application/json" or "ETag" in response.headers):
            return response
        response.add_etag()  # werkzeug: a hash of the body
        # If-None-Match with this ETag (or `*`) turns it into a 304 without a body (werkzeug, RFC 9110 §13.1.2).
        return response.make_conditional(request)
