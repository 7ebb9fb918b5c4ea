"""The inline rows table written in Python (forms/inline_table.py): typed markup stays text,
every input is labelled, ids are unique, the Add row's prototype has the same names, and the
form posted back as the browser got it changes nothing."""
from collections import Counter
from urllib.parse import unquote

from bs4 import BeautifulSoup

from poser_web.tables.widgets.models import Widget
from tests.helpers import add_widget

NASTY = """<b>"bold" & 'quoted'</b>"""


def test_typed_markup_stays_text_and_every_cell_is_labelled(testapp, dbsession):
    widget = add_widget(dbsession, "W", components=[("A-1", NASTY), ("A-2", "plain", False)])
    response = testapp.get(f"/widgets/{widget.uuid}/edit")
    assert "<b>" not in response.text
    table = response.html.select_one(".poser-inline")
    rows = table.select("tbody tr.deform-seq-item")
    assert [r.find("input", attrs={"name": "description"})["value"] for r in rows] == [NASTY, "plain"]
    assert [bool(r.find("input", attrs={"name": "active"}).has_attr("checked")) for r in rows] == [True, False]
    assert rows[1].button["aria-label"] == "Remove component row 2"
    for field in table.select("input[type=text], input[type=checkbox]"):
        assert table.find("label", attrs={"for": field["id"]}).get_text() in ("Item Code", "Description", "Active")
    ids = Counter(tag["id"] for tag in response.html.select("[id]"))
    assert [i for i, n in ids.items() if n > 1] == []


def test_the_prototype_row_is_a_blank_row_with_the_same_names(testapp, dbsession):
    widget = add_widget(dbsession, "W", components=[("A-1", "one")])
    response = testapp.get(f"/widgets/{widget.uuid}/edit")
    start = response.html.find("input", attrs={"name": "__start__", "value": "components:sequence"})
    proto = BeautifulSoup(unquote(start["prototype"]), "html.parser")
    row = response.html.select_one("tbody tr.deform-seq-item")
    assert [i["name"] for i in proto.find_all("input")] == [i["name"] for i in row.find_all("input")]
    assert [i.get("value") for i in proto.find_all("input", type="text")] == ["", ""]
    assert proto.find("input", type="checkbox").has_attr("checked")  # a new component is active


def test_the_form_posted_back_unchanged_keeps_the_components(testapp, dbsession):
    widget = add_widget(dbsession, "W", components=[("A-1", NASTY), ("A-2", "two", False)])
    before = [(c.uuid, c.item_code, c.description, c.active) for c in widget.components]
    form = testapp.get(f"/widgets/{widget.uuid}/edit").forms["master-form"]
    assert form.submit("save").status_int == 303
    dbsession.expire_all()
    after = [(c.uuid, c.item_code, c.description, c.active)
             for c in dbsession.get(Widget, widget.uuid).components]
    assert sorted(after) == sorted(before)


def _table_tokens(html):
    """The inline table's tokens (tests/forms/test_form_html.py), its Add row's prototype
    read as markup too."""
    from tests.forms.test_form_html import tokens

    found = []
    for token in tokens(html):
        attrs = dict(token[2]) if token[0] == "start" else {}
        if "prototype" in attrs:
            found += tokens(f'<form id="master-form">{unquote(attrs.pop("prototype"))}</form>')
            token = ("start", token[1], tuple(sorted(attrs.items())))
        found.append(token)
    return found


def test_the_table_is_the_one_deforms_templates_write(testapp, dbsession, monkeypatch):
    from poser_web.forms import inline_table

    widget = add_widget(dbsession, "W", components=[("A-1", NASTY), ("A-2", "two", False)])
    fast = testapp.get(f"/widgets/{widget.uuid}/edit").text
    monkeypatch.setattr(inline_table, "renders", lambda field, kw: False)
    slow = testapp.get(f"/widgets/{widget.uuid}/edit").text
    assert fast != slow
    assert _table_tokens(fast) == _table_tokens(slow)
