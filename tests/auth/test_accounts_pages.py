"""Users and roles in the browser: create, roles, reset, deactivate, the last administrator, history."""
import pytest
import webtest
from sqlalchemy import select

from poser_web.auth.passwords import verify_password
from poser_web.models import Change, Role, RolePermission, User
from tests.helpers import add_user, csrf_token, log_in


def user_form(token, username=None, active=True, roles=()):
    """The fields deform posts for the user form (no username when editing)."""
    fields = [("_charset_", "UTF-8"), ("__formid__", "master-form"), ("csrf_token", token)]
    if username is not None:
        fields.append(("username", username))
    if active:
        fields.append(("active", "true"))
    fields.append(("__start__", "roles:sequence"))
    fields += [("checkbox", role.uuid) for role in roles]
    fields += [("__end__", "roles:sequence"), ("save", "save")]
    return fields


def role_form(token, name, permissions=()):
    """The fields of the role form: permissions grouped by the part before the dot."""
    fields = [("_charset_", "UTF-8"), ("__formid__", "master-form"), ("csrf_token", token),
              ("name", name), ("__start__", "permissions:mapping")]
    groups = {}
    for permission in permissions:
        groups.setdefault(permission.split(".")[0], []).append(permission)
    for table, names in groups.items():
        fields.append(("__start__", f"{table}:sequence"))
        fields += [("checkbox", name) for name in names]
        fields.append(("__end__", f"{table}:sequence"))
    fields += [("__end__", "permissions:mapping"), ("save", "save")]
    return fields


def temporary_password(response):
    return response.html.find(id="temporary-password").get_text(strip=True)


def role(dbsession, name, permissions=(), grants_all=False):
    item = Role(name=name, grants_all=grants_all,
                permissions=[RolePermission(permission=p) for p in permissions])
    dbsession.add(item)
    dbsession.flush()
    return item


def user_named(dbsession, username):
    dbsession.expire_all()
    return dbsession.scalars(select(User).where(User.username == username)).one()


def changes(dbsession, entity, uuid):
    return [c.summary for c in dbsession.scalars(
        select(Change).where(Change.entity == entity, Change.entity_uuid == uuid))]


@pytest.fixture
def second_client(app, anonymous_app):
    """Another browser on the same (rolled-back) database."""
    return webtest.TestApp(app, extra_environ=dict(anonymous_app.extra_environ))


# -- creating a user ---------------------------------------------------------------------


def test_created_user_must_change_the_temporary_password_first(testapp, dbsession, second_client):
    clerk = role(dbsession, "Clerk", ["widgets.list"])
    token = csrf_token(testapp, "/users/new")
    created = testapp.post("/users/new", user_form(token, "bob", roles=[clerk]), status=201)
    password = temporary_password(created)
    assert len(password) >= 12
    bob = user_named(dbsession, "bob")
    assert bob.must_change_password and [r.name for r in bob.roles] == ["Clerk"]
    assert password not in bob.password_hash and verify_password(bob.password_hash, password)

    # First login: sent to /password, and kept there until changed.
    response = log_in(second_client, "bob", password)
    assert response.location == "http://example.com/password"
    assert "temporary one" in response.follow().text
    assert second_client.get("/widgets", status=303).location == "http://example.com/password"
    page = second_client.get("/password")
    form = page.forms[1]
    form["current_password"] = password
    form["new_password"] = form["confirm_password"] = password
    assert "not the temporary one" in form.submit(status=400).text
    form = second_client.get("/password").forms[1]
    form["current_password"] = password
    form["new_password"] = form["confirm_password"] = "bob's own secret"
    form.submit(status=303)
    second_client.get("/widgets", status=200)
    assert not user_named(dbsession, "bob").must_change_password
    # The password is never in the history.
    assert not any(password in c.diff + c.summary for c in dbsession.scalars(select(Change)))


def test_create_refuses_a_taken_or_malformed_username(testapp, dbsession):
    add_user(dbsession, "bob")
    token = csrf_token(testapp, "/users/new")
    response = testapp.post("/users/new", user_form(token, "BOB"), status=400)
    assert "There is a user named BOB already." in response.text
    response = testapp.post("/users/new", user_form(token, "two words"), status=400)
    assert "no spaces" in response.text
    response = testapp.post("/users/new", user_form(token, "x" * 51), status=400)
    assert "at most 50 characters" in response.text
    assert dbsession.scalars(select(User).where(User.username != "admin")).all() == [
        user_named(dbsession, "bob")]


