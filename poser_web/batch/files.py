"""Files a batch is made from: which kind they are, whether they can be read at all, and their
rows (CSV through `transfer.layout`, XLSX through openpyxl, both in the `poser export` layout).

`inspect` refuses, with a message people can act on, a file that is empty, of another type,
not UTF-8 (CSV), holding formulas (XLSX), or without the layout's header line.
"""
import codecs
import zipfile
from contextlib import contextmanager

from ..transfer.layout import LayoutError
from ..transfer.reading import count_lines, decoded_lines

ZIP_MAGIC = b"PK\x03\x04"
KINDS = ("csv", "xlsx")


class FileRefused(Exception):
    """A file that cannot be made into a batch; the message says why."""


def kind_of(name):
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if suffix in KINDS else None


def inspect(path, name, layout):
    """The kind ('csv' or 'xlsx') of the file at `path` uploaded as `name`; FileRefused when
    it cannot be read as `layout` (a transfer.layout.FileLayout)."""
    kind = kind_of(name)
    with open(path, "rb") as stream:
        start = stream.read(8192)
        if not start:
            raise FileRefused("The file is empty: nothing to import.")
        if kind is None:
            raise FileRefused(f"“{name}” is not a CSV or XLSX file: upload the layout "
                              "`poser export` writes (.csv), or the same columns as .xlsx.")
        if kind == "xlsx":
            if not start.startswith(ZIP_MAGIC):
                raise FileRefused(f"“{name}” is not an XLSX workbook (an .xlsx file is a zip "
                                  "archive); save it from the spreadsheet as .xlsx or .csv.")
            _inspect_xlsx(path, layout)
            return kind
        if start.startswith(ZIP_MAGIC) or b"\x00" in start:
            raise FileRefused(f"“{name}” is not a text file; a CSV file is text (UTF-8).")
        stream.seek(0)
        _check_utf8(stream)
        stream.seek(0)
        try:
            layout.check_header(stream)
        except LayoutError as error:
            raise FileRefused(str(error)) from None
    return kind


def _check_utf8(stream):
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        stream.seek(0)
        try:
            for _ in decoded_lines(stream, 0):
                pass
        except LayoutError as error:
            raise FileRefused(str(error)) from None
        raise FileRefused("the file is not UTF-8 text; save it as UTF-8") from None


def _inspect_xlsx(path, layout):
    reader = XlsxReader(path, layout)
    try:
        rows = iter(reader)
        layout.read_header(rows)
        for _ in rows:  # formulas are refused here, before anything is made
            pass
    except LayoutError as error:
        raise FileRefused(str(error)) from None
    finally:
        reader.detach()


class XlsxReader:
    """The first sheet's rows as (line, fields), like `reading.Reader` (line: the row number).

    A formula is refused: the batch imports values, and a formula's value is whatever the
    spreadsheet last computed, if anything.
    """

    def __init__(self, path, layout):
        import openpyxl
        from openpyxl.utils import get_column_letter

        self._letter = get_column_letter
        self._file = open(path, "rb")  # a file object: openpyxl would judge a path by its suffix
        try:
            self.workbook = openpyxl.load_workbook(self._file, read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
            self._file.close()
            raise FileRefused(f"the file is not a readable XLSX workbook ({error})") from None
        self.sheet = self.workbook.worksheets[0]
        self.width = len(layout.header)
        self._rows = self._generate()

    def __iter__(self):
        return self._rows

    def _generate(self):
        for row in self.sheet.iter_rows():
            if not row:
                continue
            line = getattr(row[0], "row", None)
            fields = []
            for index, cell in enumerate(row):
                if getattr(cell, "data_type", None) == "f":
                    where = f"{self._letter(index + 1)}{line}"
                    raise LayoutError(line, f"cell {where} holds a formula "
                                                   f"({str(cell.value)[:40]}); save values only")
                fields.append(_cell_text(cell.value))
            while len(fields) > self.width and not fields[-1]:
                fields.pop()
            if not any(fields):
                continue
            if line is None:
                continue
            fields += [""] * (self.width - len(fields))
            yield line, fields

    def detach(self):
        if self.workbook is not None:
            self.workbook.close()
            self.workbook = None
            self._file.close()


def _cell_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@contextmanager
def opened(path, kind, layout):
    """(binary stream or None, reader or None) for `FileLayout.records`."""
    if kind == "xlsx":
        reader = XlsxReader(path, layout)
        try:
            yield None, reader
        finally:
            reader.detach()
    else:
        with open(path, "rb") as stream:
            yield stream, None


def count_rows(path, kind, layout):
    """Rows to read (for progress): lines of a CSV, the sheet's rows of an XLSX."""
    if kind == "xlsx":
        reader = XlsxReader(path, layout)
        try:
            return max((reader.sheet.max_row or 1) - 1, 0)
        finally:
            reader.detach()
    with open(path, "rb") as stream:
        return max(count_lines(stream) - 1, 0)
