"""Look-ups of many keys at once: the keys bound as ONE parameter, in chunks."""
import json

from sqlalchemy import String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator, UserDefinedType

IN_CHUNK = 5000  # keys per look-up (one parameter: `keys_in`)


class KeyList(TypeDecorator):
    """A list of keys bound as one parameter: an array on PostgreSQL, JSON text elsewhere.

    psycopg 3 adapts a Python list item by item in Python (~3 us a key: 4,000 keys a chunk,
    several look-ups a chunk), so the array goes as its text, made by str.join, untyped
    (psycopg sends a str as "unknown"): the server reads it once as the array type `= ANY`
    wants, a parameter of the plan as the list was. A cast in the SQL is no answer: it stays in
    the plan, and a sequential scan parses the array again for every row.
    """
    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name != "postgresql":
            return dialect.type_descriptor(String())
        if dialect.driver == "psycopg":
            return _Untyped()
        return dialect.type_descriptor(ARRAY(String))

    def process_bind_param(self, value, dialect):
        if dialect.name != "postgresql":
            return json.dumps(list(value))
        return array_literal(value) if dialect.driver == "psycopg" else list(value)


def array_literal(keys):
    """PostgreSQL's text of an array of strings, every item quoted (so NULL stays a key)."""
    keys = list(keys)
    if not keys:
        return "{}"
    every = "".join(keys)
    if '"' in every or "\\" in every:  # rare: escape item by item
        keys = [key.replace("\\", "\\\\").replace('"', '\\"') for key in keys]
    return '{"' + '","'.join(keys) + '"}'


class _Untyped(UserDefinedType):
    """A parameter SQLAlchemy neither processes nor casts: the server types it."""
    cache_ok = True

    def get_col_spec(self):
        return "TEXT[]"


def keys_in(connection, column):
    """`column IN (:keys)` with the keys as ONE parameter (`= ANY(array)` on PostgreSQL,
    `json_each` elsewhere). An expanding IN of hundreds of keys is rendered again for every
    chunk, and psycopg parses the long statement each time: a fifth of a PostgreSQL import's
    client time."""
    keys = bindparam("keys", type_=KeyList())
    if connection.dialect.name == "postgresql":
        return column == any_(keys)
    return column.in_(select(literal_column("value")).select_from(func.json_each(keys)))


def in_chunks(keys, size=IN_CHUNK):
    keys = list(keys)
    for start in range(0, len(keys), size):
        yield keys[start:start + size]