def test_unknown_role_or_malformed_form_is_a_400(testapp, dbsession):
    token = csrf_token(testapp, "/users/new")
    fields = user_form(token, "carol")
    fields.insert(-2, ("checkbox", "f" * 32))
    assert "Unknown role" in testapp.post("/users/new", fields, status=400).text
    testapp.post("/users/new", [("csrf_token", token), ("__start__", "roles:sequence")],
                 status=400)
    testapp.post("/users/new", {"csrf_token": token}, status=400)
    testapp.post("/users/new", user_form("wrong-token", "carol"), status=400)
    assert not dbsession.scalars(select(User).where(User.username == "carol")).all()
    testapp.get("/users/" + "0" * 32, status=404)
    testapp.get("/users/not-a-key/edit", status=404)
    testapp.get("/users?active=maybe", status=400)


# -- editing roles, history ------------------------------------------------------------


def test_edit_roles_and_history_says_who_granted_what_to_whom(testapp, dbsession):
    clerk = role(dbsession, "Clerk", ["widgets.list"])
    viewer = role(dbsession, "Viewer", ["widgets.view"])
    bob = add_user(dbsession, "bob")
    bob.roles.append(viewer)
    dbsession.flush()
    edit = testapp.get(f"/users/{bob.uuid}/edit")
    assert edit.html.find("input", attrs={"value": viewer.uuid}).has_attr("checked")
    token = csrf_token(testapp, f"/users/{bob.uuid}/edit")
    response = testapp.post(f"/users/{bob.uuid}/edit", user_form(token, roles=[clerk]),
                            status=303)
    assert "Saved user “bob”." in response.follow().text
    assert [r.name for r in user_named(dbsession, "bob").roles] == ["Clerk"]
    page = testapp.get(f"/users/{bob.uuid}")
    history = page.html.find(id="history").get_text(" ", strip=True)
    assert "admin" in history
    assert "Granted role Clerk to bob; Revoked role Viewer from bob" in history
    assert "Granted to bob" in testapp.get(f"/roles/{clerk.uuid}").html.find(
        id="history").get_text()
    assert changes(dbsession, "role", viewer.uuid) == ["Revoked from bob"]


def test_a_user_page_lists_roles_and_the_list_searches_and_filters(testapp, dbsession):
    clerk = role(dbsession, "Clerk", ["widgets.list"])
    bob = add_user(dbsession, "bob")
    bob.roles.append(clerk)
    add_user(dbsession, "gone").active = False
    dbsession.flush()
    listed = testapp.get("/users?q=bo")
    rows = [r.get_text(" ", strip=True) for r in listed.html.find(id="grid").tbody.find_all("tr")]
    assert len(rows) == 1 and "bob" in rows[0] and "Clerk" in rows[0]
    inactive = testapp.get("/users?active=no").html.find(id="grid").tbody.get_text()
    assert "gone" in inactive and "bob" not in inactive
    page = testapp.get(f"/users/{bob.uuid}")
    assert page.html.find("a", string="Clerk")["href"].endswith(f"/roles/{clerk.uuid}")


# -- password reset, deactivation --------------------------------------------------------


def test_reset_password_shows_a_temporary_one_once_and_ends_sessions(
        testapp, dbsession, second_client):
    bob = add_user(dbsession, "bob", permissions=["widgets.list"])
    log_in(second_client, "bob")
    second_client.get("/widgets", status=200)
    confirm = testapp.get(f"/users/{bob.uuid}/password")
    assert "shown to you once" in confirm.text
    response = confirm.forms["confirm-form"].submit(status=200)
    password = temporary_password(response)
    second_client.get("/widgets", status=303)  # bob's session is over
    log_in(second_client, "bob", status=401)  # the old password no longer works
    assert log_in(second_client, "bob", password).location.endswith("/password")
    assert "Reset the password of bob" in testapp.get(f"/users/{bob.uuid}").text
    assert password not in testapp.get(f"/users/{bob.uuid}").text


def test_deactivate_ends_the_users_session(testapp, dbsession, second_client):
    bob = add_user(dbsession, "bob", permissions=["widgets.list"])
    log_in(second_client, "bob")
    old_cookie = second_client.cookies["poser_session"]
    second_client.get("/widgets", status=200)
    page = testapp.get(f"/users/{bob.uuid}/deactivate")
    response = page.forms["confirm-form"].submit(status=303)
    assert "their sessions have ended" in response.follow().text
    assert not user_named(dbsession, "bob").active
    second_client.set_cookie("poser_session", old_cookie)
    second_client.get("/widgets", status=303)
    log_in(second_client, "bob", status=401)
    page = testapp.get(f"/users/{bob.uuid}")
    assert "Deactivated bob" in page.text and "Deactivate" not in {
        a.get_text(strip=True) for a in page.html.find_all("a")}
    again = testapp.get(f"/users/{bob.uuid}/deactivate")
    assert "bob is inactive already." in again.text and "confirm-form" not in again.forms


