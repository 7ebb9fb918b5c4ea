"""The navbar is built once per permission set and page and kept (views/navbar.py): what
one user's navbar shows must never leak into another's."""
import webtest

from tests.helpers import add_user, log_in


def _client(testapp):
    return webtest.TestApp(testapp.app, extra_environ=dict(testapp.extra_environ))


def _navbar(page):
    nav = page.html.select_one('nav[aria-label="Main"]')
    return ([a.get_text(strip=True) for a in nav.select(".nav-link, .dropdown-item")],
            nav.select_one(".poser-account").get_text(" ", strip=True),
            nav.select_one('form input[name="csrf_token"]')["value"])


def test_each_user_sees_their_own_menu_name_and_token(testapp, dbsession):
    add_user(dbsession, "specimens-only", permissions=("specimens.list",))
    add_user(dbsession, "also-specimens", permissions=("specimens.list",))
    add_user(dbsession, "widgets-only", permissions=("widgets.list",))
    limited, other, third = _client(testapp), _client(testapp), _client(testapp)
    log_in(limited, "specimens-only")
    log_in(other, "also-specimens")
    log_in(third, "widgets-only")

    admin_menu, admin_name, admin_token = _navbar(testapp.get("/"))
    menu, name, token = _navbar(limited.get("/"))
    same_menu, other_name, other_token = _navbar(other.get("/"))  # the kept navbar, filled in

    assert "Widgets" in admin_menu and "Specimens" in admin_menu
    assert menu == same_menu == ["Specimens"]
    assert _navbar(third.get("/"))[0] == ["Widgets"]  # another permission set, not admin either
    assert (admin_name, name, other_name) == ("Account: admin", "Account: specimens-only",
                                              "Account: also-specimens")
    assert len({admin_token, token, other_token}) == 3
    # The token in the kept navbar is the session's own: logging out with it works.
    limited.post("/logout", {"csrf_token": token}, status=303)
    assert "/login" in limited.get("/").location
    assert _navbar(testapp.get("/"))[:2] == (admin_menu, admin_name)  # unchanged by the others


def test_the_current_page_is_marked_per_page(testapp):
    def current(page):
        return [a.get_text(strip=True)
                for a in page.html.select('nav[aria-label="Main"] [aria-current="page"]')]

    assert current(testapp.get("/widgets")) == ["Widgets"]
    assert current(testapp.get("/specimens")) == ["Specimens"]
    assert current(testapp.get("/widgets")) == ["Widgets"]  # kept per page, not shared
    assert current(testapp.get("/password")) == ["Account:admin"]
