"""Download CSV / XLSX from the list pages: the list's rows, all pages, in its order."""
import csv
import io

import pytest
from openpyxl import load_workbook

from tests.helpers import add_user, add_widget, grid_descriptions, log_in


@pytest.fixture
def stock(dbsession):
    for i in range(75):
        add_widget(dbsession, f"Widget {i:02d}" + (" bolt" if i % 3 == 0 else ""),
                   active=i % 4 != 0, components=[(f"C{i}-{j}", f"part {j}") for j in range(i % 3)])


def csv_rows(response):
    assert response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))


def all_list_rows(testapp, params):
    """Every row of the list page, following its pages."""
    rows, page = [], 1
    while True:
        response = testapp.get("/widgets", dict(params, page=page, per_page=20))
        cells = [[td.get_text(strip=True) for td in tr.find_all("td")[:3]]
                 for tr in response.html.select("#grid tbody tr")]
        rows += cells
        if not response.html.find("a", rel="next") or "disabled" in \
                response.html.find("a", rel="next").parent.get("class", []):
            return rows
        page += 1


def test_csv_matches_the_filtered_sorted_list_across_pages(testapp, stock):
    params = {"q": "bolt", "active": "yes", "sort": "components", "dir": "desc"}
    rows = csv_rows(testapp.get("/widgets/export.csv", params))
    assert rows[0] == ["UUID", "Description", "Active", "Components"]
    listed = all_list_rows(testapp, params)
    assert len(listed) > 0
    assert [r[1:] for r in rows[1:]] == listed
    assert all(len(r[0]) == 32 for r in rows[1:])


def test_csv_of_everything(testapp, stock):
    rows = csv_rows(testapp.get("/widgets/export.csv"))
    assert len(rows) == 76
    assert [r[1] for r in rows[1:4]] == ["Widget 00 bolt", "Widget 01", "Widget 02"]


def test_xlsx_has_the_same_cells(testapp, stock):
    params = {"q": "Widget 1", "sort": "description", "dir": "desc"}
    csv_body = csv_rows(testapp.get("/widgets/export.csv", params))
    response = testapp.get("/widgets/export.xlsx", params)
    assert response.content_type.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.body), read_only=True).active
    cells = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells == csv_body


def test_xlsx_keeps_formula_like_text_as_text(testapp, dbsession):
    add_widget(dbsession, '=HYPERLINK("http://evil.example","click")', components=[("=1+2", "+SUM(A1)")])
    for url, column in (("/widgets/export.xlsx", 1), ("/components/export.xlsx", 1)):
        sheet = load_workbook(io.BytesIO(testapp.get(url).body)).active
        cell = sheet.cell(row=2, column=column + 1)
        assert cell.data_type == "s", (url, cell.value)
        assert cell.value in ('=HYPERLINK("http://evil.example","click")', "=1+2")


def test_csv_neutralizes_formula_like_text(testapp, dbsession):
    add_widget(dbsession, "=1+2", components=[("@SUM", "-2+3")])
    add_widget(dbsession, "plain = text")
    rows = csv_rows(testapp.get("/widgets/export.csv"))
    assert [r[1] for r in rows[1:]] == ["'=1+2", "plain = text"]
    rows = csv_rows(testapp.get("/components/export.csv"))
    assert rows[1][1:3] == ["'@SUM", "'-2+3"]


# OWASP's list: a spreadsheet runs a cell starting with any of these as a formula.
@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_quotes_text_starting_with_each_formula_character(testapp, dbsession, start):
    add_widget(dbsession, start + "cmd|' /C calc'!A0")
    rows = csv_rows(testapp.get("/widgets/export.csv"))
    assert rows[1][1] == "'" + start + "cmd|' /C calc'!A0"


def test_components_export(testapp, dbsession):
    add_widget(dbsession, "Parent", components=[("B", "bolt"), ("A", "axle", False)])
    rows = csv_rows(testapp.get("/components/export.csv"))
    assert [r[1:] for r in rows] == [["Item Code", "Description", "Widget", "Active"],
                                     ["A", "axle", "Parent", "No"], ["B", "bolt", "Parent", "Yes"]]


def test_buttons_carry_the_current_search(testapp, stock):
    page = testapp.get("/widgets", {"q": "bolt", "sort": "components", "dir": "desc", "page": 2,
                                    "per_page": 20})
    link = page.html.find("a", string="Download CSV")["href"]
    assert "/widgets/export.csv?" in link and "q=bolt" in link and "sort=components" in link
    assert "page=" not in link
    assert page.html.find("a", string="Download XLSX")


def test_bad_parameters_answer_400(testapp):
    testapp.get("/widgets/export.csv", {"sort": "nope"}, status=400)
    testapp.get("/widgets/export.pdf", status=404)


def test_export_needs_its_permission(anonymous_app, dbsession):
    add_widget(dbsession, "Private")
    add_user(dbsession, "viewer", permissions=("widgets.list", "widgets.view"))
    log_in(anonymous_app, "viewer")
    anonymous_app.get("/widgets/export.csv", status=403)
    anonymous_app.get("/widgets/export.xlsx", status=403)
    assert "Download CSV" not in anonymous_app.get("/widgets").text
    assert grid_descriptions(anonymous_app.get("/widgets")) == ["Private"]
