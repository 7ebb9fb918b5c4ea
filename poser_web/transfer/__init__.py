r"""Any table's records in and out of CSV files: `poser export` and `poser import`, the "Download
for import" of list pages and the import batches, all by the same rules.

The file layout of a table comes from its TableSpec (models/catalog.py), see layout.py:

- UTF-8 (a byte order mark is accepted on import, never written), comma separated, a field
  quoted only when it needs to be (``"`` doubled inside), lines ending in ``\n`` (``\r\n`` is
  accepted on import).
- The header: ``type``, the key (``uuid``), the table's fields (every column but the key, the
  version and ``__audit_exclude__``), then the child rows' fields the table lacks. Widgets:
  ``type,uuid,description,active,item_code``.
- A record's row (type: the table's entity, ``widget``), followed by its child rows (type: the
  child's row type, ``component``); a column of the other kind of row stays empty.
- Keys are the uuids: empty for a new row (created with a fresh key each time the file is
  imported); a key not in the database yet is created with that key (export, import into an
  empty database, export again gives the same file); a key in the database updates it.
- A record's row lists its full set of child rows: those not in the file are deleted. With
  ``--delete-missing`` (a batch's "delete records the file leaves out"), records the file does
  not name at all are deleted too, with their child rows; a record named anywhere in the file,
  even in a row with an error, never is.
- Values (values.py): text trimmed, booleans true/false (yes/no and 1/0 read too), numbers as
  digits within the column's limits, dates ISO, date-times ISO in UTC, choices as stored,
  foreign keys as the referenced record's key (which must exist).
- Export order: the list's default sort, then the key; child rows in their relationship's order.

Import rules: the file is read, checked and written a chunk of records at a time in one
transaction; the first bad line stops the import with ``line N: reason`` and nothing is written.
Importing the same file twice changes nothing the second time. Every record an import creates,
updates or deletes gets a history entry (source ``import``, user ``--runas``).
"""
from .exporter import export_file, run_export  # noqa: F401
from .importer import ImportReport, import_file, run_import  # noqa: F401
from .layout import FileLayout, LayoutError  # noqa: F401
