"""Bulk actions a list offers on ticked rows (or all that match): declared on the master view as
`bulk_actions`, by default delete plus "set to yes/no" for every Boolean column and "set to …"
for every choice column.

    bulk_actions = (SetValue("active", True, "Set active", key="activate"), Delete())
"""
from dataclasses import dataclass


@dataclass(frozen=True)
class Delete:
    label: str = "Delete"
    key: str = "delete"
    needs = "delete"  # the table's permission the action needs: <table>.delete
    field = None


@dataclass(frozen=True)
class SetValue:
    """Set one field of every chosen record to `value` (a stored value: True, "red", …)."""
    field: str
    value: object
    label: str | None = None
    key: str | None = None
    needs = "edit"

    def named(self, spec):
        """This action with its key and label filled in from the table's field."""
        field = next((f for f in spec.fields if f.name == self.field), None)
        if field is None:
            return self
        shown = ("Yes" if self.value else "No") if field.kind == "boolean" else \
            choice_label(field, self.value)
        word = ("yes" if self.value else "no") if field.kind == "boolean" else str(self.value)
        return SetValue(self.field, self.value, self.label or f"Set {field.title} to {shown}",
                        self.key or f"set_{self.field}_{word}")


def choice_label(field, value):
    """What people call a stored choice (its declared label, an Enum member's label)."""
    from ..display.values import choices_of, enum_label

    if field.enum_class is not None and value in field.enum_class.__members__:
        return enum_label(field.enum_class[value])
    return dict((str(k), label) for k, label in choices_of(field.column)).get(str(value), str(value))


def default_actions(spec):
    """Delete, and set-to for every Boolean and choice field of the table."""
    actions = []
    for field in spec.fields:
        if field.kind == "boolean":
            actions += [SetValue(field.name, True), SetValue(field.name, False)]
        elif field.kind == "choice" and field.target is None:
            actions += [SetValue(field.name, value) for value in field.choices]
    return tuple(action.named(spec) for action in actions) + (Delete(),)


def named_actions(spec, declared):
    """The view's `bulk_actions` (None: the defaults) with keys and labels filled in."""
    if declared is None:
        return default_actions(spec)
    return tuple(a.named(spec) if isinstance(a, SetValue) else a for a in declared)
