"""List exports: every row a list page's search, filters and sort select, streamed.

No HTTP here. Rows are read in batches from `open_session()`, a session of
their own (the request's transaction has ended by the time the response body
is sent), so memory stays flat however many rows there are.

Cells follow the column's type: CSV holds plain text (numbers with their
scale, dates ISO, date-times in the display time zone named in the header;
text a spreadsheet would run as a formula defused, numbers never);
XLSX cells are typed (numbers as numbers formatted with their scale, dates and
date-times as dates).
"""
import csv
import enum
import io
import os
import tempfile
from datetime import date, datetime, timezone

from ..display.labels import label_of
from ..display.values import enum_label, format_numeric, kind_of, to_display_zone

BATCH = 2000
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header row


def _header(grid, key_label, zone):
    header = [key_label]
    for column in grid.columns:
        if column.related is None and kind_of(column.type) == "datetime":
            header.append(f"{column.label} ({_zone_name(zone)})")
        else:
            header.append(column.label)
    return header


def _zone_name(zone):
    return "UTC" if zone is timezone.utc else str(zone)


def _rows(open_session, grid, state):
    """One list of cell values per row, in the list page's order.

    Loaded objects are only weakly held by the session, so each batch is
    freed once written.
    """
    with open_session() as session:
        query = grid.with_values(grid.ordered(state)).execution_options(yield_per=BATCH)
        for batch in session.execute(query).partitions():
            for row in batch:
                instance, cells = grid.cells(row)
                yield [getattr(instance, grid.key.key)] + cells


def _converters(grid, zone, typed):
    """Per cell of a row (the key first), value -> what the file holds."""
    def plain(column):
        labels = dict(column.choices)
        scale = getattr(column.type, "scale", None)
        if column.related is None and not labels and kind_of(column.type) in ("string", "text", "integer"):
            blank = None if typed else ""
            return lambda value: blank if value is None else value  # as stored (most cells)

        def convert(value):
            if value is None:
                return None if typed else ""
            if column.related is not None:
                return label_of(value)
            if value is True or value is False:
                return "Yes" if value else "No"
            if isinstance(value, enum.Enum):
                return labels.get(value) or enum_label(value)
            if isinstance(value, datetime):
                local = to_display_zone(value, zone).replace(tzinfo=None)
                return local if typed else local.strftime("%Y-%m-%d %H:%M:%S")
            if isinstance(value, date):
                return value if typed else value.isoformat()
            if isinstance(value, (int, float)) or hasattr(value, "is_finite"):
                return value if typed else format_numeric(value, scale)
            if labels and value in labels:
                return str(labels[value])
            return value
        return convert

    return [plain(type("KeyColumn", (), {"related": None, "choices": (), "type": grid.key.type}))] + [
        plain(column) for column in grid.columns]


# A spreadsheet opening a CSV runs a cell starting with one of these as a
# formula; OWASP's advice is to make such text start with a quote instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _as_is(value):
    return value


def _guards(grid):
    """Per cell of a row: the formula guard for text, nothing for numbers ("-1.00" is a number)."""
    return [_csv_text] + [_as_is if column.numeric else _csv_text for column in grid.columns]


def csv_chunks(open_session, grid, state, key_label="UUID", zone=timezone.utc):
    """UTF-8 CSV (with a BOM, so spreadsheet programs read accents right), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(_header(grid, key_label, zone))
    converters = [(convert, guard) for convert, guard in
                  zip(_converters(grid, zone, typed=False), _guards(grid))]
    for count, cells in enumerate(_rows(open_session, grid, state), start=1):
        writer.writerow([guard(convert(v)) for (convert, guard), v in zip(converters, cells)])
        if count % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


NUMBER_FORMATS = {"date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss"}


def xlsx_chunks(open_session, grid, state, key_label="UUID", zone=timezone.utc, chunk_size=1 << 16):
    """An XLSX workbook: written row by row to a temporary file, then sent in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Export")
    sheet.append([_xlsx_cell(sheet, v) for v in _header(grid, key_label, zone)])
    converters = list(zip(_converters(grid, zone, typed=True), _number_formats(grid)))
    for cells in _rows(open_session, grid, state):
        sheet.append([_xlsx_cell(sheet, convert(v), number_format)
                      for (convert, number_format), v in zip(converters, cells)])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while chunk := file.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)


def _number_formats(grid):
    """Per cell of a row, the number format of a number column: its scale ("0.00" for
    Numeric(10, 2), "0" for whole numbers), so 100.50 shows as 100.50; None otherwise."""
    formats = [None]
    for column in grid.columns:
        kind = kind_of(column.type) if column.related is None else None
        scale = getattr(column.type, "scale", None)
        if kind == "integer" or (kind == "numeric" and scale == 0):
            formats.append("0")
        elif kind == "numeric" and scale:
            formats.append("0." + "0" * scale)
        else:
            formats.append(None)
    return formats


def _xlsx_cell(sheet, value, number_format=None):
    """A cell showing `value` as it is: openpyxl stores text that starts with "="
    as a formula, which the spreadsheet would run (formula injection); dates get
    a date format, numbers their column's."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if cell.data_type == "f":
        cell.data_type = "s"
    if number_format and cell.data_type == "n":
        cell.number_format = number_format
    elif isinstance(value, datetime):
        cell.number_format = NUMBER_FORMATS["datetime"]
    elif isinstance(value, date):
        cell.number_format = NUMBER_FORMATS["date"]
    return cell
