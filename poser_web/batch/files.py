"""Files a batch is made from: which kind they are, whether they can be read at all, and their
rows (CSV through `transfer.reading`, XLSX through `xlsx`, both in a table's file layout).

`inspect` refuses, with a message people can act on, a file that is empty, of another type,
not UTF-8 (CSV), beyond the reader's limits or holding formulas (XLSX), or without the
layout's header line. It reads no longer than the `budget` it is given (the upload page's
few seconds): what it has not read by then is read, within the same limits, when the batch
is populated in the background.
"""
import codecs
import time
from contextlib import contextmanager
from dataclasses import dataclass

from ..transfer.layout import LayoutError
from ..transfer.reading import count_lines, decoded_lines
from . import xlsx

ZIP_MAGIC = b"PK\x03\x04"
KINDS = ("csv", "xlsx")
CHECK_SECONDS = 3.0  # how long the upload page reads an XLSX file before answering


class FileRefused(Exception):
    """A file that cannot be made into a batch; the message says why."""


@dataclass(frozen=True)
class Inspected:
    kind: str  # "csv" or "xlsx"
    work: int | None  # bytes populating it reads (XLSX: unzipped); None: not read to the end


def kind_of(name):
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if suffix in KINDS else None


def inspect(path, name, layout, budget=None):
    """The kind of the file at `path` uploaded as `name`, and what populating it reads;
    FileRefused when it cannot be read as `layout` (a transfer.layout.FileLayout). Reads
    `budget` seconds at most."""
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
            return Inspected(kind, _inspect_xlsx(path, layout, budget))
        if start.startswith(ZIP_MAGIC) or b"\x00" in start:
            raise FileRefused(f"“{name}” is not a text file; a CSV file is text (UTF-8).")
        stream.seek(0)
        _check_utf8(stream)
        size = stream.tell()
        stream.seek(0)
        try:
            layout.check_header(stream)
        except LayoutError as error:
            raise FileRefused(str(error)) from None
    return Inspected(kind, size)


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


def _inspect_xlsx(path, layout, budget):
    """Unzipped bytes read (None: stopped at `budget` seconds); formulas, malformed XML and
    anything beyond the limits are refused here, before anything is made."""
    reader = XlsxReader(path, layout)
    stop = time.monotonic() + budget if budget is not None else None
    try:
        rows = iter(reader)
        layout.read_header(rows)
        for _ in rows:
            if stop is not None and time.monotonic() > stop:
                return None
        return reader.bytes_read
    except LayoutError as error:
        raise FileRefused(str(error)) from None
    finally:
        reader.detach()


class XlsxReader:
    """The first sheet's rows as (line, fields), like `reading.Reader` (line: the row number),
    read by `xlsx.SheetReader` within its limits. A formula is refused: the batch imports
    values, and a formula's value is whatever the spreadsheet last computed, if anything."""

    def __init__(self, path, layout, limits=xlsx.Limits()):
        try:
            self._sheet = xlsx.SheetReader(path, limits)
        except xlsx.XlsxRefused as error:
            raise _refusal(error) from None
        self.width = len(layout.header)
        self._rows = self._generate()

    @property
    def bytes_read(self):
        return self._sheet.bytes_read

    def __iter__(self):
        return self._rows

    def _generate(self):
        try:
            for line, fields in self._sheet:
                while len(fields) > self.width and not fields[-1]:
                    fields.pop()
                yield line, fields + [""] * (self.width - len(fields))
        except xlsx.XlsxRefused as error:
            raise _refusal(error) from None

    def detach(self):
        self._sheet.close()


def _refusal(error):
    """A LayoutError naming the row, or a FileRefused for the file as a whole."""
    if error.line is not None:
        return LayoutError(error.line, str(error))
    return FileRefused(f"the file is not a readable XLSX workbook: {error}")


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
    """Rows to read (for progress): lines of a CSV, about the sheet's rows of an XLSX (None
    when it cannot say)."""
    if kind == "xlsx":
        count = xlsx.count_rows(path)
        return max(count - 1, 0) if count is not None else None
    with open(path, "rb") as stream:
        return max(count_lines(stream) - 1, 0)
