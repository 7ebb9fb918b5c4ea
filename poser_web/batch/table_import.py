"""Any table's import batch: a file in the table's layout (CSV or XLSX) becomes one row per
record, with its status against the current data and the exact difference; executing it writes
what `poser import` would, by the same rules (`transfer.engine`).

A row's values are the record's fields as the file's text (its key fixed at populate time), read
again by the layout's parsers at refresh and execute: one set of rules, whatever path.
"""
import json

from ..models import audit, new_uuid
from ..transfer import engine
from ..transfer.gc_pause import fewer_collections
from ..transfer.importer import lock_tables
from ..transfer.layout import ChildRow, ErrorRow, FileLayout, LayoutError, Record
from ..transfer.values import format_value
from ..transfer.writer import write_plan
from . import files
from .describe import describe_row
from .handler import RowWriter
from .table_handler import TableHandler

STATUS_OF = {"create": "new", "update": "update", None: "unchanged", "delete": "delete"}
ACTION_OF = {"new": "create", "update": "update", "delete": "delete"}
NEEDS = {"new": "create", "update": "edit", "delete": "delete"}  # the table's permissions


def record_values(spec, record):
    """A file record as a row's JSON values: texts as the file holds them (read again later)."""
    return {"key": record.key,
            "values": [format_value(f, v) for f, v in zip(spec.fields, record.values)],
            "children": {child.name: [[row.key, [format_value(f, v) for f, v in
                                                 zip(child.fields, row.values)], row.line]
                                      for row in record.children.get(child.name, ())]
                         for child in spec.children}}


