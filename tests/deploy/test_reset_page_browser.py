"""The password-reset page in a real browser: Debian's headless Chromium, driven by chromedriver (selenium), opens
the link of a reset mail caught by a real SMTP server, fills the form and sends it to the test server, under the
page's own Content-Security-Policy. The browser may reach nothing but the test server."""
import os
import re

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.deploy.servers import CHROMEDRIVER, CHROMIUM, CHROMIUM_FLAGS

pytestmark = pytest.mark.skipif(not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)),
                                reason=f"needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER})")

OLD_PASSWORD = "old-password-1"
NEW_PASSWORD = "new-password-2"
WAIT = 20  # seconds for the page to show the answer


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in [*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given: selenium's own driver manager (which would download one) never runs.
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def alice(make_user):
    return make_user(username="alice", email="alice@example.com", password=OLD_PASSWORD)


@pytest.fixture
def reset_link(app, client, alice, served_app, smtp_server, drain_jobs, monkeypatch):
    """Ask for a reset of alice's password; the link of the mail she gets, pointing at the test server."""
    monkeypatch.setitem(app.config, "PASSWORD_RESET_URL", f"{served_app}/reset-password?token={{token}}")

    def request():
        assert client.post("/api/v1/auth/password", json={"email": alice.email}).status_code == 202
        drain_jobs()
        [(_, _, message)] = smtp_server.messages[-1:]
        return re.search(r"or open (\S+)", message.get_content()).group(1)

    return request


def fill_and_send(browser, url, password=NEW_PASSWORD, confirm=NEW_PASSWORD):
    browser.get(url)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "confirm").send_keys(confirm)
    browser.find_element(By.ID, "submit").click()


def shown(browser, element_id):
    """The text of the element once the page shows it (an error list once it has an entry)."""
    element = browser.find_element(By.ID, element_id)
    WebDriverWait(browser, WAIT).until(lambda _: element.is_displayed() and element.text.strip())
    return element.text


def logs_in(client, password):
    response = client.post("/api/v1/auth/login", json={"email": "alice@example.com", "password": password})
    assert response.status_code in (200, 401), response.get_json()
    return response.status_code == 200


def csp_violations(browser):
    return [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


def test_the_mail_link_opens_a_page_that_sets_the_new_password(browser, client, reset_link):
    link = reset_link()
    fill_and_send(browser, link)
    assert "log in again with the new password" in shown(browser, "done")
    assert logs_in(client, NEW_PASSWORD)
    assert not logs_in(client, OLD_PASSWORD)
    assert csp_violations(browser) == []


def test_the_page_takes_the_token_off_the_address_bar(browser, served_app, reset_link):
    browser.get(reset_link())
    assert browser.current_url == f"{served_app}/reset-password"


@pytest.mark.parametrize("token", ["expired", "not-a-reset-token"])
def test_a_bad_or_expired_token_shows_the_servers_error(browser, client, clock, reset_link, token):
    link = reset_link()
    if token == "expired":
        clock.advance(hours=6, seconds=1)
    else:
        link = re.sub(r"token=[^&#]+", f"token={token}", link)
    fill_and_send(browser, link)
    assert "This reset token is invalid, used or expired." in shown(browser, "errors")
    assert not logs_in(client, NEW_PASSWORD)
    assert logs_in(client, OLD_PASSWORD)


def test_passwords_that_differ_are_refused_before_anything_is_sent(browser, client, reset_link):
    fill_and_send(browser, reset_link(), confirm="another-password-3")
    assert "The two passwords differ." in shown(browser, "errors")
    assert logs_in(client, OLD_PASSWORD)


def test_a_link_without_a_token_says_so_and_shows_no_form(browser, served_app):
    browser.get(f"{served_app}/reset-password")
    assert "carries no reset token" in shown(browser, "no-token")
    assert not browser.find_element(By.ID, "reset-form").is_displayed()
