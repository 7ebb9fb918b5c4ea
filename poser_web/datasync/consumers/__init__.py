"""Consumers: where changes go. Built in: `poser` (another poser_web database) and `amqp`
(RabbitMQ). Your own: a `Consumer` subclass registered under the entry-point group
`poser.datasync.consumers` (see base.py and docs/datasync.md)."""
from importlib import import_module
from importlib.metadata import entry_points

from .base import ChangeFailed, Consumer, ConsumerRefused, Unavailable  # noqa: F401

GROUP = "poser.datasync.consumers"
BUILT_IN = {"poser": "poser_web.datasync.consumers.poser:PoserConsumer",
            "amqp": "poser_web.datasync.consumers.amqp:AmqpConsumer"}


def consumer_class(kind):
    """The class for `type = kind`: an entry point's name, a built-in, or `module:Class`."""
    for point in entry_points(group=GROUP):
        if point.name == kind:
            return point.load()
    path = BUILT_IN.get(kind, kind)
    if ":" not in path:
        known = sorted({p.name for p in entry_points(group=GROUP)} | set(BUILT_IN))
        raise LookupError(f"unknown consumer type {kind!r} (known: {', '.join(known)}; "
                          "or give module:Class)")
    module, _, name = path.partition(":")
    try:
        return getattr(import_module(module), name)
    except (ImportError, AttributeError) as error:
        raise LookupError(f"cannot load consumer type {kind!r}: {error}") from None
