"""Where list cells link: the row's page for a "view" column, a view's own cell_url hook
when it has one (asked for every cell, as the hook promises)."""
from poser_web.tables.widgets.views import WidgetView
from tests.factories import widget


def _cell_links(page):
    return [[a["href"] for a in tr.select("td:not(.poser-actions) a")]
            for tr in page.html.select("#grid tbody tr")]


def test_the_view_column_links_to_the_rows_page(testapp, dbsession):
    record = widget(dbsession, "Anvil")
    assert _cell_links(testapp.get("/widgets")) == [[f"http://example.com/widgets/{record.uuid}"]]


def test_a_views_own_cell_url_decides_every_cell(testapp, dbsession, monkeypatch):
    record = widget(dbsession, "Anvil")
    monkeypatch.setattr(WidgetView, "cell_url",
                        lambda self, column, row: f"/elsewhere/{column.key}/{row.uuid}", raising=False)
    [links] = _cell_links(testapp.get("/widgets"))
    assert links[0] == f"/elsewhere/description/{record.uuid}"
    assert all(link.startswith("/elsewhere/") for link in links) and len(links) > 1
