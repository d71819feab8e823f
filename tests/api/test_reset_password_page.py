"""The password-reset page (GET /reset-password, where PASSWORD_RESET_URL points): a static page whose URL holds
the token, so it is sent with headers that keep the token in it and run nothing but its own files. Its behaviour
in a browser: tests/deploy/test_reset_page_browser.py."""
import re

import pytest

TOKEN = "tok3n-<script>alert(1)</script>"
PAGE = "/reset-password"


@pytest.fixture
def page(client):
    response = client.get(PAGE, query_string={"token": TOKEN})
    yield response
    response.close()  # a file response: its file is open until then


def test_the_page_is_html_that_is_neither_cached_nor_referred_on(page):
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_the_page_may_run_only_its_own_files_and_talk_only_to_its_origin(page):
    policy = dict(directive.split(" ", 1) for directive in page.headers["Content-Security-Policy"].split("; "))
    assert policy == {
        "default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "connect-src": "'self'",
        "base-uri": "'none'", "form-action": "'none'", "frame-ancestors": "'none'",
    }


def test_nothing_of_the_query_is_put_into_the_page(client, page):
    assert TOKEN.encode() not in page.data and b"tok3n" not in page.data
    without_query = client.get(PAGE)
    assert page.data == without_query.data
    without_query.close()


def test_the_page_has_no_inline_script_or_style_and_its_files_are_served(client, page):
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all("src=" in tag for tag in scripts)
    assert "<style" not in html and not re.search(r"<[^>]*\s(style|on\w+)\s*=", html)
    for path, mimetypes in (("reset-password.js", {"text/javascript", "application/javascript"}),
                            ("reset-password.css", {"text/css"})):
        assert f'"reset-password/assets/{path}"' in html
        asset = client.get(f"/reset-password/assets/{path}")
        assert asset.status_code == 200 and asset.mimetype in mimetypes
        asset.close()


def test_the_page_is_not_an_operation_of_the_openapi_document(client):
    paths = client.get("/openapi.json").get_json()["paths"]
    assert not [path for path in paths if path.startswith(PAGE)]
