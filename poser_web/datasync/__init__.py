"""Datasync: every change to a captured table reaches the other systems, exactly once in effect.

- capture.py   triggers that log changes (poser_datasync_change) for every writer
- declaration.py  which tables: every model with `__datasync__ = True`, the rest derived
- migration.py  the Alembic operation that installs a capture, and its autogenerate comparator
- entities.py  what a change ships: the whole record with its child rows
- apply.py     writing records into a poser_web target in bulk (bulk.py), foreign keys first
- catchup.py   `poser datasync catch-up`: make a target equal the source
- consumers/   where changes go: another poser_web database, RabbitMQ, or your own
- daemon.py    `poser datasync CONFIG`: reads after each consumer's cursor, applies, advances
- store.py     the source-side bookkeeping: reading changes, consumer state, parked changes, pruning
"""
