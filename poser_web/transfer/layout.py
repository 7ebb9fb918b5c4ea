"""The CSV layout of widgets and components (see the package docstring): writing and checking rows.

Reading is strict and all-or-nothing: `read_file` returns every widget with its components,
or raises `LayoutError` naming the first line that is wrong and why.
"""
import codecs
import csv
import io
import re
from dataclasses import dataclass, field

HEADER = ("type", "uuid", "description", "active", "item_code")
WIDGET, COMPONENT = "widget", "component"
MAX_DESCRIPTION = 255  # poser_widget.description, poser_component.description
MAX_ITEM_CODE = 20  # poser_component.item_code
# The web form's limit (tables/widgets/schema.py MAX_COMPONENTS): an import must not make a widget
# that the form then refuses to save.
MAX_COMPONENTS = 200

TRUE_WORDS = frozenset({"true", "yes", "1"})
FALSE_WORDS = frozenset({"false", "no", "0"})
_UUID = re.compile(r"[0-9a-f]{32}")
# The same characters the web form refuses (NUL above all); tab and line breaks are allowed.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Line ends written on export (import accepts \r\n too).
LINE_END = "\n"


class LayoutError(Exception):
    """A file that does not follow the layout: `line` (1-based) and `reason`."""

    def __init__(self, line, reason):
        super().__init__(f"line {line}: {reason}")
        self.line, self.reason = line, reason


@dataclass(slots=True)
class ComponentRow:
    line: int
    uuid: str | None
    item_code: str
    description: str
    active: bool


@dataclass(slots=True)
class WidgetRow:
    line: int
    uuid: str | None
    description: str
    active: bool
    components: list = field(default_factory=list)


# Writing ------------------------------------------------------------------------------------

def writer(text_stream):
    return csv.writer(text_stream, lineterminator=LINE_END)


def format_active(value):
    return "true" if value else "false"


def widget_fields(uuid, description, active):
    return (WIDGET, uuid, description, format_active(active), "")


def component_fields(uuid, item_code, description, active):
    return (COMPONENT, uuid, description, format_active(active), item_code)


# Reading ------------------------------------------------------------------------------------

def count_lines(binary_stream):
    """Physical lines in a seekable file (for progress), leaving it at its start."""
    count, last = 0, b""
    for chunk in iter(lambda: binary_stream.read(1 << 20), b""):
        count += chunk.count(b"\n")
        last = chunk
    binary_stream.seek(0)
    return count + (1 if last and not last.endswith(b"\n") else 0)