def test_unticking_active_in_the_form_deactivates(testapp, dbsession, second_client):
    bob = add_user(dbsession, "bob", permissions=["widgets.list"])
    log_in(second_client, "bob")
    token = csrf_token(testapp, f"/users/{bob.uuid}/edit")
    testapp.post(f"/users/{bob.uuid}/edit", user_form(token, active=False, roles=bob.roles),
                 status=303)
    second_client.get("/widgets", status=303)


# -- the last administrator ---------------------------------------------------------------


def test_the_last_administrator_cannot_be_deactivated_demoted_or_deleted(testapp, dbsession):
    admin = user_named(dbsession, "admin")
    admin_role = admin.roles[0]
    page = testapp.get(f"/users/{admin.uuid}/deactivate")
    assert "last active administrator" in page.html.find(id="refusal").get_text()
    assert "confirm-form" not in page.forms
    token = csrf_token(testapp, f"/users/{admin.uuid}/edit")
    response = testapp.post(f"/users/{admin.uuid}/deactivate", {"csrf_token": token}, status=409)
    assert "deactivating them would leave no one" in response.text
    response = testapp.post(f"/users/{admin.uuid}/delete", {"csrf_token": token}, status=409)
    assert "deleting them" in response.text
    response = testapp.post(f"/users/{admin.uuid}/edit", user_form(token, roles=[]), status=400)
    assert "taking away their administrator role" in response.text
    response = testapp.post(f"/users/{admin.uuid}/edit", user_form(token, active=False,
                                                                    roles=[admin_role]),
                            status=400)
    assert "deactivating them" in response.text
    response = testapp.post(f"/roles/{admin_role.uuid}/delete", {"csrf_token": token},
                            status=409)
    assert "no one able to manage accounts" in response.text
    admin = user_named(dbsession, "admin")
    assert admin.active and admin.roles == [admin_role]
    assert not dbsession.scalars(select(Change)).all()


def test_with_a_second_administrator_the_first_can_go(testapp, dbsession):
    admin = user_named(dbsession, "admin")
    other = add_user(dbsession, "other")
    other.roles.append(admin.roles[0])
    dbsession.flush()
    token = csrf_token(testapp, f"/users/{other.uuid}/edit")
    testapp.post(f"/users/{other.uuid}/deactivate", {"csrf_token": token}, status=303)
    # Now admin is the last one again.
    testapp.post(f"/users/{admin.uuid}/deactivate", {"csrf_token": token}, status=409)


def test_an_inactive_administrator_does_not_count(testapp, dbsession):
    admin = user_named(dbsession, "admin")
    sleeper = add_user(dbsession, "sleeper")
    sleeper.roles.append(admin.roles[0])
    sleeper.active = False
    dbsession.flush()
    token = csrf_token(testapp, f"/users/{admin.uuid}/edit")
    testapp.post(f"/users/{admin.uuid}/delete", {"csrf_token": token}, status=409)


# -- roles ---------------------------------------------------------------------------------


def test_role_form_groups_permissions_by_table_with_descriptions(testapp, dbsession):
    page = testapp.get("/roles/new")
    form = page.html.find("form", id="master-form")
    text = form.get_text(" ", strip=True)
    for group in ("Widgets", "Components", "Users", "Roles"):
        assert group in text
    assert "List widgets (widgets.list)" in text
    token = csrf_token(testapp, "/roles/new")
    response = testapp.post("/roles/new", role_form(token, "Clerk", ["widgets.list",
                                                                       "widgets.view",
                                                                       "users.manage"]),
                            status=303)
    clerk = dbsession.scalars(select(Role).where(Role.name == "Clerk")).one()
    assert sorted(p.permission for p in clerk.permissions) == [
        "users.manage", "widgets.list", "widgets.view"]
    view = response.follow()
    assert "Permissions: Widgets" in view.text and "Users holding this role" in view.text
    edit = testapp.get(f"/roles/{clerk.uuid}/edit").html
    ticked = {box["value"] for box in edit.find_all("input", attrs={"type": "checkbox"})
              if box.has_attr("checked")}
    assert ticked == {"users.manage", "widgets.list", "widgets.view"}
    legends = [fieldset.find("legend").get_text(strip=True) for fieldset in edit.find_all("fieldset")]
    assert "Components" in legends and legends == sorted(legends)  # one group per table, by name
    testapp.post(f"/roles/{clerk.uuid}/edit", role_form(token, "Clerks", ["widgets.list"]),
                 status=303)
    assert sorted(changes(dbsession, "role", clerk.uuid)) == [
        "Created role Clerk; Granted users.manage, widgets.list, widgets.view",
        "Renamed from Clerk to Clerks; Revoked users.manage, widgets.view"]


