"""API tokens: made on the user's page (shown once, kept hashed), sent as Bearer, revoked;
wrong ones are throttled like logins; an inactive user's open nothing."""
import hashlib

import webtest
from sqlalchemy import select

from poser_web.models import ApiToken, Change, User
from tests.helpers import add_user, add_widget, log_in


def make_token(testapp, user, name="script"):
    page = testapp.get(f"/users/{user.uuid}")
    form = page.html.find("form", action=lambda a: a and a.endswith("/tokens"))
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    shown = testapp.post(f"/users/{user.uuid}/tokens", {"csrf_token": token, "name": name},
                         status=201)
    return shown.html.find(id="api-token").get_text()


def bearer(app, token, url="/api/widgets", status=200, client="192.0.2.50"):
    """A request carrying only the token: no cookie, no session."""
    fresh = webtest.TestApp(app.app, extra_environ={**app.extra_environ, "REMOTE_ADDR": client})
    fresh.cookiejar.clear()
    return fresh.get(url, headers={"Authorization": f"Bearer {token}"}, status=status)


def test_a_token_is_shown_once_kept_hashed_and_acts_as_its_user(testapp, dbsession):
    add_widget(dbsession, "Visible")
    bob = add_user(dbsession, "bob", permissions=("widgets.list",))
    token = make_token(testapp, bob, "nightly export")
    assert token.startswith("poser_") and len(token) > 40
    [row] = dbsession.scalars(select(ApiToken).where(ApiToken.user_uuid == bob.uuid))
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    page = testapp.get(f"/users/{bob.uuid}")
    listed = page.html.find(id="api-tokens").get_text()
    assert row.prefix in listed and "nightly export" in listed and token not in page.text
    listing = bearer(testapp, token)
    assert [item["description"] for item in listing.json["items"]] == ["Visible"]
    assert "Set-Cookie" not in listing.headers  # no session for a token request
    bearer(testapp, token, "/api/specimens", status=403)  # bob's permissions, no more
    history = dbsession.scalars(select(Change.summary).where(Change.entity_uuid == bob.uuid)).all()
    assert any("Created API token" in s and "nightly export" in s for s in history)


def test_a_revoked_token_opens_nothing(testapp, dbsession):
    bob = add_user(dbsession, "bob", permissions=("widgets.list",))
    token = make_token(testapp, bob)
    row = dbsession.scalars(select(ApiToken)).one()
    page = testapp.get(f"/users/{bob.uuid}")
    csrf = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    testapp.post(f"/users/{bob.uuid}/tokens/{row.uuid}/revoke", {"csrf_token": csrf}, status=303)
    refused = bearer(testapp, token, status=401)
    assert refused.json["error"].startswith("This API token is not valid")
    assert "invalid_token" in refused.headers["WWW-Authenticate"]


def test_an_inactive_users_token_opens_nothing(testapp, dbsession):
    bob = add_user(dbsession, "bob", permissions=("widgets.list",))
    token = make_token(testapp, bob)
    bob.active = False
    dbsession.flush()
    bearer(testapp, token, status=401)


def test_wrong_tokens_are_throttled_like_logins(testapp):
    from poser_web.auth.throttle import FREE_FAILURES

    assert FREE_FAILURES == 5  # the documented number
    for _ in range(5):
        bearer(testapp, "poser_wrong", status=401, client="192.0.2.77")
    slowed = bearer(testapp, "poser_wrong", status=429, client="192.0.2.77")
    assert int(slowed.headers["Retry-After"]) > 0
    bearer(testapp, "poser_wrong", status=401, client="192.0.2.78")  # another address: not slowed


def test_a_user_manager_cannot_mint_tokens_for_an_administrator(anonymous_app, dbsession):
    admin = add_user(dbsession, "root", admin=True)
    add_user(dbsession, "manager", permissions=("users.manage",))
    log_in(anonymous_app, "manager").follow()
    page = anonymous_app.get(f"/users/{admin.uuid}")
    assert page.html.find("form", action=lambda a: a and a.endswith("/tokens")) is None
    csrf = page.html.find("input", attrs={"name": "csrf_token"})["value"]
    anonymous_app.post(f"/users/{admin.uuid}/tokens", {"csrf_token": csrf, "name": "x"},
                       status=403)
    assert dbsession.scalars(select(ApiToken)).all() == []
    assert dbsession.get(User, admin.uuid) is not None
