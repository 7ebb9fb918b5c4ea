"""The form written in Python (forms/form_html.py) is the form deform's templates write: the
same elements, attributes and text, page by page (create and edit, every field type of
tests/sample, typed markup, users and roles), whitespace aside."""
import re
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from poser_web.forms import form_html
from tests import factories
from tests.sample.models import Size

NASTY = """<b>"bold" & 'quoted'</b> é"""


class _Tokens(HTMLParser):
    """Start tags (attributes sorted), end tags and text (white space runs as one space)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tokens = []

    def handle_starttag(self, tag, attrs):
        self.tokens.append(("start", tag, tuple(sorted(attrs))))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self.tokens.append(("end", tag))

    def handle_endtag(self, tag):
        self.tokens.append(("end", tag))

    def handle_data(self, data):
        text = re.sub(r"\s+", " ", data)
        if self.tokens and self.tokens[-1][0] == "text":
            text = re.sub(r"\s+", " ", self.tokens.pop()[1] + text)
        self.tokens.append(("text", text))


def tokens(html):
    form = html[html.index('<form id="master-form"') if '<form id="master-form"' in html
                else html.index("<form\n  id=\"master-form\""):]
    parser = _Tokens()
    parser.feed(form[:form.index("</form>") + len("</form>")])
    # White space only between tags: present or not is the same page.
    return [t for t in parser.tokens if t != ("text", " ")]


def both(testapp, monkeypatch, url):
    """The form of `url` as written here, then as deform's templates write it."""
    fast = testapp.get(url).text
    with monkeypatch.context() as patch:
        patch.setattr(form_html, "renders", lambda form, kw: False)
        slow = testapp.get(url).text
    assert '<form id="master-form"' in fast and '<form id="master-form"' not in slow
    return tokens(fast), tokens(slow)


def test_widget_forms(testapp, dbsession, monkeypatch):
    widget = factories.widget(dbsession, NASTY, active=False, components=[("A-1", NASTY)])
    for url in ("/widgets/new", f"/widgets/{widget.uuid}/edit"):
        fast, slow = both(testapp, monkeypatch, url)
        assert fast == slow


@pytest.mark.parametrize("values", [
    {},
    {"notes": NASTY, "quantity": 7, "weight": Decimal("2.500"), "active": False,
     "received": date(2026, 1, 2), "checked_at": datetime(2026, 1, 2, 3, 4, 5),
     "color": "red", "size": Size.large},
])
def test_specimen_forms_of_every_field_type(testapp, dbsession, monkeypatch, values):
    other = factories.widget(dbsession, "Other")
    specimen = factories.specimen(dbsession, NASTY, parts=[("P-1", 3)], widget=other, **values)
    for url in ("/specimens/new", f"/specimens/{specimen.uuid}/edit"):
        fast, slow = both(testapp, monkeypatch, url)
        assert fast == slow


def test_account_forms(testapp, dbsession, monkeypatch):
    user = factories.user(dbsession, "someone")
    for url in ("/users/new", f"/users/{user.uuid}/edit", "/roles/new"):
        page = testapp.get(url).text
        if '<form id="master-form"' in page:
            fast, slow = both(testapp, monkeypatch, url)
            assert fast == slow