class TableImportHandler(TableHandler):
    kind, noun = "import", "import"
    from_file = True

    def __init__(self, spec):
        super().__init__(spec)
        self.layout = FileLayout(spec)
        self._kinds = {spec.entity: self.layout.record}
        self._child_kinds = {child.name: self.layout.kinds[child.row_type]
                             for child in spec.children}

    # -- reading rows back -------------------------------------------------------------

    def record_of(self, values, line):
        """The `layout.Record` a row's values stand for (parsed again: the layout's rules)."""
        spec = self.spec
        record = Record(line or 0, values["key"], _parsed(self.layout.record, values["values"]))
        for child in spec.children:
            kind = self._child_kinds[child.name]
            record.children[child.name] = [
                ChildRow(child_line or 0, key, _parsed(kind, texts))
                for key, texts, child_line in values["children"].get(child.name, ())]
        return record

    def execute_permissions(self, connection, batch):
        """The table's permissions the rows to execute need: create for new ones, edit for
        updates, delete for deletions."""
        return {self.spec.permission(NEEDS[status]) for status in self.statuses_of(connection, batch)
                if status in NEEDS}

    # -- populate, refresh, execute ------------------------------------------------------

    def populate_file(self, connection, batch, path, kind, progress=None, commit=None):
        """Rows from the file, a chunk of records at a time; a bad record is an error row with
        its line and reason. With params delete_missing, records the file does not name get a
        delete row each."""
        spec = self.spec
        rows = RowWriter(connection, batch.uuid)
        ledger = engine.Ledger(connection)
        read = 0

        def advanced(count):
            nonlocal read
            read = count

        with files.opened(path, kind, self.layout) as (stream, reader), fewer_collections():
            records = self.layout.records(stream, advanced, collect_errors=True, reader=reader)
            for chunk, error in engine.chunks_of(records):
                if error is not None:
                    raise error  # a file that cannot be read on (broken CSV, not UTF-8)
                self._populate_chunk(connection, ledger, rows, chunk)
                rows.flush()
                self.set_progress(connection, batch.uuid, read, rows.sequence)
                if progress is not None:
                    progress(read)
                if commit is not None:
                    commit()
        self.set_progress(connection, batch.uuid, read, rows.sequence)
        if batch.params.get("delete_missing"):
            for keys in engine.missing_records(connection, spec):
                snapshot = engine.Snapshot(connection, spec, keys)
                for key in keys:
                    outcome = engine.plan_delete(engine.Comparison(), spec, key, snapshot,
                                                 engine.Tally(spec), engine.Who())
                    rows.add("delete", label=spec.label_of(self._named(snapshot, key), key),
                             entity_uuid=key, entity_version=outcome.version, diff=outcome.diff)
                rows.flush()
        ledger.drop()

    def _named(self, snapshot, key):
        values, _ = snapshot.records[key]
        return dict(zip((f.column.key for f in self.spec.fields), values))

    def _populate_chunk(self, connection, ledger, rows, chunk):
        spec = self.spec
        good = [g for g in chunk if isinstance(g, Record)]
        # Records named in rows with errors are never deleted as "left out".
        ledger.keep(key for g in chunk if isinstance(g, ErrorRow) for key in g.keys)
        for record in good:  # a new row's keys are fixed now: execute makes these
            if record.key is None:
                record.key = new_uuid()
            for row in record.child_rows():
                if row.key is None:
                    row.key = new_uuid()
        snapshot = engine.Snapshot.of(connection, spec, good)
        problems = engine.chunk_problems(connection, spec, good, ledger, snapshot)
        for group in chunk:
            if isinstance(group, ErrorRow):
                rows.add("error", message=f"line {group.line}: {group.reason}", line=group.start,
                         entity_uuid=group.key, label=f"line {group.start}")
                continue
            label = spec.label_of(dict(zip((f.column.key for f in spec.fields), group.values)),
                                  group.key)
            bad = [line for line in (group.line, *(r.line for r in group.child_rows()))
                   if line in problems]
            if bad:
                rows.add("error", message=f"line {bad[0]}: {problems[bad[0]]}", line=group.line,
                         entity_uuid=group.key, label=label, values=record_values(spec, group))
                continue
            outcome = engine.plan_record(engine.Comparison(), spec, group, snapshot,
                                         engine.Tally(spec), engine.Who())
            rows.add(STATUS_OF[outcome.action], label=label, line=group.line,
                     entity_uuid=outcome.key, entity_version=outcome.version,
                     values=record_values(spec, group), diff=outcome.diff)

    def refresh_rows(self, connection, batch, rows):
        spec = self.spec
        imports = [r for r in rows if r.status != "delete"]
        records = {r.sequence: self.record_of(json.loads(r.values), r.line) for r in imports}
        deletes = [r for r in rows if r.status == "delete"]
        snapshot = engine.Snapshot.of(connection, spec, list(records.values()))
        gone = engine.Snapshot(connection, spec, [r.entity_uuid for r in deletes])
        problems = engine.missing_references(connection, spec, list(records.values()))
        for line, reason in engine.taken_keys(connection, spec, list(records.values())).items():
            problems.setdefault(line, reason)
        changes = {}
        for row in imports:
            record = records[row.sequence]
            reason = self._owner_problem(record, snapshot) or next(
                (f"line {line}: {problems[line]}" for line in
                 (record.line, *(r.line for r in record.child_rows())) if line in problems), None)
            if reason:
                changes[row.sequence] = {"status": "error", "message": reason,
                                         "entity_version": None, "diff": None}
                continue
            outcome = engine.plan_record(engine.Comparison(), spec, record, snapshot,
                                         engine.Tally(spec), engine.Who())
            changes[row.sequence] = {"status": STATUS_OF[outcome.action], "message": None,
                                     "entity_version": outcome.version,
                                     "diff": json.dumps(outcome.diff, sort_keys=True)}
        for row in deletes:
            outcome = engine.plan_delete(engine.Comparison(), spec, row.entity_uuid, gone,
                                         engine.Tally(spec), engine.Who())
            if outcome is None:
                changes[row.sequence] = {"status": "unchanged", "entity_version": None,
                                         "message": "Already deleted.", "diff": None}
            else:
                changes[row.sequence] = {"status": "delete", "message": None,
                                         "entity_version": outcome.version,
                                         "diff": json.dumps(outcome.diff, sort_keys=True)}
        return changes

    def _owner_problem(self, record, snapshot):
        for child in self.spec.children:
            for row in record.children.get(child.name, ()):
                reason = engine.owner_problem(self.spec, child, row, record,
                                              snapshot.owners[child.name].get(row.key))
                if reason:
                    return f"line {row.line}: {reason}"
        return None

    def lock(self, connection):
        lock_tables(connection, self.spec)

    def execute_rows(self, connection, batch, rows, username, source, when):
        spec = self.spec
        who = engine.Who(username, source, when)
        imports = [self.record_of(json.loads(r.values), r.line) for r in rows
                   if r.status != "delete"]
        deletes = [r.entity_uuid for r in rows if r.status == "delete"]
        snapshot = engine.Snapshot.of(connection, spec, imports)
        plan, tally = engine.Plan(), engine.Tally(spec)
        for record in imports:
            engine.plan_record(plan, spec, record, snapshot, tally, who)
        if deletes:
            doomed = engine.Snapshot(connection, spec, deletes)
            for key in deletes:
                engine.plan_delete(plan, spec, key, doomed, tally, who)
        write_plan(connection, spec, plan)

    def row_summary(self, row):
        if row.status == "error":
            return row.message or ""
        action = ACTION_OF.get(row.status)
        if action is None:
            return row.message or "No change"
        return audit.summarize(action, json.loads(row.diff or "{}"))

    def describe_row(self, row):
        record = None
        if row.values and row.status in ("unchanged", "error"):
            try:
                record = self.record_of(json.loads(row.values), row.line)
            except LayoutError:
                record = None
        return describe_row(self.spec, json.loads(row.diff or "{}"), record)


def _parsed(kind, texts):
    try:
        return tuple(parse(text) for parse, text in zip(kind.parsers, texts))
    except ValueError as error:  # a row kept before a rule was tightened
        raise LayoutError(0, str(error)) from None
