"""Batches: rows made from a source, reviewed, then executed against the real tables.

Every table the app serves (models/catalog.py) gets two batch types, made from its TableSpec:
an import from a file in its layout (`<entity>_import`, table_import.py) and a bulk change of
the records a list search picks (`<entity>_bulk`, table_bulk.py). A type is a `BatchHandler`
(handler.py; a table's types share table_handler.py); its rows live in the one generic row
table (models/batch.py), values as JSON.
"""
from ..models import catalog
from .actions import named_actions
from .table_bulk import TableBulkHandler
from .table_import import TableImportHandler

REGISTRY_KEY = "poser.batch_types"


def register_table(registry, spec):
    """The table's batch types: its import, and its bulk change when it has actions."""
    spec.bulk_actions = named_actions(spec, spec.bulk_actions)
    types = registry.setdefault(REGISTRY_KEY, {})
    for handler in (TableImportHandler(spec), TableBulkHandler(spec)):
        if isinstance(handler, TableBulkHandler) and not handler.actions:
            continue
        types[handler.key] = handler


def batch_types(registry):
    """{key: handler} of every batch type the app serves."""
    return registry.get(REGISTRY_KEY, {})


def get_handler(registry, key):
    try:
        return batch_types(registry)[key]
    except KeyError:
        known = ", ".join(sorted(batch_types(registry))) or "none"
        raise LookupError(f"no batch type {key!r} (types: {known})") from None


def import_type(registry, table_name):
    """The import batch type of the table named `table_name` (its list URL's name)."""
    return get_handler(registry, f"{catalog.table(registry, table_name).entity}_import")
