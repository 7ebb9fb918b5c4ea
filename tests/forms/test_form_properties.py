"""Property-based: whatever is thrown at create and edit, never a 500, never half-saved.

Each example either saves exactly what was sent (trimmed, blank rows dropped)
or is refused with a message and changes nothing.
"""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from poser_web.tables.widgets.models import Component, Widget
from tests.helpers import add_widget, csrf_token, widget_form

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Any text a browser could send (no lone surrogates: they cannot be encoded).
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
short_text = st.one_of(any_text, st.text(max_size=25), st.just(""), st.just("   "))
rows = st.lists(st.fixed_dictionaries({
    "item_code": short_text, "description": short_text, "active": st.booleans(),
    "uuid": st.one_of(st.just(""), st.text("0123456789abcdef", min_size=32, max_size=32),
                      st.text(max_size=40)),
}), max_size=6)
junk = st.lists(st.tuples(st.sampled_from(["__start__", "__end__", "components", "uuid",
                                           "item_code", "active", "description", "version"]),
                          any_text), max_size=4)


def snapshot(session):
    session.expire_all()
    widgets = [(w.uuid, w.description, w.active, w.version) for w in
               session.scalars(select(Widget).order_by(Widget.uuid))]
    components = [(c.uuid, c.widget_uuid, c.item_code, c.description, c.active) for c in
                  session.scalars(select(Component).order_by(Component.uuid))]
    return widgets, components


def expected_rows(sent, keep_uuids=False):
    kept = [r for r in sent if r["item_code"].strip() or r["description"].strip() or r["uuid"]]
    return sorted((r["item_code"].strip(), r["description"].strip(), r["active"]) for r in kept)


def check_outcome(response, session, before, description, sent_rows, widget_uuid=None):
    assert response.status_int < 500, response.text[:500]
    after = snapshot(session)
    if response.status_int == 303:
        uuid = widget_uuid or response.location.rsplit("/", 1)[1]
        widget = session.get(Widget, uuid)
        assert widget.description == description.strip()
        assert sorted((c.item_code, c.description, c.active) for c in widget.components) == \
            expected_rows(sent_rows)
    else:
        assert response.status_int in (400, 409)
        assert "not saved" in response.text or "Not saved" in response.text
        assert after == before  # nothing half-saved


@pytest.fixture
def token(testapp):
    return csrf_token(testapp)


@SETTINGS
@given(description=any_text, sent_rows=rows, active=st.booleans(), extra=junk)
def test_create_saves_exactly_or_refuses(testapp, dbsession, token, description, sent_rows,
                                         active, extra):
    savepoint = dbsession.begin_nested()
    try:
        before = snapshot(dbsession)
        fields = widget_form(token, description, active=active, components=sent_rows)
        response = testapp.post("/widgets/new", fields + extra if extra else fields,
                                expect_errors=True)
        if extra:  # a malformed structure: only "no 500, nothing half-saved" holds
            assert response.status_int < 500
            if response.status_int != 303:
                assert snapshot(dbsession) == before
        else:
            check_outcome(response, dbsession, before, description, sent_rows)
    finally:
        savepoint.rollback()


@SETTINGS
@given(description=any_text, sent_rows=rows, keep_existing=st.booleans(),
       version_offset=st.sampled_from([0, 0, 0, -1, 1]))
def test_edit_saves_exactly_or_refuses(testapp, dbsession, token, description, sent_rows,
                                       keep_existing, version_offset):
    savepoint = dbsession.begin_nested()
    try:
        widget = add_widget(dbsession, "Existing", components=[("E1", "one"), ("E2", "two")])
        if keep_existing:  # send the existing rows back (by uuid) along with the new ones
            sent_rows = [{"uuid": c.uuid, "item_code": c.item_code, "description": c.description,
                          "active": c.active} for c in widget.components] + sent_rows
        before = snapshot(dbsession)
        response = testapp.post(
            f"/widgets/{widget.uuid}/edit",
            widget_form(token, description, components=sent_rows,
                        version=widget.version + version_offset),
            expect_errors=True)
        if version_offset:
            assert response.status_int in (400, 409)
        check_outcome(response, dbsession, before, description, sent_rows, widget.uuid)
    finally:
        savepoint.rollback()
