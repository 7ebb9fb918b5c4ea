"""Datasync: every change to a captured table reaches the other systems, exactly once in effect.

- capture.py   triggers that log changes (poser_datasync_change) for every writer
- entities.py  what a change ships: the whole record (a widget with its components)
- consumers/   where changes go: another poser_web database, RabbitMQ, or your own
- daemon.py    `poser datasync CONFIG`: reads after each consumer's cursor, applies, advances
- store.py     the source-side bookkeeping: reading changes, consumer state, parked changes, pruning
"""
