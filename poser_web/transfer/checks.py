"""What only the database tells about a chunk of records: keys met before, child rows of
other records, foreign keys naming nothing, unique keys taken."""
from sqlalchemy import select

from ..display.labels import model_title
from ..models.rules import find_row_conflicts, unique_keys
from .lookups import in_chunks, keys_in


def missing_references(connection, spec, records):
    """{line: reason} for foreign keys of `records` naming no record (checked per chunk)."""
    problems = {}
    checks = [(None, f) for f in spec.fields if f.target is not None]
    checks += [(child, f) for child in spec.children for f in child.fields if f.target is not None]
    for child, spec_field in checks:
        wanted = {}
        for record in records:
            rows = [record] if child is None else record.children.get(child.name, ())
            index = (spec.fields if child is None else child.fields).index(spec_field)
            for row in rows:
                value = row.values[index]
                if value is not None:
                    wanted.setdefault(value, row.line)
        target = spec_field.target
        [target_key] = target.primary_key.columns
        found = set()
        query = select(target_key).where(keys_in(connection, target_key))
        for chunk in in_chunks(wanted):
            found.update(connection.scalars(query, {"keys": chunk}))
        if target is spec.table:  # a record may name one created earlier in the file
            found.update(r.key for r in records if r.key is not None)
        for value, line in wanted.items():
            if value not in found:
                problems.setdefault(line, f"{spec_field.name}: no {spec_field.reference} has the "
                                          f"key {value}")
    return problems


def taken_keys(connection, spec, records):
    """{line: reason} for records (and child rows) whose unique key values another record holds,
    or an earlier row of the chunk; the model's declared unique keys (models/rules.py), one
    query per key."""
    problems = {}
    kinds = [(spec.model, spec.key, spec.fields, [(r, r) for r in records])]
    kinds += [(child.model, child.key, child.fields,
               [(row, record) for record in records for row in record.children.get(child.name, ())])
              for child in spec.children]
    for model, key, fields, rows in kinds:
        if not rows or not unique_keys(model):
            continue
        values = [{key.key: row.key, **{f.column.key: v for f, v in zip(fields, row.values)}}
                  for row, _ in rows]
        for index, conflicts in find_row_conflicts(connection, model, values).items():
            conflict = conflicts[0]
            shown = ", ".join(str(v) for v in conflict.values)
            names = " and ".join(conflict.key.keys)
            if conflict.row is not None:
                reason = (f"{names} {shown} is on line {rows[conflict.row][0].line} too: it "
                          "must be unique")
            else:
                reason = (f"{names} {shown} is taken: another {model_title(model).lower()} "
                          f"({conflict.existing}) has it")
            problems.setdefault(rows[index][0].line, reason)
    return problems


def chunk_problems(connection, spec, records, ledger, snapshot):
    """{line: reason} of everything only the database tells about a chunk of records: keys met
    before, child rows of other records, foreign keys naming nothing, unique keys taken."""
    problems = ledger.check(spec, records, snapshot.owners)
    for found in (missing_references(connection, spec, records),
                  taken_keys(connection, spec, records)):
        for line, reason in found.items():
            problems.setdefault(line, reason)
    return problems
