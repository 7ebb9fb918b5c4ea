"""Start-up checks of a master view's declaration, as Django's system checks do: a view naming a
column, search field, filter, form field, child, sort or bulk action its model lacks stops the
app with a message naming the view and the name — not a 500 on the first request."""
from datetime import timezone

from pyramid.exceptions import ConfigurationError
from sqlalchemy import inspect

from ..batch.actions import SetValue
from ..forms.derive import is_relation
from ..grid.declared import make_column, make_filter, make_search


def declaration_problems(view):
    """Every name `view` declares that its model does not have, as sentences."""
    problems = []
    grid_parts = (("columns", lambda name: make_column(view.model, name)),
                  ("search", lambda name: make_search(view.model, (name,))),
                  ("filters", lambda name: make_filter(view.model, name, timezone.utc)))
    for attribute, make in grid_parts:
        for name in getattr(view, attribute):
            if isinstance(name, str):
                try:
                    make(name)
                except ValueError as error:
                    problems.append(f"{attribute} names {name!r}: {error}")
    problems += _form_problems(view)
    problems += _sort_problems(view)
    return problems


def _form_problems(view):
    mapper = inspect(view.model)
    problems = [f"form_fields names {name!r}: not a column or a many-to-one relationship of "
                f"{view.model.__name__}" for name in (view.form_fields or ())
                if name not in mapper.column_attrs and not is_relation(view.model, name)]
    for name, fields in view.inlines.items():
        if name not in mapper.relationships:
            problems.append(f"inlines names {name!r}: not a relationship of {view.model.__name__}")
        elif isinstance(fields, (tuple, list)):
            child = inspect(mapper.relationships[name].mapper.class_)
            problems += [f"inlines names {name}.{field!r}: not a column of "
                         f"{child.class_.__name__}" for field in fields
                         if field not in child.column_attrs]
    return problems


def _sort_problems(view):
    if not isinstance(view.default_sort, str):
        return []
    keys = [c if isinstance(c, str) else c.key for c in view.columns]
    if view.default_sort not in keys:
        return [f"default_sort names {view.default_sort!r}: not one of its columns "
                f"({', '.join(keys) or 'none'})"]
    return []


def bulk_action_problems(view, spec):
    """The bulk actions `view` declares that `spec` (its table) cannot do."""
    problems, keys = [], set()
    fields = {f.name: f for f in spec.fields}
    for action in spec.bulk_actions:
        if action.key in keys:
            problems.append(f"bulk_actions: two actions are called {action.key!r}")
        keys.add(action.key)
        if not isinstance(action, SetValue):
            continue
        field = fields.get(action.field)
        if field is None:
            problems.append(f"bulk_actions sets {action.field!r}: not a field of "
                            f"{view.model.__name__} ({', '.join(fields) or 'none'})")
        elif field.kind == "boolean" and not isinstance(action.value, bool):
            problems.append(f"bulk_actions sets {action.field!r} to {action.value!r}: "
                            "a yes/no field takes True or False")
        elif field.choices and action.value not in field.choices:
            problems.append(f"bulk_actions sets {action.field!r} to {action.value!r}: not one "
                            f"of its choices ({', '.join(map(str, field.choices))})")
    return problems


def check(view, spec=None):
    """Raise ConfigurationError listing what `view` (and its table `spec`) declares wrongly."""
    problems = declaration_problems(view)
    if spec is not None:
        problems += bulk_action_problems(view, spec)
    if problems:
        raise ConfigurationError(
            f"{view.__name__} ({view.__module__}) declares what {view.model.__name__} does not "
            "have:\n  - " + "\n  - ".join(problems))
