"""The first sheet of an uploaded XLSX workbook, read within limits whatever the file claims.

An XLSX file is a zip of XML parts, and both can lie: a 5 KB sheet may declare
`<dimension ref="A1:XFD1048576"/>` (openpyxl then makes sixteen billion empty cells), a
160 KB part may unzip to one string of hundreds of megabytes, and XML may declare entities
that expand a billion times. So this reader trusts nothing declared and counts what it
reads: the zip's members, every part's unzipped bytes, rows, valued cells, columns, each
string's length, the shared strings kept in memory, and the time spent (`Limits`). Only
cells holding a value are kept, so empty rows and cells, however far, cost nothing.
XML with a DOCTYPE (the door to entities), malformed XML and formulas are refused, with
where. What goes wrong is an `XlsxRefused` whose message people can act on; `line` is the
sheet's row when there is one.

Values read as openpyxl gave them before: shared, inline and formula-result strings as text,
numbers as `42` or `1.5`, booleans as true/false, dates (by the cell's number format) as
`2026-01-31 00:00:00`.

The package: archive.py opens the zip and parses a part within the limits, parts.py reads
the parts around the sheet (where it is, its shared strings, its date formats), sheet.py
reads the sheet's rows.
"""
from .archive import Limits, XlsxRefused  # noqa: F401
from .sheet import SheetReader, count_rows  # noqa: F401
