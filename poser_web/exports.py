"""List exports: every row a list page's search, filters and sort select, streamed.

No HTTP here. Rows are read in batches from `open_session()`, a session of
their own (the request's transaction has ended by the time the response body
is sent), so memory stays flat however many rows there are.
"""
import csv
import io
import os
import tempfile

BATCH = 2000
XLSX_MAX_ROWS = 1_048_575  # Excel's limit, less the header row


def _rows(open_session, grid, state, key_label):
    """Header, then one list of cell values per row, in the list page's order.

    Loaded objects are only weakly held by the session, so each batch is
    freed once written.
    """
    yield [key_label] + [column.label for column in grid.columns]
    with open_session() as session:
        query = grid.with_values(grid.ordered(state)).execution_options(yield_per=BATCH)
        for batch in session.execute(query).partitions():
            for row in batch:
                instance, cells = grid.cells(row)
                yield [getattr(instance, grid.key.key)] + cells


def _text(value):
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return "" if value is None else value


# A spreadsheet opening a CSV runs a cell starting with one of these as a
# formula; OWASP's advice is to make such text start with a quote instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(open_session, grid, state, key_label="UUID"):
    """UTF-8 CSV (with a BOM, so spreadsheet programs read accents right), in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    for count, cells in enumerate(_rows(open_session, grid, state, key_label)):
        writer.writerow([_csv_text(_text(v)) for v in cells])
        if count % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(open_session, grid, state, key_label="UUID", chunk_size=1 << 16):
    """An XLSX workbook: written row by row to a temporary file, then sent in chunks."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Export")
    for cells in _rows(open_session, grid, state, key_label):
        sheet.append([_xlsx_cell(sheet, _text(v)) for v in cells])
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(path)
        with open(path, "rb") as file:
            while chunk := file.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)


def _xlsx_cell(sheet, value):
    """A cell showing `value` as it is: openpyxl stores text that starts with "="
    as a formula, which the spreadsheet would run (formula injection)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell
