"""Role pages: a name and permissions ticked by table; the users holding the role.

Every page needs `roles.manage`. A role granting every permission (the
Administrator role) shows that read-only: its permissions cannot be chosen.
"""
from sqlalchemy import func, select

from ..auth import accounts
from ..forms.accounts import chosen_permissions, permission_groups, role_schema
from ..grid import Column, Contains, YesNoFilter
from ..models import Role, RolePermission, user_roles
from .accounts import AccountPages
from .master import MasterView

USER_COUNT = (select(func.count()).select_from(user_roles)
              .where(user_roles.c.role_uuid == Role.uuid).correlate(Role).scalar_subquery())
PERMISSION_COUNT = (select(func.count()).select_from(RolePermission)
                    .where(RolePermission.role_uuid == Role.uuid).correlate(Role)
                    .scalar_subquery())
EVERY_PERMISSION = "Every permission, including ones added later (administrators)."


class RoleView(AccountPages, MasterView):
    model = Role
    route_prefix, url_prefix = "roles", "/roles"
    title, title_plural = "Role", "Roles"
    menu = "Accounts"
    permission = "roles.manage"
    permission_description = "Manage roles and the permissions they grant"
    history_entity = accounts.ROLE_ENTITY

    columns = (
        Column("name", "Name", sort=Role.name, link="view"),
        Column("grants_all", "Every permission", sort=Role.grants_all),
        Column("permission_count", "Permissions", value=PERMISSION_COUNT, numeric=True),
        Column("user_count", "Users", value=USER_COUNT, numeric=True),
    )
    search = (Contains(Role.name),)
    search_placeholder = "Name"
    filters = (YesNoFilter("grants_all", "Every permission", Role.grants_all),)
    default_sort = "name"

    importable = False  # accounts have pages of their own, never a file or a bulk change
    schema = staticmethod(role_schema)

    # -- view page ---------------------------------------------------------------------

    def reach_problem(self, role):
        return accounts.role_reach_problem(self.request.identity, role)

    def view_fields(self, role):
        return [("Name", role.name, None)] + (
            [("Permissions", EVERY_PERMISSION, None)] if role.grants_all else [])

    def view_groups(self, role):
        groups = []
        if not role.grants_all:
            held = {p.permission for p in role.permissions}
            for _table, title, items in permission_groups(self.request.registry):
                chosen = [(f"{description} ({name})", None) for name, description in items
                          if name in held]
                if chosen:
                    groups.append((f"Permissions: {title}", "", chosen))
            if not groups:
                groups.append(("Permissions", "This role grants no permissions yet.", []))
        users = sorted(role.users, key=lambda u: u.username)
        linked = self.request.has_permission("users.manage")
        groups.append(("Users holding this role", "No user holds this role.", [
            (u.username + ("" if u.active else " (inactive)"),
             self.request.route_url("users.view", uuid=u.uuid) if linked else None)
            for u in users]))
        return groups

    def form_note(self, role):
        if role is not None and role.grants_all:
            return (f"{role.name} grants every permission, including ones added later: "
                    "only its name can be changed here.")
        return None

    # -- forms -------------------------------------------------------------------------

    def to_appstruct(self, role):
        groups = {}
        for permission in role.permissions:
            groups.setdefault(permission.permission.split(".", 1)[0], set()).add(
                permission.permission)
        return {"name": role.name, "permissions": groups}

    def save(self, appstruct, role):
        action = "create" if role is None else "update"
        if role is None:
            role = Role(name=appstruct["name"], grants_all=False)
            self.db.add(role)
            self.db.flush()  # its key, for the history
        old_name = role.name
        role.name = appstruct["name"]
        granted = revoked = set()
        if not role.grants_all:
            offered = {name for _t, _title, items in permission_groups(self.request.registry)
                       for name, _d in items}
            held = {p.permission for p in role.permissions}
            chosen = chosen_permissions(appstruct)
            granted, revoked = chosen - held, (held & offered) - chosen
            # Permissions no page offers any more (a removed view) are kept as they are.
            role.permissions = [p for p in role.permissions if p.permission not in revoked] + [
                RolePermission(permission=name) for name in sorted(granted)]
        accounts.record_role_saved(self.db, role, action, old_name, granted, revoked)
        self.db.flush()
        verb = "Created" if action == "create" else "Saved"
        return self.done(f"{verb} role “{role}”.", role)

    def delete_page(self):
        role = self.changeable_instance()
        title = f"Delete role {role.name}?"
        count = len(role.users)
        message = (f"This deletes role {role.name}; the {count} user{'s' if count != 1 else ''} "
                   "holding it lose what it grants. It cannot be undone.")
        problem = accounts.role_delete_problem(self.db, role)
        if self.request.method == "POST":
            if problem:
                return self.refuse(role, title, message, problem)
            accounts.record_role_deleted(self.db, role)
            self.db.delete(role)
            self.db.flush()
            return self.done(f"Deleted role “{role}”.")
        return self.confirm(role, title, message, "Delete", refusal=problem)


def includeme(config):
    RoleView.include(config)
