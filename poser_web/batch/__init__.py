"""Batches: rows made from a source, reviewed, then executed against the real tables.

A batch type is a `BatchHandler` subclass (handler.py) registered with `register`; its rows
live in the one generic row table (models/batch.py), carrying their values as JSON.
A table package adds its own types in its `batches` module.
"""
HANDLERS = {}


def register(handler_class):
    """Class decorator: make a batch type available (web pages, `poser batch`)."""
    HANDLERS[handler_class.key] = handler_class()
    return handler_class


def get_handler(key):
    try:
        return HANDLERS[key]
    except KeyError:
        raise LookupError(f"no batch type {key!r}") from None


def load_handlers():
    """Import the batch types the table packages ship (each package's optional `batches`)."""
    import importlib.util

    from ..tables import load_models, table_packages

    load_models()
    for package in table_packages():
        if importlib.util.find_spec(f"{package}.batches") is not None:
            importlib.import_module(f"{package}.batches")
    return HANDLERS
