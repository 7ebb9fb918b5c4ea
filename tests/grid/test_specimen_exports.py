"""Downloads of a table declared by names: CSV plain by type, XLSX cells typed."""
import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tests.helpers import add_widget
from tests.sample.models import Size
from tests.specimens import add_specimen


@pytest.fixture
def two(dbsession):
    widget = add_widget(dbsession, "Wa")
    full = add_specimen(dbsession, "Full", notes="=cmd|' /C calc'!A0", quantity=12,
                        weight=Decimal("3.250"), active=False, received=date(2026, 5, 6),
                        checked_at=datetime(2026, 5, 6, 7, 8, 9), color="blue", size=Size.medium,
                        widget=widget)
    empty = add_specimen(dbsession, "Empty")
    return full, empty


HEADER = ["UUID", "Name", "Notes", "Quantity", "Weight", "Active", "Received", "Checked At (UTC)",
          "Color", "Size", "Widget", "Spare Part"]


def test_csv_is_plain_text_by_type(testapp, two):
    full, empty = two
    response = testapp.get("/specimens/export.csv", {"sort": "weight"})
    rows = list(csv.reader(io.StringIO(response.body.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert rows[1] == [full.uuid, "Full", "'=cmd|' /C calc'!A0", "12", "3.250", "No", "2026-05-06",
                       "2026-05-06 07:08:09", "blue", "medium", "Wa", ""]
    assert rows[2] == [empty.uuid, "Empty", "", "", "", "Yes", "", "", "", "", "", ""]


def test_xlsx_cells_are_typed(testapp, two):
    _full, _empty = two
    response = testapp.get("/specimens/export.xlsx", {"sort": "weight"})
    sheet = load_workbook(io.BytesIO(response.body)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(min_row=1)]
    assert [c.value for c in rows[0]] == HEADER
    cells = {header: cell for header, cell in zip(HEADER, rows[1])}
    assert cells["Quantity"].value == 12 and cells["Quantity"].data_type == "n"
    assert cells["Weight"].value == pytest.approx(3.25) and cells["Weight"].data_type == "n"
    assert cells["Received"].value == datetime(2026, 5, 6) and cells["Received"].is_date
    assert cells["Received"].number_format == "yyyy-mm-dd"
    assert cells["Checked At (UTC)"].value == datetime(2026, 5, 6, 7, 8, 9)
    assert cells["Checked At (UTC)"].is_date
    assert cells["Notes"].data_type == "s" and cells["Notes"].value == "=cmd|' /C calc'!A0"
    assert [cells[h].value for h in ("Active", "Color", "Size", "Widget")] == ["No", "blue", "medium", "Wa"]
    assert [c.value for c in rows[2]][1:] == ["Empty", None, None, None, "Yes", None, None, None,
                                              None, None, None]


def test_numbers_are_never_taken_for_formulas_and_keep_their_scale(testapp, dbsession):
    """CSV: "-1.000" stays "-1.000" (the formula guard is for text); XLSX: a Numeric(10, 3)
    cell shows three decimals (100.500, not 100.5)."""
    add_specimen(dbsession, "-dash", notes="-1.5", quantity=-7, weight=Decimal("-1.000"))
    add_specimen(dbsession, "plain", weight=Decimal("100.5"))
    rows = list(csv.reader(io.StringIO(testapp.get(
        "/specimens/export.csv", {"sort": "weight"}).body.decode("utf-8-sig"))))
    cells = {row[1]: dict(zip(HEADER, row)) for row in rows[1:]}
    assert ("'-dash", "'-1.5", "-7", "-1.000") == (
        rows[1][1], cells["'-dash"]["Notes"], cells["'-dash"]["Quantity"], cells["'-dash"]["Weight"])
    assert cells["plain"]["Weight"] == "100.500"
    sheet = load_workbook(io.BytesIO(testapp.get(
        "/specimens/export.xlsx", {"sort": "weight"}).body)).active
    weights = [row[HEADER.index("Weight")] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in weights] == [-1, 100.5]
    assert [c.number_format for c in weights] == ["0.000", "0.000"]
    quantity = next(iter(sheet.iter_rows(min_row=2)))[HEADER.index("Quantity")]
    assert (quantity.value, quantity.number_format) == (-7, "0")
