"""Permission matrix: each role × each page and method → the expected status."""
import pytest
from sqlalchemy import func, select

from poser_web.models import Change
from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_user, add_widget, csrf_token, log_in, widget_form

VIEWER = ("widgets.list", "widgets.view", "components.list", "components.view")
EDITOR = VIEWER + ("widgets.create", "widgets.edit")
ROLES = {
    "admin": {"admin": True},
    "editor": {"permissions": EDITOR},
    "viewer": {"permissions": VIEWER},
    "nobody": {"permissions": ()},
}

# (method, path, needed permission, status when allowed)
PAGES = [
    ("GET", "/", None, 200),
    ("GET", "/widgets", "widgets.list", 200),
    ("GET", "/widgets/{uuid}", "widgets.view", 200),
    ("GET", "/widgets/new", "widgets.create", 200),
    ("POST", "/widgets/new", "widgets.create", 303),
    ("GET", "/widgets/{uuid}/edit", "widgets.edit", 200),
    ("POST", "/widgets/{uuid}/edit", "widgets.edit", 303),
    ("GET", "/widgets/{uuid}/delete", "widgets.delete", 200),
    ("POST", "/widgets/{uuid}/delete", "widgets.delete", 303),
    ("GET", "/components", "components.list", 200),
    ("GET", "/components/{component}", "components.view", 200),
    ("GET", "/password", None, 200),
]


def granted(role, permission):
    spec = ROLES[role]
    return permission is None or spec.get("admin") or permission in spec.get("permissions", ())


def stored(dbsession):
    """Every widget and component as stored, and how many history entries there are."""
    dbsession.expire_all()
    return (dbsession.execute(select(Widget.uuid, Widget.description, Widget.active,
                                     Widget.version).order_by(Widget.uuid)).all(),
            dbsession.execute(select(Component.uuid, Component.item_code, Component.widget_uuid)
                              .order_by(Component.uuid)).all(),
            dbsession.scalar(select(func.count()).select_from(Change)))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method, path, permission, allowed_status", PAGES,
                         ids=[f"{m} {p}" for m, p, _, _ in PAGES])
def test_matrix(anonymous_app, dbsession, role, method, path, permission, allowed_status):
    add_user(dbsession, role, **ROLES[role])
    widget = add_widget(dbsession, "Target", components=[("T1", "part")])
    log_in(anonymous_app, role)
    url = path.format(uuid=widget.uuid, component=widget.components[0].uuid)
    expected = allowed_status if granted(role, permission) else 403
    if method == "GET":
        response = anonymous_app.get(url, status=expected)
    else:
        token = csrf_token(anonymous_app, "/")
        if url.endswith("/delete"):
            fields = {"csrf_token": token, "version": str(widget.version)}
        else:
            fields = widget_form(token, "Changed", version=widget.version if "edit" in url else None)
        before = stored(dbsession)
        response = anonymous_app.post(url, fields, status=expected)
        # A refused POST changed nothing; an allowed one did (so the comparison can fail).
        assert (stored(dbsession) == before) == (expected == 403)
    if expected == 403:
        assert "You do not have permission" in response.text


def links(response):
    return {a.get_text(strip=True) for a in response.html.find_all("a")}


def test_viewer_sees_no_buttons_for_what_they_cannot_do(anonymous_app, dbsession):
    add_user(dbsession, "viewer", permissions=VIEWER)
    widget = add_widget(dbsession, "Look only")
    log_in(anonymous_app, "viewer")
    list_links = links(anonymous_app.get("/widgets"))
    assert {"Widgets", "Components", "View"} <= list_links
    assert not {"New Widget", "Edit", "Delete"} & list_links
    assert not {"Edit", "Delete"} & links(anonymous_app.get(f"/widgets/{widget.uuid}"))


def test_menu_hides_pages_the_user_cannot_list(anonymous_app, dbsession):
    add_user(dbsession, "widgets-only", permissions=("widgets.list",))
    log_in(anonymous_app, "widgets-only")
    nav = anonymous_app.get("/").html.find("nav")
    entries = {a.get_text(strip=True) for a in nav.find_all("a")}
    assert "Widgets" in entries and "Components" not in entries


def test_editor_sees_edit_but_not_delete(anonymous_app, dbsession):
    add_user(dbsession, "editor", permissions=EDITOR)
    add_widget(dbsession, "Edit me")
    log_in(anonymous_app, "editor")
    list_links = links(anonymous_app.get("/widgets"))
    assert {"New Widget", "Edit"} <= list_links and "Delete" not in list_links
