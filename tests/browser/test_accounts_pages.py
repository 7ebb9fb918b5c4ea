"""Accounts in headless Chromium: an administrator makes a role and a user; the user's first login."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from poser_web.models import Role, User
from tests.browser.conftest import VIEWPORT
from tests.browser.support import log_in, remove_user

USERNAME = "browser-carol"
ROLE = "Browser Clerk"


@pytest.fixture
def cleanup(engine):
    """The user and role this test commits go afterwards (other tests expect none)."""
    yield
    remove_user(engine, USERNAME)
    with Session(engine) as session, session.begin():
        session.execute(delete(Role).where(Role.name == ROLE))


def follow(locator):
    with locator.page.expect_navigation():
        locator.click()


def test_create_a_role_and_a_user_who_then_sets_their_password(page, browser, live_server,
                                                                 engine, cleanup):
    page.goto("/roles/new")
    page.get_by_label("Name").fill(ROLE)
    widgets = page.get_by_role("group", name="Widgets")
    widgets.get_by_label("List widgets (widgets.list)").check()
    widgets.get_by_label("View widgets (widgets.view)").check()
    follow(page.get_by_role("button", name="Save"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Role: {ROLE}")
    expect(page.get_by_text("List widgets (widgets.list)")).to_be_visible()

    page.goto("/users/new")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_role("group", name="Roles").get_by_label(ROLE).check()
    follow(page.get_by_role("button", name="Save"))
    password = page.locator("#temporary-password").inner_text().strip()
    assert len(password) >= 12
    follow(page.get_by_role("link", name=f"Done: see {USERNAME}"))
    expect(page.locator("#history")).to_contain_text(f"Created user {USERNAME} with role {ROLE}")

    with Session(engine) as session:
        user = session.scalars(select(User).where(User.username == USERNAME)).one()
        assert user.must_change_password and [r.name for r in user.roles] == [ROLE]

    context = browser.new_context(viewport=VIEWPORT, base_url=live_server)
    try:
        carol = context.new_page()
        log_in(carol, USERNAME, password)
        assert carol.url.endswith("/password")
        carol.get_by_label("Current password").fill(password)
        carol.get_by_label("New password", exact=True).fill("carol's own password")
        carol.get_by_label("New password again").fill("carol's own password")
        follow(carol.get_by_role("button", name="Change password"))
        carol.goto("/widgets")
        expect(carol.get_by_role("heading", level=1)).to_have_text("Widgets")
        assert carol.goto("/users").status == 403
    finally:
        context.close()
