"""A table's file layout, derived from its TableSpec: writing rows and reading them back, checked.

One row per record, its child rows under it:

    type,uuid,<the record's fields>,<the child rows' fields the record lacks>
    widget,1f0e…,Sprocket,true,
    component,9c2a…,Gear,true,G-1

The type is the table's entity (`widget`) or a child's row type (`component`); a column of the
other kind of row stays empty. Reading is strict by default (the first bad line raises
`LayoutError`); with `collect_errors` a record with a bad line becomes an `ErrorRow` and reading
goes on (batches list it).
"""
from dataclasses import dataclass, field

from .reading import LayoutError, Reader, writer  # noqa: F401 (LayoutError re-exported)
from .values import KEY, Invalid, format_value, parser

# The web form's limit of inline rows (forms/derive.py MAX_INLINE_ROWS): an import must not
# make a record that the form then refuses to save.
MAX_CHILDREN = 200


@dataclass(slots=True)
class ChildRow:
    line: int
    key: str | None
    values: tuple  # in the child spec's field order


@dataclass(slots=True)
class Record:
    line: int
    key: str | None
    values: tuple  # in the table spec's field order
    children: dict = field(default_factory=dict)  # child name -> [ChildRow]

    def child_rows(self):
        for rows in self.children.values():
            yield from rows


@dataclass(slots=True)
class ErrorRow:
    """A record that cannot be imported (a batch keeps it, with the first line that is wrong)."""
    line: int  # the first bad line
    reason: str
    start: int  # the record's first line
    key: str | None = None  # the record's, when its own row named a well-formed one
    keys: tuple = ()  # every well-formed key its rows name (never deleted as "left out")


class RowKind:
    """What one type of row holds: its fields' positions in the header and their parsers."""

    def __init__(self, word, fields, positions, others):
        self.word, self.fields = word, fields
        self.positions = tuple(positions[f.name] for f in fields)
        self.parsers = tuple(parser(f) for f in fields)
        self.pairs = tuple(zip(self.parsers, self.positions))
        self.others = tuple((positions[name], name) for name in others)  # must stay empty

    def parse(self, cells):
        """The row's values; Invalid for the first bad field."""
        values = tuple([parse(cells[i]) for parse, i in self.pairs])
        for index, name in self.others:
            if cells[index].strip():
                raise Invalid(f"a {self.word} row has no {name} (leave it empty)")
        return values

    def cells(self, width, key, values):
        row = [""] * width
        row[0], row[1] = self.word, key
        for spec, index, value in zip(self.fields, self.positions, values):
            row[index] = format_value(spec, value)
        return row


class FileLayout:
    def __init__(self, spec):
        self.spec = spec
        names = [f.name for f in spec.fields]
        for child in spec.children:
            names += [f.name for f in child.fields if f.name not in names]
        self.header = ("type", spec.key.key, *names)
        positions = {name: index for index, name in enumerate(self.header)}
        own = {f.name for f in spec.fields}
        self.record = RowKind(spec.entity, spec.fields, positions,
                              [n for n in names if n not in own])
        self.kinds = {spec.entity: self.record}
        for child in spec.children:
            theirs = {f.name for f in child.fields}
            self.kinds[child.row_type] = RowKind(child.row_type, child.fields, positions,
                                                 [n for n in names if n not in theirs])
        self.children = {child.row_type: child for child in spec.children}

    # -- writing --------------------------------------------------------------------------

    def record_cells(self, key, values):
        return self.record.cells(len(self.header), key, values)

    def child_cells(self, child, key, values):
        return self.kinds[child.row_type].cells(len(self.header), key, values)

    # -- reading --------------------------------------------------------------------------

    def read_header(self, rows):
        """Check the first of `rows` ((line, fields) pairs) is the header."""
        expected = ",".join(self.header)
        try:
            line, fields = next(rows)
        except StopIteration:
            raise LayoutError(1, f"the file is empty; the first line must be {expected}") from None
        if tuple(str(name).strip().lower() for name in fields) != self.header:
            found = ",".join(fields)
            found = found if len(found) <= 80 else found[:77] + "..."
            raise LayoutError(line, f"wrong header {found!r}; expected {expected}")

    def check_header(self, binary_stream):
        """Refuse a file whose first line is not the header; leaves the file at its start."""
        reader = Reader(binary_stream)
        try:
            self.read_header(iter(reader))
        finally:
            reader.detach().seek(0)

    def records(self, binary_stream, progress=None, seen=None, collect_errors=False, reader=None):
        """The file's records, one by one, each with its child rows, as they are read.

        Strict (the default): the first bad line raises `LayoutError`. With `collect_errors`, a
        record with a bad row (or a row outside any record) is yielded as an `ErrorRow` and
        reading goes on; a file that cannot be read on (broken CSV, not UTF-8) still raises.
        `seen`: a dict refusing a key used twice (None: the caller checks). `reader`: rows to
        read instead of the CSV file (e.g. an XLSX sheet's).
        """
        reader = reader if reader is not None else Reader(binary_stream)
        try:
            rows = iter(reader)
            self.read_header(rows)
            yield from _Grouping(self, seen, progress, collect_errors).run(rows)
        finally:
            reader.detach()  # the caller's file stays open


