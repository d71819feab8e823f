"""/docs in a real browser: Debian's headless Chromium renders Swagger UI from the app's own assets
(no CDN) and lists the API's operations. The browser may reach nothing but the test server."""
import os
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}")


@pytest.fixture
def served_app(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def rendered_dom(url, profile_dir):
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
        "--no-first-run", "--no-default-browser-check", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-domain-reliability",
        "--no-pings", "--metrics-recording-only",
        # Every host name but the loopback address fails to resolve: nothing leaves the machine.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile_dir}", "--virtual-time-budget=15000", "--dump-dom", url,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_docs_page_renders_the_operations_in_a_browser(served_app, tmp_path):
    dom = rendered_dom(f"{served_app}/docs", tmp_path / "chromium-profile")
    assert 'class="swagger-ui' in dom
    assert dom.count("opblock ") >= 10
    assert "/api/v1/auth/login" in dom
    assert "/api/v1/users/me" in dom
    assert "Listify API" in dom
