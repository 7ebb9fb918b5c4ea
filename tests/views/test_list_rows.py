"""The list's rows, built in Python (views/list_rows.py): what people typed shows as text,
in cells, links, tooltips and the row checkboxes' labels, never as markup."""
from tests.helpers import add_widget
from tests.specimens import add_specimen

NASTY = """<script>alert("x")</script> & 'quoted'"""


def test_typed_markup_shows_as_text_in_cells_and_labels(testapp, dbsession):
    widget = add_widget(dbsession, NASTY)
    response = testapp.get("/widgets")
    assert "<script>" not in response.text
    row = response.html.select_one("#grid tbody tr")
    cells = row.find_all("td")
    assert cells[0].get_text() == NASTY
    assert cells[0].a["href"].endswith(f"/widgets/{widget.uuid}")
    tick = row.find("input", type="checkbox")
    assert tick["aria-label"] == f"Select {NASTY}"
    assert tick["value"] == widget.uuid and tick["form"] == "grid-selection"
    assert [a.get_text() for a in cells[-1].find_all("a")] == ["View", "Edit", "Delete"]


def test_a_cut_cell_keeps_the_whole_text_escaped_in_its_tooltip(testapp, dbsession):
    notes = NASTY + " " + "n" * 100
    add_specimen(dbsession, "Long", notes=notes)
    response = testapp.get("/specimens")
    assert "<script>" not in response.text
    cell = response.html.select("#grid tbody tr")[0].find_all("td")[1]
    assert cell["title"] == notes
    assert cell.get_text() == notes[:79].rstrip() + "…"