class _Grouping:
    """Rows into records: a record row starts one, child rows join the record above."""

    def __init__(self, layout, seen, progress, collect_errors):
        self.layout, self.seen, self.progress = layout, seen, progress
        self.collect_errors = collect_errors
        self.words = " or ".join(layout.kinds)
        self.record = self.error = None

    def run(self, rows):
        count = 0
        for line, cells in rows:
            count += 1
            if self.progress is not None and not count & 4095:
                self.progress(count)
            try:
                done = self.take(line, cells)
            except LayoutError as problem:
                if not self.collect_errors:
                    raise
                done = self.fail(line, cells, problem)
            if done is not None:
                yield done
        last = self.record or self.error
        if last is not None:
            yield last
        if self.progress is not None:
            self.progress(count)

    def take(self, line, cells):
        """Add one row; the record it completes (a new record row ends the one before)."""
        layout = self.layout
        if len(cells) != len(layout.header):
            raise LayoutError(line, f"expected {len(layout.header)} fields "
                                    f"({','.join(layout.header)}), found {len(cells)}")
        word = cells[0].strip()
        kind = layout.kinds.get(word)
        if kind is None:
            raise LayoutError(line, f"unknown type {word[:40]!r}: expected {self.words}")
        is_record = kind is layout.record
        if not is_record:
            if self.record is None and self.error is None:
                raise LayoutError(line, f"{word} row before any {layout.record.word} row (a "
                                        f"{word} belongs to the {layout.record.word} row above it)")
            if self.error is not None:
                self.error.keys += (_key_of(cells),) if _key_of(cells) else ()
                return None  # the rest of a bad record
        key = self.key(line, cells[1])
        try:
            values = kind.parse(cells)
        except Invalid as problem:
            raise LayoutError(line, str(problem)) from None
        if is_record:
            done = self.record or self.error
            self.record, self.error = Record(line, key, values), None
            return done
        rows = self.record.children.setdefault(layout.children[word].name, [])
        if len(rows) == MAX_CHILDREN:
            raise LayoutError(line, f"more than {MAX_CHILDREN} {word}s under the "
                                    f"{layout.record.word} on line {self.record.line}")
        rows.append(ChildRow(line, key, values))
        return None

    def key(self, line, text):
        text = text.strip()
        if not text:
            return None
        if not KEY.fullmatch(text):
            raise LayoutError(line, f"malformed {self.layout.header[1]} {text[:40]!r}: expected 32 "
                                    "lowercase hex digits, or nothing for a new row")
        if self.seen is not None:
            first = self.seen.get(text)
            if first is not None:
                raise LayoutError(line, f"{self.layout.header[1]} {text} appears twice in the "
                                        f"file (first on line {first})")
            self.seen[text] = line
        return text

    def fail(self, line, cells, problem):
        """A bad row: its record becomes an ErrorRow (a bad record row starts one of its own)."""
        layout = self.layout
        word = cells[0].strip() if cells else ""
        own_row = len(cells) == len(layout.header) and layout.kinds.get(word) is layout.record
        key = _key_of(cells) if len(cells) == len(layout.header) else None
        if own_row or word not in layout.kinds or (self.record is None and self.error is None):
            done = self.record or self.error
            self.record = None
            self.error = ErrorRow(line, problem.reason, line, key if own_row else None,
                                  (key,) if key else ())
            return done
        if self.record is not None:
            record = self.record
            keys = tuple(k for k in (record.key, *(r.key for r in record.child_rows()), key) if k)
            self.record, self.error = None, ErrorRow(line, problem.reason, record.line,
                                                     record.key, keys)
        elif key:
            self.error.keys += (key,)
        return None


def _key_of(cells):
    text = cells[1].strip() if len(cells) > 1 else ""
    return text if KEY.fullmatch(text) else None
