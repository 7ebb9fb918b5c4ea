"""Colander schemas of the user and role forms.

Bound with `request` and the edited `instance` (None when creating); what
depends on the database (the roles to choose from, the permissions of the
catalogue, uniqueness, the last administrator) is resolved at bind time.
"""
import re

import colander
import deform
from sqlalchemy import func, select

from ..auth.accounts import last_admin_problem, permissions_reach_problem, role_reach_problem
from ..auth.permissions import catalogue
from ..models import Role, User
from . import checkbox_node, text_node

# Usernames: what people type at the login form, no spaces or control characters.
USERNAME_PATTERN = re.compile(r"^[^\s\x00-\x1f\x7f]+$")


def _db(node):
    return node.bindings["request"].dbsession


def _unique_username(node, value):
    if not USERNAME_PATTERN.match(value):
        raise colander.Invalid(node, "Use no spaces or control characters in a username.")
    taken = _db(node).scalar(select(User.uuid).where(func.lower(User.username) == value.lower()))
    if taken:
        raise colander.Invalid(node, f"There is a user named {value} already.")


def _unique_role_name(node, value):
    instance = node.bindings.get("instance")
    query = select(Role.uuid).where(func.lower(Role.name) == value.lower())
    if instance is not None:
        query = query.where(Role.uuid != instance.uuid)
    if _db(node).scalar(query):
        raise colander.Invalid(node, f"There is a role named {value} already.")


class KnownChoices:
    """Each chosen value must be one the form offered (its widget's values)."""

    def __init__(self, what):
        self.what = what

    def __call__(self, node, value):
        offered = {choice for choice, _ in node.widget.values}
        unknown = sorted(set(value) - offered)
        if unknown:
            raise colander.Invalid(node, f"Unknown {self.what}: {', '.join(unknown)[:200]}.")


def _also_check(node, validator):
    node.validator = colander.All(node.validator, validator)
    return node


class CheckboxGroupWidget(deform.widget.CheckboxChoiceWidget):
    """Checkboxes in a fieldset under a legend (templates/accounts/checkbox_group.pt)."""

    template = "../accounts/checkbox_group"  # found beside our deform templates
    category = "structural"  # the legend names the group: no <label> for it


class GroupsWidget(deform.widget.MappingWidget):
    """The permission groups; anything but a mapping posted for them is a plain error."""

    def deserialize(self, field, pstruct):
        if pstruct is not colander.null and not isinstance(pstruct, dict):
            raise colander.Invalid(field.schema, "These permissions were not sent as groups.",
                                   value={})
        return super().deserialize(field, pstruct)


def choices_node(name, title, what, values=()):
    return colander.SchemaNode(
        colander.Set(), name=name, title=title, missing=set(), validator=KnownChoices(what),
        widget=CheckboxGroupWidget(values=values),
    )


def all_roles(request):
    return list(request.dbsession.scalars(select(Role).order_by(Role.name)))


# -- users ----------------------------------------------------------------------------


def _bind_user_form(schema, kw):
    request, instance = kw["request"], kw.get("instance")
    if instance is not None:
        del schema["username"]  # the name history and logins refer to: fixed once created
    roles = all_roles(request)
    schema["roles"].widget.values = [
        (role.uuid, f"{role.name} (every permission)" if role.grants_all else role.name)
        for role in roles]
    schema.bindings = dict(kw, roles={role.uuid: role for role in roles})


def _check_user_form(schema, appstruct):
    request, user = schema.bindings["request"], schema.bindings.get("instance")
    roles = [schema.bindings["roles"][uuid] for uuid in appstruct["roles"]]
    before = {r.uuid: r for r in (user.roles if user is not None else ())}
    after = {r.uuid: r for r in roles}
    changed = [after.get(uuid) or before[uuid] for uuid in after.keys() ^ before.keys()]
    for role in sorted(changed, key=lambda r: r.name):  # granted or taken away
        problem = role_reach_problem(request.identity, role, "give or take away")
        if problem:
            raise colander.Invalid(schema, problem)
    if user is not None:
        problem = last_admin_problem(request.dbsession, user, active=appstruct["active"],
                                     roles=roles)
        if problem:
            raise colander.Invalid(schema, problem)


def user_schema():
    schema = colander.SchemaNode(colander.Mapping(), after_bind=_bind_user_form,
                                 validator=_check_user_form)
    schema.add(_also_check(text_node("username", "Username", 50), _unique_username))
    schema.add(checkbox_node("active", "Active"))
    schema.add(choices_node("roles", "Roles", "role"))
    return schema


# -- roles ----------------------------------------------------------------------------


def permission_groups(registry):
    """[(table, title, [(permission, description)])]: the catalogue grouped by the part before the dot."""
    groups = {}
    for name, description in catalogue(registry).items():
        groups.setdefault(name.split(".", 1)[0], []).append((name, description))
    return [(table, table.replace("_", " ").capitalize(), items)
            for table, items in sorted(groups.items())]


def _bind_role_form(schema, kw):
    request, instance = kw["request"], kw.get("instance")
    if instance is not None and instance.grants_all:
        return  # every permission, always: nothing to choose
    permissions = colander.SchemaNode(colander.Mapping(), name="permissions", title="Permissions",
                                      missing={}, widget=GroupsWidget())
    for table, title, items in permission_groups(request.registry):
        permissions.add(choices_node(
            table, title, "permission",
            values=[(name, f"{description} ({name})") for name, description in items]))
    schema.add(permissions)


def _check_role_form(schema, appstruct):
    problem = permissions_reach_problem(schema.bindings["request"].identity,
                                        chosen_permissions(appstruct))
    if problem:
        raise colander.Invalid(schema, problem)


def role_schema():
    schema = colander.SchemaNode(colander.Mapping(), after_bind=_bind_role_form,
                                 validator=_check_role_form)
    schema.add(_also_check(text_node("name", "Name", 100), _unique_role_name))
    return schema


def chosen_permissions(appstruct):
    """The permissions ticked in a validated role form, across its groups."""
    return {name for group in appstruct.get("permissions", {}).values() for name in group}
