"""Helpers shared by the page tests: seeding rows and posting deform forms."""
import re

from poser_web.models import Component, Role, RolePermission, User, Widget
from poser_web.passwords import hash_password

PASSWORD = "correct horse battery"


def add_user(session, username, admin=False, permissions=(), password=PASSWORD):
    """A user with the Administrator role, or a role of their own with `permissions`."""
    user = User(username=username, password_hash=hash_password(password))
    if admin:
        user.roles.append(Role(name=f"admin-{username}", grants_all=True))
    elif permissions:
        user.roles.append(Role(name=f"role-{username}", permissions=[
            RolePermission(permission=p) for p in permissions]))
    session.add(user)
    session.flush()
    return user


def log_in(app, username, password=PASSWORD, came_from=None, status=303):
    """Log `app` in through the login form; returns the response."""
    page = app.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    fields = {"csrf_token": token, "username": username, "password": password}
    if came_from is not None:
        fields["came_from"] = came_from
    return app.post("/login", fields, status=status)


def add_widget(session, description, active=True, components=()):
    """A widget with components given as (item_code, description[, active])."""
    widget = Widget(description=description, active=active)
    widget.components = [
        Component(item_code=c[0], description=c[1], active=c[2] if len(c) > 2 else True)
        for c in components
    ]
    session.add(widget)
    session.flush()
    return widget


def csrf_token(testapp, url="/widgets/new"):
    """The CSRF token of the test's session, read from a form page."""
    response = testapp.get(url)
    return re.search(r'name="csrf_token" value="([^"]+)"', response.text).group(1)


def widget_form(token, description, active=True, components=(), button="save", version=None):
    """The fields deform posts for the widget form, in document order.

    `components` are dicts with item_code, description, optional active and uuid.
    """
    fields = [("_charset_", "UTF-8"), ("__formid__", "master-form")]
    if token is not None:
        fields.append(("csrf_token", token))
    if version is not None:
        fields.append(("version", str(version)))
    fields.append(("description", description))
    if active:
        fields.append(("active", "true"))
    fields.append(("__start__", "components:sequence"))
    for row in components:
        fields += [("__start__", "component:mapping"), ("uuid", row.get("uuid", "")),
                   ("item_code", row.get("item_code", "")),
                   ("description", row.get("description", ""))]
        if row.get("active", True):
            fields.append(("active", "true"))
        fields.append(("__end__", "component:mapping"))
    fields += [("__end__", "components:sequence"), (button, button)]
    return fields


def grid_descriptions(response):
    """The Description column of a list page, top to bottom."""
    table = response.html.find("table", id="grid")
    if table is None:
        return []
    return [row.find("td").get_text(strip=True) for row in table.tbody.find_all("tr")]