def _decoded_lines(binary_stream, skip):
    """Lines decoded one by one after the first `skip` (slow: for files with bad bytes)."""
    for number, raw in enumerate(binary_stream, 1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise LayoutError(number, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at column "
                                      f"{error.start + 1}); save the file as UTF-8") from None
        if number > skip:
            yield line


class Reader:
    """Rows of a binary file, decoded and split, each with the line it starts on.

    Decoding is done in C by a TextIOWrapper, which decodes ahead of the rows read; when it
    meets bytes that are not UTF-8, reading goes on line by line from the row it was at, so
    the first bad line is still the one reported, whatever is wrong with it.
    """

    def __init__(self, binary_stream):
        self._binary = binary_stream
        self._text = io.TextIOWrapper(binary_stream, encoding="utf-8-sig", newline="")
        self._csv = csv.reader(self._text, strict=True)
        self._offset = 0  # lines before the ones self._csv reads
        self._rows = self._generate()

    def __iter__(self):
        """(line, fields) of each row that is not blank; line: where the row starts."""
        return self._rows

    def _generate(self):
        while True:
            reader, offset = self._csv, self._offset
            last = reader.line_num
            try:
                for fields in reader:
                    start, last = offset + last + 1, reader.line_num
                    if fields:  # blank lines are skipped
                        yield start, fields
                self.detach()
                return
            except csv.Error as error:
                raise LayoutError(offset + last + 1, f"not valid CSV: {error}") from None
            except UnicodeDecodeError:
                self._read_slowly_from(offset + last + 1)

    def _read_slowly_from(self, line):
        binary = self.detach()
        binary.seek(0)
        self._csv = csv.reader(_decoded_lines(binary, line - 1), strict=True)
        self._offset = line - 1

    def detach(self):
        """Give the binary file back (the wrapper must not close it)."""
        if self._text is not None:
            self._text.detach()
            self._text = None
        return self._binary

    def read_header(self):
        read_header(self._rows)


def read_header(rows):
    """Check the first of `rows` ((line, fields) pairs) is the header."""
    try:
        line, fields = next(rows)
    except StopIteration:
        raise LayoutError(1, f"the file is empty; the first line must be {','.join(HEADER)}") \
            from None
    if tuple(str(name).strip().lower() for name in fields) != HEADER:
        found = ",".join(fields)
        found = found if len(found) <= 80 else found[:77] + "..."
        raise LayoutError(line, f"wrong header {found!r}; expected {','.join(HEADER)}")


def check_header(binary_stream):
    """Refuse a file whose first line is not the header; leaves the file at its start."""
    reader = Reader(binary_stream)
    try:
        reader.read_header()
    finally:
        reader.detach().seek(0)


def _text(value, name, limit, line):
    value = value.strip()
    if not value:
        raise LayoutError(line, f"{name} is required")
    if len(value) > limit:
        raise LayoutError(line, f"{name} is too long: {len(value)} characters, at most {limit}")
    if _CONTROL_CHARACTERS.search(value):
        raise LayoutError(line, f"{name} contains control characters that cannot be stored")
    return value


def _active(value, line):
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if not word:
        raise LayoutError(line, "active is required (true or false)")
    raise LayoutError(line, f"active must be true or false, not {value.strip()[:40]!r}")


def _uuid(value, line, seen):
    value = value.strip()
    if not value:
        return None
    if not _UUID.fullmatch(value):
        raise LayoutError(line, f"malformed uuid {value[:40]!r}: expected 32 lowercase hex "
                                "digits, or nothing for a new row")
    first = seen.get(value)
    if first is not None:
        raise LayoutError(line, f"uuid {value} appears twice in the file (first on line {first})")
    seen[value] = line
    return value


@dataclass(slots=True)
class ErrorRow:
    """Rows that cannot be imported (a batch keeps them, with the first line that is wrong)."""
    line: int  # the first bad line
    reason: str
    start: int  # the group's first line
    uuid: str | None = None  # the widget's, when its own row was good


def read_file(binary_stream, component_owners=None, progress=None):
    """Every widget of the file with its components, after checking every row.

    `component_owners`: {component uuid: widget uuid} of the database, to refuse a component
    that belongs to another widget. `progress(rows_read)` is called now and then.
    Raises `LayoutError` for the first line that is wrong.
    """
    owners = component_owners or {}
    widgets = []
    for widget in iter_widgets(binary_stream, progress, seen={}):
        for component in widget.components:
            check_owner(component, widget, owners.get(component.uuid))
        widgets.append(widget)
    return widgets


def check_owner(component, widget, owner):
    """Refuse a component that belongs to another widget in the database."""
    if component.uuid is not None and owner is not None and owner != widget.uuid:
        raise LayoutError(component.line, f"component {component.uuid} belongs to another widget "
                                          f"({owner}) in the database, not to the widget on "
                                          f"line {widget.line}")


def iter_widgets(binary_stream, progress=None, seen=None, collect_errors=False, reader=None):
    """The file's widgets, one by one, each with its components, as they are read.

    Strict (the default): the first bad line raises `LayoutError`. With `collect_errors`, a
    widget with a bad row (or a row outside any widget) is yielded as an `ErrorRow` instead
    and reading goes on; a file that cannot be read on (broken CSV, bytes that are not UTF-8)
    still raises. `seen`: a dict to refuse a uuid used twice (None: the caller checks).
    `reader`: rows to read instead of the CSV file (e.g. an XLSX sheet's).
    """
    reader = reader if reader is not None else Reader(binary_stream)
    try:
        reader.read_header()
        yield from _groups(reader, seen, progress, collect_errors)
    finally:
        reader.detach()  # the caller's file stays open


def _groups(reader, seen, progress, collect_errors):
    widget = error = None
    rows = 0
    # The checks of every row, inlined (this loop runs once per row of big files); the
    # helpers above run only to word the error.
    control = _CONTROL_CHARACTERS.search
    uuid_ok = _UUID.fullmatch
    for line, fields in reader:
        rows += 1
        if progress is not None and not rows & 4095:
            progress(rows)
        try:
            if len(fields) != 5:
                raise LayoutError(line, f"expected 5 fields ({','.join(HEADER)}), "
                                        f"found {len(fields)}")
            kind, uuid, description, flag, item_code = fields
            kind = kind.strip()
            is_component = kind == COMPONENT
            if not is_component:
                if kind != WIDGET:
                    raise LayoutError(line, f"unknown type {kind[:40]!r}: expected widget or "
                                            "component")
            elif widget is None and error is None:
                raise LayoutError(line, "component row before any widget row (a component "
                                        "belongs to the widget row above it)")
            if error is not None and is_component:
                continue  # the rest of a bad widget
            uuid = uuid.strip()
            if uuid:
                if not uuid_ok(uuid) or (seen is not None and uuid in seen):
                    _uuid(uuid, line, seen if seen is not None else {})
                if seen is not None:
                    seen[uuid] = line
            else:
                uuid = None
            if is_component:
                item_code = item_code.strip()
                if not item_code or len(item_code) > MAX_ITEM_CODE or control(item_code):
                    _text(item_code, "item_code", MAX_ITEM_CODE, line)
            description = description.strip()
            if not description or len(description) > MAX_DESCRIPTION or control(description):
                _text(description, "description", MAX_DESCRIPTION, line)
            word = flag.strip().lower()
            active = True if word == "true" else False if word == "false" else _active(flag, line)
            if is_component:
                if len(widget.components) == MAX_COMPONENTS:
                    raise LayoutError(line, f"more than {MAX_COMPONENTS} components under the "
                                            f"widget on line {widget.line}")
                widget.components.append(ComponentRow(line, uuid, item_code, description, active))
            else:
                if item_code.strip():
                    raise LayoutError(line, "a widget row has no item_code (leave it empty)")
                if widget is not None:
                    yield widget
                elif error is not None:
                    yield error
                widget, error = WidgetRow(line, uuid, description, active), None
        except LayoutError as problem:
            if not collect_errors:
                raise
            is_widget = len(fields) == 5 and fields[0].strip() != COMPONENT
            if is_widget or (widget is None and error is None):
                # A bad widget row (or an unknown type) starts a bad group of its own.
                if widget is not None:
                    yield widget
                elif error is not None:
                    yield error
                key = fields[1].strip() if len(fields) == 5 and is_widget else None
                widget, error = None, ErrorRow(line, problem.reason, line,
                                               key if key and uuid_ok(key) else None)
            elif widget is not None:
                widget, error = None, ErrorRow(line, problem.reason, widget.line, widget.uuid)
    if widget is not None:
        yield widget
    elif error is not None:
        yield error
    if progress is not None:
        progress(rows)