def test_role_form_refuses_unknown_permissions_and_duplicate_names(testapp, dbsession):
    role(dbsession, "Clerk")
    token = csrf_token(testapp, "/roles/new")
    assert "Unknown permission" in testapp.post(
        "/roles/new", role_form(token, "Fly", ["widgets.fly"]), status=400).text
    assert "There is a role named clerk already." in testapp.post(
        "/roles/new", role_form(token, "clerk"), status=400).text
    assert "Name is required." in testapp.post("/roles/new", role_form(token, "  "),
                                               status=400).text


@pytest.mark.parametrize("body", [
    [("__start__", "permissions:sequence"), ("checkbox", "widgets.list"),
     ("__end__", "permissions:sequence")],
    [("__start__", "permissions:mapping"), ("widgets", "widgets.fly"),
     ("__end__", "permissions:mapping")],
    [("__start__", "permissions:mapping"), ("__start__", "widgets:mapping"), ("a", "b"),
     ("__end__", "widgets:mapping"), ("__end__", "permissions:mapping")],
])
def test_malformed_role_forms_are_a_400(testapp, dbsession, body):
    token = csrf_token(testapp, "/roles/new")
    testapp.post("/roles/new", [("csrf_token", token), ("name", "Odd")] + body, status=400)
    assert not dbsession.scalars(select(Role).where(Role.name == "Odd")).all()


def test_administrator_role_shows_every_permission_read_only(testapp, dbsession):
    admin_role = user_named(dbsession, "admin").roles[0]
    view = testapp.get(f"/roles/{admin_role.uuid}")
    assert "Every permission, including ones added later" in view.text
    assert "admin" in view.html.find("a", string="admin").get_text()
    edit = testapp.get(f"/roles/{admin_role.uuid}/edit")
    assert "only its name can be changed" in edit.text
    assert not edit.html.find("input", attrs={"type": "checkbox"})
    token = csrf_token(testapp, f"/roles/{admin_role.uuid}/edit")
    testapp.post(f"/roles/{admin_role.uuid}/edit", role_form(token, "Admins", ["widgets.list"]),
                 status=303)
    dbsession.expire_all()
    assert admin_role.name == "Admins" and admin_role.grants_all and not admin_role.permissions


def test_deleting_a_role_revokes_it_from_its_users_in_history(testapp, dbsession):
    clerk = role(dbsession, "Clerk", ["widgets.list"])
    bob = add_user(dbsession, "bob")
    bob.roles.append(clerk)
    dbsession.flush()
    page = testapp.get(f"/roles/{clerk.uuid}/delete")
    page.forms["confirm-form"].submit(status=303)
    assert user_named(dbsession, "bob").roles == []
    assert changes(dbsession, "user", bob.uuid) == ["Revoked role Clerk from bob (role deleted)"]


# -- permissions ---------------------------------------------------------------------------


