"""colander's schema binding without its dir() walk.

`SchemaNode.bind` clones the schema, then for each node looks at every name `dir(node)` lists
(a hundred, most of them methods) for a `colander.deferred`: a tenth of an edit page's and of a
save's CPU. A deferred is found on the node itself or on its class, so here the node's own
attributes are looked at, and each class's deferreds once. The rest is colander's `_bind`: the
children first, the deferreds in dir()'s (sorted) order, a deferred schema node added as a
child, `after_bind` last.
"""
import colander

_class_deferreds = {}  # class -> names of its deferred attributes


def _deferreds_of(cls):
    names = _class_deferreds.get(cls)
    if names is None:
        names = _class_deferreds[cls] = frozenset(
            k for k in dir(cls) if isinstance(getattr(cls, k, None), colander.deferred))
    return names


def bind(node, **kw):
    """`node` bound to `kw` in place (colander's `bind` binds a clone)."""
    node.bindings = kw
    for child in node.children:
        bind(child, **kw)
    own = node.__dict__
    names = {k for k, v in own.items() if isinstance(v, colander.deferred)}
    names.update(k for k in _deferreds_of(type(node)) if k not in own)
    for k in sorted(names):
        value = getattr(node, k)(node, kw)
        if isinstance(value, colander.SchemaNode):
            if not value.name:
                value.name = k
            if value.raw_title is colander._marker:
                value.title = k.replace("_", " ").title()
            colander._add_node_child(node, value)
        else:
            setattr(node, k, value)
    if getattr(node, "after_bind", None):
        node.after_bind(node, kw)
    return node


def copied(node):
    """A copy of an unbound schema for one request to bind: binding changes its nodes in place
    (bindings, resolved deferreds, what an `after_bind` adds or removes) and an `after_bind`
    may set a widget's attributes (the user form's role choices), so each node and its own
    widget are copied. colander's clone, without its per-node __init__."""
    new = _shallow(node)
    new.children = [copied(child) for child in node.children]
    widget = node.__dict__.get("widget")
    if widget is not None:
        new.widget = _shallow(widget)
    return new


def _shallow(obj):
    """copy.copy of a plain object (its __dict__), without copy's __reduce_ex__ round: half
    of the copy's time."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new
