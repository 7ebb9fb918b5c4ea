"""A posted form read without deform's fields (forms/posted.py) gives what deform's validation
gives, and leaves every post with an error (or a widget it does not know) to deform."""
import deform
import pytest

from poser_web.forms import form_of, posted
from poser_web.views import master_forms
from tests import factories
from tests.helpers import csrf_token, widget_form
from tests.views.test_specimen_forms import specimen_form

NASTY = """ <b>"bold" & 'quoted'</b> é """


@pytest.fixture
def compared(monkeypatch):
    """Each save's fast reading beside deform's: [(fast appstruct or None, deform's or None)]."""
    seen = []

    def both(schema, controls):
        fast = posted.validated(schema, controls)
        try:
            slow = form_of(schema).validate(controls)
        except deform.ValidationFailure:
            slow = None
        seen.append((fast and fast[1], slow))
        return fast

    monkeypatch.setattr(master_forms, "validated", both)
    return seen


def test_widget_posts_read_as_deform_reads_them(testapp, dbsession, compared):
    widget = factories.widget(dbsession, "W", components=[("A-1", "one"), ("A-2", "two", False)])
    kept = [{"uuid": c.uuid, "item_code": c.item_code, "description": c.description,
             "active": c.active} for c in widget.components]
    token = csrf_token(testapp)
    url = f"/widgets/{widget.uuid}/edit"
    blank = {"item_code": " ", "description": ""}
    testapp.post(url, widget_form(token, NASTY, False, kept + [blank], version=1), status=303)
    testapp.post(url, widget_form(token, "W", True, kept[:1] + [{"item_code": "N", "description": NASTY}],
                                  version=2), status=303)
    testapp.post("/widgets/new", widget_form(token, "New", components=[blank]), status=303)
    testapp.post(url, widget_form(token, "", version=3), status=400)  # required
    testapp.post(url, widget_form(token, "W", components=[{"item_code": "X" * 21, "description": "d"}],
                                  version=3), status=400)
    testapp.post(url, widget_form(token, "W", components=[{"uuid": "0" * 32, "item_code": "X",
                                                           "description": "d"}], version=3), status=400)
    testapp.post(url, [("csrf_token", token), ("version", "3"), ("description", "W"),
                       ("components", "not rows")], status=400)
    assert len(compared) == 7
    assert all(fast == slow for fast, slow in compared)
    assert [slow is not None for _, slow in compared] == [True] * 3 + [False] * 4


def test_specimen_posts_read_as_deform_reads_them(testapp, dbsession, compared):
    specimen = factories.specimen(dbsession, "S", parts=[("P-1", 3)])
    token = csrf_token(testapp, "/specimens/new")
    url = f"/specimens/{specimen.uuid}/edit"
    part = {"uuid": specimen.parts[0].uuid, "code": "P-1", "count": " 4 "}
    testapp.post(url, specimen_form(token, version=1, name=NASTY, notes=NASTY, quantity="7",
                                    weight="2.5", received="2026-01-02", checked_at="2026-01-02T03:04",
                                    color="red", size="large", parts=[part]), status=303)
    testapp.post(url, specimen_form(token, version=2, name="S", quantity="x", parts=[part]), status=400)
    assert len(compared) == 2
    assert all(fast is None or fast == slow for fast, slow in compared)
    assert compared[1] == (None, None)
