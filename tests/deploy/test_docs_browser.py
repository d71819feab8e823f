"""/docs in a real browser: Debian's headless Chromium renders Swagger UI from the app's own assets
(no CDN) and lists the API's operations. The browser may reach nothing but the test server."""
import os
import subprocess

import pytest

from tests.deploy.servers import CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian's chromium at {CHROMIUM}")


def rendered_dom(url, profile_dir):
    command = [
        CHROMIUM, *CHROMIUM_FLAGS,
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
