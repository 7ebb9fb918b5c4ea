"""The first sheet's rows: only cells holding a value are kept, each within the limits."""
import re
from datetime import datetime

from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from .archive import Limits, Workbook, XlsxRefused, local_name
from .parts import date_styles, locate_parts, shared_strings


def _column_index(reference):
    """1 for A1, 27 for AA3; None when `reference` is not a cell reference."""
    letters = reference.rstrip("0123456789")
    if not letters or not letters.isalpha() or not letters.isupper() or len(letters) > 3:
        return None
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - 64
    return index


def _number_text(text, is_date):
    try:
        number = float(text) if any(c in text for c in ".eE") or is_date else int(text)
    except ValueError:
        return text
    if is_date:
        try:
            return str(from_excel(number))
        except (ValueError, OverflowError):
            return text
    if isinstance(number, float) and number.is_integer():
        return str(int(number))
    return str(number)


class _SheetState:
    """What the sheet's handlers gather: finished rows, and the row and cell being read."""

    def __init__(self, book, shared, dates):
        self.limits, self.shared, self.dates = book.limits, shared, dates
        self.ready = []  # (row number, fields) finished since the caller last took them
        self.row_number, self.cells, self.cell_count = 0, {}, 0
        self.column = 0  # of the last cell read in the row, valued or not
        self.cell = None  # (column, type, style) of the cell being read
        self.value = ""  # the text of its <v>, or of its inline string's <t>s
        self.collect = None  # which text is being gathered: "v", "t", "f"
        self.text = []

    def start(self, tag, attrs):
        tag = local_name(tag)
        if tag == "row":
            number = attrs.get("r")
            self.row_number = int(number) if number and number.isdigit() else self.row_number + 1
            if not 1 <= self.row_number <= self.limits.rows:
                raise XlsxRefused(f"row {self.row_number:,} is beyond the sheet's last row "
                                  f"({self.limits.rows:,})", self.row_number)
            self.cells, self.column = {}, 0
        elif tag == "c":
            reference = attrs.get("r")
            column = _column_index(reference) if reference else self.column + 1
            if column is None:
                raise XlsxRefused(f"a cell of row {self.row_number} has the malformed reference "
                                  f"{reference[:20]!r}", self.row_number)
            style = attrs.get("s", "0")
            self.cell = (column, attrs.get("t", "n"), int(style) if style.isdigit() else 0)
            self.column = column
        elif tag in ("v", "t", "f") and self.cell is not None:
            self.collect, self.text = tag, []

    def characters(self, data):
        if self.collect is not None:
            self.text.append(data)
            if sum(map(len, self.text)) > self.limits.string_chars:
                raise XlsxRefused(f"a cell of row {self.row_number} holds more than the "
                                  f"{self.limits.string_chars:,} characters a cell holds",
                                  self.row_number)

    def end(self, tag):
        tag = local_name(tag)
        if tag == "f" and self.cell is not None:
            formula = "".join(self.text)[:40]
            where = f"{get_column_letter(min(self.cell[0], 16384))}{self.row_number}"
            raise XlsxRefused(f"cell {where} holds a formula (={formula}); save values only",
                              self.row_number)
        if tag in ("v", "t") and self.collect == tag:
            # An inline string may come in runs (<is><r><t>..</t></r><r><t>..</t></r></is>).
            self.value = (self.value if tag == "t" else "") + "".join(self.text)
            self.collect = None
        elif tag == "c" and self.cell is not None:
            self._keep_cell()
        elif tag == "row":
            if self.cells:
                fields = [""] * max(self.cells)
                for column, value in self.cells.items():
                    fields[column - 1] = value
                self.ready.append((self.row_number, fields))
            self.cells = {}

    def _keep_cell(self):
        column, kind, style = self.cell
        raw, self.cell, self.value = self.value, None, ""
        if raw == "":
            return  # an empty cell, however far right, costs nothing
        if kind == "s":
            index = int(raw) if raw.isdigit() else -1
            if not 0 <= index < len(self.shared):
                raise XlsxRefused(f"a cell of row {self.row_number} refers to a shared string "
                                  "that is not there", self.row_number)
            value = self.shared[index]
        elif kind == "b":
            value = "true" if raw.strip() == "1" else "false"
        elif kind == "d":
            try:
                value = str(datetime.fromisoformat(raw.strip()))
            except ValueError:
                value = raw
        elif kind == "n":
            value = _number_text(raw.strip(), style in self.dates)
        else:  # inlineStr, str (a formula's cached text), e (#N/A)
            value = raw
        if column > self.limits.columns:
            raise XlsxRefused(f"cell {get_column_letter(min(column, 16384))}{self.row_number} "
                              f"holds a value beyond column "
                              f"{get_column_letter(self.limits.columns)}", self.row_number)
        self.cell_count += 1
        if self.cell_count > self.limits.cells:
            raise XlsxRefused(f"it holds more than {self.limits.cells:,} cells with values; "
                              "save it as CSV", self.row_number)
        self.cells[column] = value


class SheetReader:
    """Iterating gives (row number, [cell text, …]) for each row of the first sheet holding a
    value, in order; a row's list ends at its last valued cell. XlsxRefused when the file is
    no workbook or goes beyond `limits` (or past `deadline`, a time.monotonic() value)."""

    def __init__(self, path, limits=Limits(), deadline=None):
        self.book = Workbook(path, limits, deadline)
        self._rows = self._read()

    @property
    def bytes_read(self):
        """Unzipped bytes read so far, all parts together."""
        return self.book.bytes_read

    def __iter__(self):
        return self._rows

    def _read(self):
        book = self.book
        sheet, shared_name, styles = locate_parts(book)
        shared = shared_strings(book, shared_name) if shared_name else []
        dates = date_styles(book, styles) if styles else set()
        state = _SheetState(book, shared, dates)
        for _ in book.parse(sheet, start=state.start, end=state.end, text=state.characters,
                            limit=book.limits.part_bytes):
            ready, state.ready = state.ready, []
            yield from ready

    def close(self):
        self._rows.close()
        self.book.close()


_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s/>]")


def count_rows(path, limits=Limits()):
    """About how many rows the first sheet holds (its row tags, counted in the unzipped bytes
    without parsing them), for progress; None when it cannot say."""
    try:
        book = Workbook(path, limits)
    except XlsxRefused:
        return None
    try:
        count, tail = 0, b""
        for chunk in book.chunks(locate_parts(book)[0], limits.part_bytes):
            data = tail + chunk
            count += len(_ROW_TAG.findall(data))
            tail = data[-16:]
            count -= len(_ROW_TAG.findall(tail))  # counted again with the next chunk
        return count + len(_ROW_TAG.findall(tail))
    except XlsxRefused:
        return None
    finally:
        book.close()
