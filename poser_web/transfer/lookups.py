"""Look-ups of many keys at once: the keys bound as ONE parameter, in chunks."""
import json

from sqlalchemy import String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import TypeDecorator

IN_CHUNK = 5000  # keys per look-up (one parameter: `keys_in`)


class KeyList(TypeDecorator):
    """A list of keys bound as one parameter: an array on PostgreSQL, JSON text elsewhere."""
    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(String))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value, dialect):
        return list(value) if dialect.name == "postgresql" else json.dumps(list(value))


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
