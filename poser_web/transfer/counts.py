"""A bulk writer's stored counts (models/stored_counts.py), kept a chunk at a time.

Through the triggers a stored count costs a bulk write dearly: on SQLite each child row
inserted updates its parent (and moves the parent's entry in the count's index), about half of
an import into an empty database; on PostgreSQL each statement updates its parents once more
after writing them, and the parents' capture triggers examine that update. So a bulk writer
(`writer.bulk_writes`) that writes `MIN_ROWS` rows of a counted child table suspends the count
for the rest of its transaction, and for each chunk (`writer.write_plan`'s `Plan`):

- a parent the plan inserts is inserted with its count: the child rows the plan inserts under
  it (a new parent has no others: a child row can only name an existing parent, the foreign
  key sees to that);
- every other parent whose child rows the plan inserts, deletes or moves to another parent
  (the parents of deleted and moved rows read before the writes) is recounted once after the
  chunk's writes (`stored_counts.recount`: one statement).

`finish` makes the triggers count again before the caller commits; on an error the caller
rolls back, which undoes the suspension too. Smaller writes leave the triggers counting.
"""
from collections import Counter

from ..models.stored_counts import declared_counts, is_installed, parents_of, recount, resume, suspend

MIN_ROWS = 200  # child rows written (all chunks) before the count is suspended


def _column(table, name):
    """The Core key of `table`'s column named `name` (a plan's rows are keyed so)."""
    for column in table.columns:
        if column.name == name:
            return column.key
    raise KeyError(f"{table.name} has no column {name}")


class DeferredCounts:
    """The stored counts of the tables one bulk writer writes (see the module's doc)."""

    def __init__(self, connection):
        self.connection = connection
        self.by_child = None  # child table name -> [StoredCount] this database has
        self.written = {}     # StoredCount -> child rows written while its triggers counted
        self.suspended = {}   # StoredCount -> what stored_counts.resume needs
        self.pending = []     # (StoredCount, parent keys) to recount after the chunk's writes

    def _counts(self, table_name):
        if self.by_child is None:
            self.by_child = {}
            for count in declared_counts():
                if is_installed(self.connection, count):
                    self.by_child.setdefault(count.child_table, []).append(count)
        return self.by_child.get(table_name, ())

    def prepare(self, plan):
        """Before a chunk's writes: suspend what it makes worth it, fill in the counts of the
        parents it inserts, note the parents to recount after its writes."""
        self.pending = []
        for table in {*plan.inserts, *plan.updates, *plan.deletes}:
            for count in self._counts(table.name):
                self._prepare(count, table, plan)

    def _prepare(self, count, table, plan):
        inserted = plan.inserts.get(table, ())
        updated = plan.updates.get(table, ())
        deleted = plan.deletes.get(table, ())
        written = len(inserted) + len(updated) + len(deleted)
        if not written:
            return
        if count not in self.suspended:
            self.written[count] = self.written.get(count, 0) + written
            if self.written[count] < MIN_ROWS:
                return  # the triggers count
            self.suspended[count] = suspend(self.connection, count)
        parent_key = _column(table, count.child_key)
        added = Counter(row[parent_key] for row in inserted)
        new = set()
        for parent_table, rows in plan.inserts.items():
            if parent_table.name == count.table and rows:
                key, column = _column(parent_table, count.key), _column(parent_table, count.column)
                for row in rows:
                    row[column] = added.get(row[key], 0)
                    new.add(row[key])
        touched = {parent for parent in added if parent not in new}
        [pk] = table.primary_key.columns
        moved = [row for row in updated if parent_key in row]
        if moved:
            touched.update(row[parent_key] for row in moved)
            touched.update(parents_of(self.connection, count,
                                      [row[f"key_{pk.key}"] for row in moved], pk.name))
        if deleted:
            touched.update(parents_of(self.connection, count, deleted, pk.name))
        for parent_table, keys in plan.deletes.items():
            if parent_table.name == count.table:
                touched.difference_update(keys)
        if touched:
            self.pending.append((count, sorted(touched)))

    def settle(self):
        """After the chunk's writes: the parents noted by `prepare` recounted."""
        for count, keys in self.pending:
            recount(self.connection, count, keys)
        self.pending = []

    def finish(self):
        """The triggers count again (before commit)."""
        for count, suspended in self.suspended.items():
            resume(self.connection, count, suspended)
        self.suspended = {}
