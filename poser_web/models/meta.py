"""Declarative base shared by every Poser table."""
import uuid

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, mapped_column

# Named constraints make migrations reproducible and let SQLite's batch mode
# find them again; `ix` is included so indexes get predictable names too. A unique
# constraint is named by all its columns (a composite key must not share the name of
# one on its first column alone); a single column's name is the same either way.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Every table this project creates carries this prefix, so it can never
# collide with a core table of the same name.
TABLE_PREFIX = "poser_"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_uuid():
    """A new primary key value: 32 lowercase hex digits."""
    return uuid.uuid4().hex


def uuid_column(*args, **kwargs):
    """The `uuid` primary key column every Poser table uses (as upstream)."""
    kwargs.setdefault("primary_key", True)
    kwargs.setdefault("nullable", False)
    kwargs.setdefault("default", new_uuid)
    return mapped_column(String(32), *args, **kwargs)

# Alembic's bookkeeping table carries the prefix too (migrations/env.py).
ALEMBIC_VERSION_TABLE = TABLE_PREFIX + "alembic_version"
