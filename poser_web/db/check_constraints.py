"""Autogenerate compares CHECK constraints (Alembic leaves them out by default).

Importing this module (migrations/env.py does) registers a comparator for every table
both the models and the database have: a named CHECK constraint of the models that the
database lacks is added (`batch_op.create_check_constraint(...)`), one the database has
and the models do not is dropped, and one whose condition changed is dropped and added
again. So `alembic revision --autogenerate` writes a range declared on a column
(models/rules.py) and `alembic check` fails while a database misses it. New tables get
their CHECK constraints from Alembic's own create_table.

Conditions are compared as text with what each database adds when it stores one taken
away (PostgreSQL's parentheses and casts, spacing, case): `score >= 0 AND score <= 10`
equals PostgreSQL's `((score >= 0) AND (score <= 10))`. Unnamed constraints are left
alone: they cannot be told apart.
"""
import re

from alembic.autogenerate.compare import comparators
from alembic.operations import ops
from alembic.util import PriorityDispatchResult
from sqlalchemy import CheckConstraint
from sqlalchemy.sql.elements import conv

# What PostgreSQL adds when it stores a condition: casts such as ::numeric.
_CAST = re.compile(r"::(character varying|double precision|timestamp with(out)? time zone|[a-z_]+)")


def normalized(sql):
    """A condition's text without what databases add to it when they store it."""
    return re.sub(r"[\s()\"`]", "", _CAST.sub("", str(sql).lower()))


def metadata_checks(table, dialect):
    """{name: (constraint, condition text)} of the table's named CHECK constraints in the models,
    the condition written as CREATE TABLE writes it."""
    found = {}
    for constraint in table.constraints:
        if isinstance(constraint, CheckConstraint) and constraint.name and \
                not getattr(constraint, "_type_bound", False):
            text = constraint.sqltext.compile(
                dialect=dialect, compile_kwargs={"literal_binds": True, "include_table": False})
            found[str(constraint.name)] = (constraint, str(text))
    return found


@comparators.dispatch_for("table")
def compare_check_constraints(autogen_context, modify_table_ops, schema, table_name,
                              conn_table, metadata_table):
    if conn_table is None or metadata_table is None:
        return PriorityDispatchResult.CONTINUE
    wanted = metadata_checks(metadata_table, autogen_context.dialect)
    try:
        reflected = autogen_context.inspector.get_check_constraints(table_name, schema=schema)
    except NotImplementedError:
        return PriorityDispatchResult.CONTINUE
    found = {ck["name"]: CheckConstraint(ck["sqltext"], name=conv(ck["name"]), table=conn_table)
             for ck in reflected if ck.get("name")}
    for name in sorted(set(found) - set(wanted)):
        modify_table_ops.ops.append(ops.DropConstraintOp.from_constraint(found[name]))
    for name in sorted(wanted):
        constraint, text = wanted[name]
        changed = name in found and normalized(found[name].sqltext) != normalized(text)
        if changed:
            modify_table_ops.ops.append(ops.DropConstraintOp.from_constraint(found[name]))
        if changed or name not in found:
            modify_table_ops.ops.append(ops.AddConstraintOp.from_constraint(constraint))
    return PriorityDispatchResult.CONTINUE
