r"""Widgets and their components in and out of CSV files: `poser export` and `poser import`.

The CSV layout
==============

- UTF-8 (a byte order mark is accepted on import, never written), comma separated, a field
  quoted only when it needs to be (with ``"`` doubled inside), lines ending in ``\n``
  (``\r\n`` is accepted on import).
- The first line is the header, exactly::

      type,uuid,description,active,item_code

- Then a ``widget`` row, followed by the ``component`` rows of that widget; then the next
  widget row and its components, and so on. A component row belongs to the widget row above
  it. A widget may have no component rows.

  - ``type``: ``widget`` or ``component``.
  - ``uuid``: the key, 32 lowercase hex digits; empty for a new row.
  - ``description``: required, at most 255 characters.
  - ``active``: ``true`` or ``false`` (``yes``/``no`` and ``1``/``0`` are read too, in any case).
  - ``item_code``: empty on a widget row; required on a component row, at most 20 characters.

- Keys are the uuids. A row with an empty uuid is new: it is created, with a fresh uuid, each
  time the file is imported. A row whose uuid is not in the database yet is created with that
  uuid (so export, import into an empty database, export again gives the same file). A row
  whose uuid is in the database updates that record.
- A widget row lists the widget's full set of components: components of an imported widget
  that are not in the file are deleted. With ``--delete-missing``, widgets that are not in the
  file at all are deleted too, with their components; without it they are left alone.
- Text is trimmed of surrounding white space, as the web form does.
- Export order: widgets by description, then uuid; each widget's components by item code, then
  uuid (the order the web pages show; text sorts in the database's collation).

Import rules
============

The file is read, checked and written a chunk of widgets at a time, in one transaction: the first
bad line stops the import with ``line N: reason`` (exit status 2) and nothing is written. A
file is refused for: a wrong or missing header; bytes that are not UTF-8; a row without exactly
5 fields or with broken quoting; an unknown type; a component row before any widget row; a
blank description, item code or active; a value longer than its column (description 255,
item_code 20); an item code on a widget row; an active that is not true/false; a uuid that is
not 32 lowercase hex digits; the same uuid twice in the file; a component whose uuid belongs to
another widget in the database (moving a component between widgets is not an import's job);
control characters (NUL and the like; tabs and line breaks are fine) in a value; more
components under one widget than the web form allows (200).

Importing the same file twice changes nothing the second time (when every row has its uuid, as
an exported file does). The import prints, for widgets and for components, how many were
created, updated, deleted and left unchanged; a widget counts as updated when its own fields or
any of its components changed. ``--dry-run`` prints the same and writes nothing.

Every widget an import creates, updates or deletes gets a history entry (source ``import``, user
``--runas NAME``, which must be an existing user; no user when it is omitted) with the same
differences the web form records, and the version of an updated widget goes up by one. An
export changes no data and records nothing. Both show progress on stderr: a bar on a terminal,
otherwise a line per tenth of a long run.
"""
from .exporter import export_file, run_export  # noqa: F401
from .importer import ImportReport, import_file, run_import  # noqa: F401
from .layout import HEADER, LayoutError  # noqa: F401
