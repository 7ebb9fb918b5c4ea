"""Nobody gets more than they were given: a manager acts only on accounts and roles that hold
nothing beyond the manager's own permissions; only administrators act on administrators."""
import pytest
from sqlalchemy import select

from poser_web.auth.passwords import verify_password
from poser_web.models import Role, User
from tests.auth.test_accounts_pages import role, role_form, temporary_password, user_form, user_named
from tests.helpers import PASSWORD, add_user, csrf_token, log_in

MANAGER = ["users.manage", "widgets.list", "widgets.view"]


@pytest.fixture
def people(anonymous_app, dbsession):
    """An administrator, a role manager, a clerk, and a user manager logged in."""
    root = add_user(dbsession, "root")
    root.roles.append(role(dbsession, "Administrator", grants_all=True))
    role_manager = add_user(dbsession, "rolf", permissions=["roles.manage", "widgets.list"])
    clerk = add_user(dbsession, "clerk", permissions=["widgets.list"])
    add_user(dbsession, "manager", permissions=MANAGER)
    dbsession.flush()
    log_in(anonymous_app, "manager")
    return {"root": root, "rolf": role_manager, "clerk": clerk}


def post(client, url, fields=(), status=403):
    token = csrf_token(client, "/password")
    return client.post(url, [("csrf_token", token), *fields], status=status)


@pytest.mark.parametrize("target", ["root", "rolf"])
@pytest.mark.parametrize("page", ["password", "deactivate", "delete", "edit"])
def test_a_user_manager_cannot_act_on_someone_holding_more(anonymous_app, dbsession, people,
                                                          target, page):
    user = people[target]
    url = f"/users/{user.uuid}/{page}"
    refused = anonymous_app.get(url, status=403)
    expected = ("only an administrator" if target == "root" else
                "holds permissions you do not (roles.manage)")
    assert expected in refused.text
    fields = user_form("", active=False)[3:] if page == "edit" else ()
    assert expected in post(anonymous_app, url, fields).text
    after = user_named(dbsession, user.username)
    assert after.active and verify_password(after.password_hash, PASSWORD)
    assert [r.name for r in after.roles] == [r.name for r in user.roles]


def test_the_issue_s_takeover_no_longer_works(anonymous_app, dbsession, people):
    """users.manage reset an administrator's password, logged in as them, reached /roles."""
    root = people["root"]
    response = post(anonymous_app, f"/users/{root.uuid}/password")
    assert "temporary-password" not in response.text
    anonymous_app.reset()
    log_in(anonymous_app, "root", password="anything", status=401)
    log_in(anonymous_app, "root")  # their own password still works


def test_the_page_of_someone_holding_more_offers_no_changes(anonymous_app, people):
    page = anonymous_app.get(f"/users/{people['root'].uuid}")
    buttons = {a.get_text(strip=True) for a in page.html.select("main .btn")}
    assert not buttons & {"Edit", "Reset password", "Deactivate", "Delete"}
    assert "only an administrator can change it" in page.text
    mine = anonymous_app.get(f"/users/{people['clerk'].uuid}")
    assert {"Edit", "Reset password", "Deactivate", "Delete"} <= {
        a.get_text(strip=True) for a in mine.html.select("main .btn")}


@pytest.mark.parametrize("who", ["clerk", "self"])
def test_a_user_manager_cannot_grant_a_role_holding_more(anonymous_app, dbsession, people, who):
    managers = role(dbsession, "Role managers", ["roles.manage"])
    target = people["clerk"] if who == "clerk" else user_named(dbsession, "manager")
    token = csrf_token(anonymous_app, f"/users/{target.uuid}/edit")
    response = anonymous_app.post(f"/users/{target.uuid}/edit",
                                  user_form(token, roles=[*target.roles, managers]), status=400)
    assert ("You cannot give or take away Role managers: it grants permissions you do not "
            "hold (roles.manage).") in response.text
    assert "Role managers" not in [r.name for r in user_named(dbsession, target.username).roles]
    token = csrf_token(anonymous_app, "/users/new")
    anonymous_app.post("/users/new", user_form(token, "eve", roles=[managers]), status=400)
    assert dbsession.scalars(select(User).where(User.username == "eve")).first() is None


def test_a_user_manager_acts_on_accounts_within_their_own_permissions(anonymous_app, dbsession,
                                                                       people):
    clerk, viewers = people["clerk"], role(dbsession, "Viewers", ["widgets.view"])
    token = csrf_token(anonymous_app, f"/users/{clerk.uuid}/edit")
    anonymous_app.post(f"/users/{clerk.uuid}/edit",
                       user_form(token, roles=[*clerk.roles, viewers]), status=303)
    assert "Viewers" in [r.name for r in user_named(dbsession, "clerk").roles]
    reset = post(anonymous_app, f"/users/{clerk.uuid}/password", status=200)
    assert verify_password(user_named(dbsession, "clerk").password_hash, temporary_password(reset))
    post(anonymous_app, f"/users/{clerk.uuid}/deactivate", status=303)
    assert not user_named(dbsession, "clerk").active


def test_an_administrator_acts_on_administrators(anonymous_app, dbsession, people):
    other = add_user(dbsession, "other-root")
    other.roles.append(people["root"].roles[0])
    dbsession.flush()
    anonymous_app.reset()
    log_in(anonymous_app, "root")
    post(anonymous_app, f"/users/{other.uuid}/password", status=200)
    post(anonymous_app, f"/users/{people['rolf'].uuid}/deactivate", status=303)


def test_a_role_manager_grants_only_permissions_they_hold(anonymous_app, dbsession, people):
    anonymous_app.reset()
    log_in(anonymous_app, "rolf")
    token = csrf_token(anonymous_app, "/roles/new")
    refused = anonymous_app.post("/roles/new", role_form(token, "Sneaky", ["users.manage"]),
                                 status=400)
    assert "You can grant only permissions you hold yourself (not users.manage)." in refused.text
    assert dbsession.scalars(select(Role).where(Role.name == "Sneaky")).first() is None
    anonymous_app.post("/roles/new", role_form(token, "Listers", ["widgets.list"]), status=303)
    listers = dbsession.scalars(select(Role).where(Role.name == "Listers")).one()
    anonymous_app.post(f"/roles/{listers.uuid}/edit",
                       role_form(token, "Listers", ["widgets.list", "roles.manage"]), status=303)
    # Their own role: adding what they lack is refused like anywhere else.
    own = people["rolf"].roles[0]
    anonymous_app.post(f"/roles/{own.uuid}/edit",
                       role_form(token, own.name, ["roles.manage", "widgets.list",
                                                   "users.manage"]), status=400)


@pytest.mark.parametrize("name", ["Administrator", "role-manager"])
@pytest.mark.parametrize("page", ["edit", "delete"])
def test_a_role_manager_cannot_change_a_role_holding_more(anonymous_app, dbsession, people, name,
                                                          page):
    anonymous_app.reset()
    log_in(anonymous_app, "rolf")
    target = dbsession.scalars(select(Role).where(Role.name == name)).one()
    url = f"/roles/{target.uuid}/{page}"
    assert "You cannot change" in anonymous_app.get(url, status=403).text
    fields = role_form("", "Renamed")[3:] if page == "edit" else ()
    post(anonymous_app, url, fields)
    dbsession.expire_all()
    assert dbsession.get(Role, target.uuid).name == name
