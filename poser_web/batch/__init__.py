"""Batches: rows made from a source, reviewed, then executed against the real tables.

A batch type is a `BatchHandler` subclass (handler.py) registered with `register`; its rows
live in the one generic row table (models/batch.py), carrying their values as JSON.
`widget_import.py` is the first type; a new type is a small file of the same shape.
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
    """Import the batch types this package ships."""
    from . import widget_bulk, widget_import  # noqa: F401
    return HANDLERS
