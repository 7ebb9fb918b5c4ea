"""The XLSX reader's limits, whatever the file claims (batch/xlsx.py)."""
import tracemalloc

import pytest

from poser_web.batch import xlsx
from tests.batch import xlsx_files as make


def read(data, tmp_path, **limits):
    path = tmp_path / "upload.xlsx"
    path.write_bytes(data)
    reader = xlsx.SheetReader(str(path), xlsx.Limits(**limits))
    try:
        return list(reader)
    finally:
        reader.close()


def peak_memory(work):
    """(what `work()` returns, the most memory it held at once): a bound that a reader
    building what a file only claims, or expanding entities, would break on any machine."""
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def refused(data, tmp_path, **limits):
    with pytest.raises(xlsx.XlsxRefused) as caught:
        read(data, tmp_path, **limits)
    return str(caught.value)


def test_a_claimed_dimension_costs_nothing(tmp_path):
    """openpyxl made 16,384 cells for each of a million rows the dimension claimed."""
    data = make.workbook(make.sheet(make.header_row() + '<row r="1048576"/>',
                                    before='<dimension ref="A1:XFD1048576"/>'))
    rows, peak = peak_memory(lambda: read(data, tmp_path))
    assert rows == [(1, list(make.HEADER))]
    assert peak < 2 << 20  # the claimed million rows, built, would take gigabytes


def test_empty_cells_however_far_cost_nothing(tmp_path):
    far = '<row r="2"><c r="XFD2" s="1"/><c r="XFC2"><v></v></c></row>'
    assert read(make.workbook(make.sheet(make.header_row() + far)), tmp_path) == [
        (1, list(make.HEADER))]


@pytest.mark.parametrize("rows_xml, message", [
    ('<row r="1048577">' + make.cell("A1048577", "x") + "</row>", "row 1,048,577 is beyond"),
    ('<row r="2">' + make.cell("XFD2", "x") + "</row>", "cell XFD2 holds a value beyond column IV"),
    ('<row r="2"><c r="2A" t="inlineStr"><is><t>x</t></is></c></row>', "malformed reference"),
    ('<row r="2"><c r="A2" t="s"><v>7</v></c></row>', "a shared string that is not there"),
    ('<row r="2"><c r="C2"><f>SUM(A1:A9)</f><v>3</v></c></row>', "cell C2 holds a formula (=SUM"),
])
def test_what_a_sheet_may_not_hold(tmp_path, rows_xml, message):
    assert message in refused(make.workbook(make.sheet(make.header_row() + rows_xml)), tmp_path)


def test_a_huge_shared_string_is_refused_after_reading_little(tmp_path):
    """A 160 KB file whose one string unzips to 40 MB (the issue's took the server to 524 MB)."""
    data = make.huge_shared_string(40 << 20)
    assert len(data) < 200_000
    message, peak = peak_memory(lambda: refused(data, tmp_path))
    assert "longer than the 32,767 characters a cell holds" in message
    assert peak < 5 << 20


@pytest.mark.parametrize("limit, message", [
    ({"shared_strings": 2}, "more than 2 strings"),
    ({"shared_chars": 2}, "or 2 characters of them"),
    ({"cells": 6}, "more than 6 cells with values"),
    ({"part_bytes": 300}, "unzips to"),
    ({"entries": 4}, "more than 4 files inside"),
    ({"seconds": 0}, "took longer than the 0 seconds"),
    ({"string_chars": 5}, "more than the 5 characters a cell holds"),
])
def test_each_limit(tmp_path, limit, message):
    shared = (f'<sst xmlns="{make.MAIN}">' + "<si><t>a</t></si>" * 3 + "</sst>")
    data = make.workbook(make.sheet(make.header_row() + make.row(2, ("widget", "", "x" * 9))),
                         shared_xml=shared)
    assert message in refused(data, tmp_path, **limit)


@pytest.mark.parametrize("part, xml, message", [
    ("sheet", make.XXE, "declares a DOCTYPE"),
    ("shared", make.BILLION_LAUGHS, "declares a DOCTYPE"),
    ("sheet", make.sheet(make.header_row())[:-30], "is not well-formed XML"),
    ("shared", "<sst><si><t>a</si></sst>", "is not well-formed XML (mismatched tag"),
])
def test_malformed_xml_and_entities_are_refused(tmp_path, part, xml, message):
    data = (make.workbook(xml) if part == "sheet" else
            make.workbook(make.sheet(make.header_row()), shared_xml=xml))
    reason, peak = peak_memory(lambda: refused(data, tmp_path))
    assert message in reason
    assert peak < 2 << 20  # refused before any entity is expanded


def test_not_a_zip_or_no_sheet(tmp_path):
    assert "not a zip archive" in refused(b"PK\x03\x04 and then nothing", tmp_path)
    broken = make.workbook(make.sheet(make.header_row()),
                           workbook_xml=make.WORKBOOK.replace('r:id="rId1"', 'r:id="rId9"'))
    assert "names no sheet" in refused(broken, tmp_path)


def test_values_read_as_openpyxl_gave_them(tmp_path):
    import datetime

    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["text", 42, 1.5, 2.0, True, datetime.date(2026, 1, 31), None, "end"])
    path = tmp_path / "values.xlsx"
    book.save(path)
    assert read(path.read_bytes(), tmp_path) == [
        (1, ["text", "42", "1.5", "2", "true", "2026-01-31 00:00:00", "", "end"])]


def test_cells_without_references_follow_the_one_before(tmp_path):
    cells = ('<row r="1"><c t="inlineStr"><is><t>a</t></is></c><c/>'
             '<c t="inlineStr"><is><r><t>b</t></r><r><t>c</t></r></is></c></row>')
    assert read(make.workbook(make.sheet(cells)), tmp_path) == [(1, ["a", "", "bc"])]