PAGES = ["/users", "/users/changes", "/users/new", "/users/{user}", "/users/{user}/edit", "/users/{user}/password",
         "/users/{user}/deactivate", "/users/{user}/delete", "/users/export.csv",
         "/roles", "/roles/new", "/roles/{role}", "/roles/{role}/edit", "/roles/{role}/delete"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_need_users_or_roles_manage(anonymous_app, dbsession, path):
    needed = "users.manage" if path.startswith("/users") else "roles.manage"
    other = "roles.manage" if needed == "users.manage" else "users.manage"
    target = add_user(dbsession, "target", permissions=["widgets.list"])
    add_user(dbsession, "clerk", permissions=["widgets.list", "widgets.edit", other])
    # The manager holds what the target holds (test_account_reach.py: else they may not change it).
    add_user(dbsession, "manager", permissions=[needed, "widgets.list"])
    url = path.format(user=target.uuid, role=target.roles[0].uuid)
    log_in(anonymous_app, "clerk")
    assert "You do not have permission" in anonymous_app.get(url, status=403).text
    if url.endswith(("/new", "/edit", "/password", "/deactivate", "/delete")):
        token = csrf_token(anonymous_app, "/password")
        anonymous_app.post(url, {"csrf_token": token}, status=403)
    anonymous_app.reset()
    log_in(anonymous_app, "manager")
    anonymous_app.get(url, status=200)


def test_menu_and_buttons_are_hidden_without_the_permission(anonymous_app, dbsession):
    add_user(dbsession, "clerk", permissions=["widgets.list"])
    log_in(anonymous_app, "clerk")
    links = {a.get_text(strip=True) for a in anonymous_app.get("/widgets").html.find_all("a")}
    assert not {"Users", "Roles"} & links


def test_only_an_administrator_gives_the_administrator_role(anonymous_app, dbsession):
    admin_role = role(dbsession, "Administrator", grants_all=True)
    root = add_user(dbsession, "root")
    root.roles.append(admin_role)
    add_user(dbsession, "manager", permissions=["users.manage"])
    bob = add_user(dbsession, "bob")
    dbsession.flush()
    log_in(anonymous_app, "manager")
    token = csrf_token(anonymous_app, f"/users/{bob.uuid}/edit")
    response = anonymous_app.post(f"/users/{bob.uuid}/edit", user_form(token, roles=[admin_role]),
                                  status=400)
    assert "Only an administrator can give" in response.text
    assert user_named(dbsession, "bob").roles == []


def test_a_manager_can_create_users_without_being_an_administrator(anonymous_app, dbsession):
    clerk = role(dbsession, "Clerk", ["widgets.list"])
    add_user(dbsession, "manager", permissions=["users.manage", "widgets.list"])
    log_in(anonymous_app, "manager")
    token = csrf_token(anonymous_app, "/users/new")
    anonymous_app.post("/users/new", user_form(token, "dora", roles=[clerk]), status=201)
    assert changes(dbsession, "user", user_named(dbsession, "dora").uuid) == [
        "Created user dora with role Clerk; temporary password set"]


def test_a_name_taken_at_the_same_moment_is_a_409_not_a_500(testapp, dbsession, monkeypatch):
    from poser_web.forms import accounts as account_forms

    add_user(dbsession, "bob")
    role(dbsession, "Clerk")
    # As if the other save committed between our uniqueness check and our insert.
    monkeypatch.setattr(account_forms, "_unique_username", lambda node, value: None)
    monkeypatch.setattr(account_forms, "_unique_role_name", lambda node, value: None)
    token = csrf_token(testapp, "/users/new")
    response = testapp.post("/users/new", user_form(token, "bob"), status=409)
    assert "saved at the same moment" in response.text
    assert response.html.find("input", attrs={"name": "username"})["value"] == "bob"
    response = testapp.post("/roles/new", role_form(token, "Clerk", ["widgets.list"]),
                            status=409)
    assert "saved at the same moment" in response.text
    assert len(dbsession.scalars(select(User).where(User.username == "bob")).all()) == 1
    assert not dbsession.scalars(select(Change)).all()
    testapp.get("/users", status=200)  # the request's transaction is still usable


def test_account_changes_page_keeps_deleted_users(testapp, dbsession):
    bob = add_user(dbsession, "bob")
    token = csrf_token(testapp, f"/users/{bob.uuid}/delete")
    testapp.post(f"/users/{bob.uuid}/delete", {"csrf_token": token}, status=303)
    listed = testapp.get("/users")
    assert listed.html.find("a", string="Recent changes")["href"].endswith("/users/changes")
    page = testapp.get("/users/changes")
    assert "Deleted user bob" in page.html.find(id="history").get_text()
    for bad in ("0", "²", "-1", "x", "9" * 7):
        testapp.get("/users/changes", {"page": bad}, status=400)


def test_links_only_to_pages_the_user_may_open(anonymous_app, dbsession):
    clerk = role(dbsession, "Clerk", ["widgets.list"])
    bob = add_user(dbsession, "bob")
    bob.roles.append(clerk)
    add_user(dbsession, "manager", permissions=["users.manage"])
    dbsession.flush()
    log_in(anonymous_app, "manager")
    page = anonymous_app.get(f"/users/{bob.uuid}")
    assert "Clerk" in page.text and page.html.find("a", string="Clerk") is None


def test_menu_offers_users_and_roles_to_whoever_may_manage_them(anonymous_app, dbsession):
    add_user(dbsession, "manager", permissions=["users.manage", "widgets.list"])
    log_in(anonymous_app, "manager")
    nav = anonymous_app.get("/widgets").html.find("nav")
    hrefs = {a["href"].rsplit("/", 1)[-1]: a.get_text(strip=True) for a in nav.find_all("a")}
    assert hrefs.get("users") == "Users"
    assert "roles" not in hrefs  # roles.manage is another permission
