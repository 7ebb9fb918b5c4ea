"""Browser fixtures: a live server over the run's database, Debian's Chromium, a page per test.

The app commits for real here, so every browser test empties the tables
afterwards (components, widgets, their history...), and the administrator
the browser logs in as lives only while this package's tests run: the other
tests run in rolled-back transactions and expect empty tables. A page fails its test on any
JavaScript error (a Content-Security-Policy violation included).
"""
import pytest
from playwright.sync_api import sync_playwright

from tests.browser.support import (
    ChromiumMissing,
    LiveServer,
    add_admin,
    empty_tables,
    launch_chromium,
    log_in,
    remove_user,
    seed_widgets,
)

VIEWPORT = {"width": 1280, "height": 900}
# Playwright waits this long for an element or a navigation before failing.
TIMEOUT_MS = 10_000

_browser_problems = pytest.StashKey[list]()


# Package scope: the server, the browser and the logged-in user go away as
# soon as the last browser test has run, before any other test module.


@pytest.fixture(scope="package")
def live_server(app_settings):
    """Base URL of the app (the run's migrated database, the tests' settings) under waitress."""
    with LiveServer(app_settings) as server:
        yield server.url


@pytest.fixture(scope="package")
def browser():
    with sync_playwright() as playwright:
        try:
            browser = launch_chromium(playwright)
        except ChromiumMissing as error:
            pytest.fail(str(error), pytrace=False)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _empty_tables_around_test(engine):
    """Each browser test starts and ends with no widgets, components or history committed."""
    empty_tables(engine)
    yield
    empty_tables(engine)


@pytest.fixture(scope="package")
def logged_in(browser, live_server, engine):
    """Cookies of an administrator's session, logged in once through the login form."""
    remove_user(engine)  # left over from an interrupted run
    add_admin(engine)
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server)
    try:
        page = context.new_page()
        log_in(page)
        state = context.storage_state()
    finally:
        context.close()
    yield state
    remove_user(engine)


@pytest.fixture
def page(request, browser, live_server, logged_in):
    """A fresh context (logged in as an administrator) and page at 1280x900; JS errors fail the test."""
    context = browser.new_context(viewport=VIEWPORT, base_url=live_server, storage_state=logged_in)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems = []
    request.node.stash[_browser_problems] = problems

    def on_console(message):
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        # A failed load is reported again by on_response, with what it was for.
        if message.text.startswith("Failed to load resource") or _is_favicon(url):
            return
        problems.append(f"console error: {message.text} ({url})")

    def on_response(response):
        # Pages answering 4xx are the tests' business (a form with errors is a
        # 400); a broken script, stylesheet or image is not.
        if response.status >= 400 and response.request.resource_type != "document" \
                and not _is_favicon(response.url):
            problems.append(f"{response.status} for {response.request.resource_type} {response.url}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", on_response)
    yield page
    context.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a test that passed if its page logged a JavaScript error (and show them if it failed)."""
    try:
        result = yield
    finally:
        problems = item.stash.get(_browser_problems, [])
        if problems:
            item.add_report_section("call", "browser", "\n".join(problems))
    if problems:
        pytest.fail("JavaScript errors in the page:\n" + "\n".join(problems), pytrace=False)
    return result


def _is_favicon(url):
    return url.split("?")[0].endswith("/favicon.ico")


@pytest.fixture
def seed(engine):
    """seed([{"description": ..., "components": [(item_code, description), ...]}]) -> uuids (committed)."""
    return lambda widgets: seed_widgets(engine, widgets)
