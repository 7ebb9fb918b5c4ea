"""A schema a view declares (`schema = staticmethod(...)`) is built once per view class and
each request binds a copy of it: what one request binds (its CSRF token, the record's version,
choices read when bound, nodes an `after_bind` drops) is never another request's."""
import re

import colander
import deform
import webtest
from pyramid import testing

from poser_web.forms import text_node
from poser_web.tables.widgets.models import Widget
from poser_web.views.master_forms import FormPages
from tests.helpers import add_user, add_widget, log_in

built = []


def chosen_schema():
    built.append(1)
    schema = colander.SchemaNode(colander.Mapping(), after_bind=_bind)
    schema.add(colander.SchemaNode(colander.String(), name="code",
                                   widget=deform.widget.SelectWidget(values=[])))
    schema.add(text_node("description", "Description", 50))
    return schema


def _bind(schema, kw):
    # As the user form does: choices set on the widget, a node dropped when editing.
    schema["code"].widget.values = kw["request"].choices
    if kw["instance"] is not None:
        del schema["description"]


class Page(FormPages):
    model = Widget
    schema = staticmethod(chosen_schema)
    record_url = None

    def __init__(self, request):
        self.request = request


def request(name):
    session = testing.DummySession(_csrft_=f"token-{name}")
    return testing.DummyRequest(choices=[(name, name.upper())], session=session)


def test_a_declared_schema_is_built_once_and_each_request_binds_its_own_copy():
    with testing.testConfig(settings={}):
        first = Page(request("a")).bound_form_schema(None)
        second = Page(request("b")).bound_form_schema(Widget())
        third = Page(request("c")).bound_form_schema(None)
    assert len(built) == 1
    assert [n.name for n in first.children] == ["csrf_token", "version", "code", "description"]
    assert [n.name for n in second.children] == ["csrf_token", "version", "code"]
    assert [n.name for n in third.children] == ["csrf_token", "version", "code", "description"]
    assert [s["code"].widget.values for s in (first, second, third)] == [
        [("a", "A")], [("b", "B")], [("c", "C")]]
    assert [s["csrf_token"].default for s in (first, second, third)] == [
        "token-a", "token-b", "token-c"]


def hidden(response, name):
    return re.search(rf'name="{name}" value="([^"]*)"', response.text).group(1)


def test_each_form_carries_its_own_record_version_and_session_token(testapp, anonymous_app,
                                                                    dbsession):
    old = add_widget(dbsession, "Old")
    old.description = "Older"
    dbsession.flush()  # version 2
    new = add_widget(dbsession, "New")
    assert hidden(testapp.get(f"/widgets/{old.uuid}/edit"), "version") == str(old.version) == "2"
    assert hidden(testapp.get(f"/widgets/{new.uuid}/edit"), "version") == str(new.version) == "1"

    add_user(dbsession, "other", admin=True)
    other = webtest.TestApp(anonymous_app.app, extra_environ=anonymous_app.extra_environ)
    log_in(other, "other")
    mine = hidden(testapp.get(f"/widgets/{old.uuid}/edit"), "csrf_token")
    theirs = hidden(other.get(f"/widgets/{old.uuid}/edit"), "csrf_token")
    assert mine != theirs
    assert hidden(testapp.get("/widgets/new"), "csrf_token") == mine
