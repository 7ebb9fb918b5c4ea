"""PostgreSQL: UPDATE a table FROM a scratch table of changed rows, joined row by row on the key
(`copy_update` makes the scratch table, COPYed into, and runs the UPDATE: the bulk writers' way).

The scratch table (a temporary table the rows were COPYed into) has no statistics, and the
target often has none either (loaded in the same transaction, or before autovacuum analyzed
it). The planner then joined the two by hashing: a scan of the WHOLE target table for every
chunk of 500 rows, a cost growing with the table (an update run of 100,000 widgets: 40 ms a
chunk against 10 ms looked up by key through the primary key). Hash and merge joins are
turned off for this one statement (set_config's local form: a failed statement's rollback
undoes it too).
"""

PLANNER_OFF = ("enable_hashjoin", "enable_mergejoin")
_NAMES = ", ".join(f"'{name}'" for name in PLANNER_OFF)
# One round trip each way; back to what the session had (pg_settings' reset_val).
_PLANNER_OFF = f"SELECT set_config(name, 'off', true) FROM pg_settings WHERE name IN ({_NAMES})"
_PLANNER_BACK = f"SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name IN ({_NAMES})"


def update_from(connection, target, scratch, assignments, key):
    """UPDATE `target` SET `assignments` FROM `scratch` AS changed, matching on column `key`
    (names already quoted as SQL wants them)."""
    connection.exec_driver_sql(_PLANNER_OFF)
    connection.exec_driver_sql(f"UPDATE {target} AS target SET {assignments} FROM {scratch} "
                               f"AS changed WHERE target.{key} = changed.{key}")
    connection.exec_driver_sql(_PLANNER_BACK)


def copy_update(connection, target, scratch, columns, assignments, key, copy):
    """UPDATE `target` SET `assignments` from the changed rows `copy()` COPYs into `scratch`, a
    temporary table of `target`'s `columns` (the key's among them): one statement instead of one
    per row, so statement triggers (a stored count's, change capture) run once. Names already
    quoted as SQL wants them."""
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {scratch} ON COMMIT DROP AS "
                               f"SELECT {', '.join(columns)} FROM {target} WITH NO DATA")
    copy()
    update_from(connection, target, scratch, assignments, key)
    connection.exec_driver_sql(f"DROP TABLE {scratch}")
