"""User pages: list, create (with a temporary password), edit roles and active flag,
reset the password, deactivate, delete. Every page needs `users.manage`.
"""
import re

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from sqlalchemy import func, select

from ..auth import accounts, tokens
from ..forms.accounts import user_schema
from ..grid import Column, Contains, YesNoFilter
from ..models import ApiToken, Role, User, user_roles
from .accounts import AccountPages
from .master import MasterView

CHANGES_PAGE = 50

# The user's roles, comma separated, selected beside the shown rows only.
ROLE_NAMES = (select(func.aggregate_strings(Role.name, ", "))
              .join(user_roles, user_roles.c.role_uuid == Role.uuid)
              .where(user_roles.c.user_uuid == User.uuid)
              .correlate(User).scalar_subquery())


class UserView(AccountPages, MasterView):
    model = User
    route_prefix, url_prefix = "users", "/users"
    title, title_plural = "User", "Users"
    menu = "Accounts"
    permission = "users.manage"
    permission_description = "Manage users: create, give roles, reset passwords, deactivate"
    history_entity = accounts.USER_ENTITY
    extra_actions = ["password", "deactivate", "history", "tokens"]

    columns = (
        Column("username", "Username", sort=User.username, link="view"),
        Column("active", "Active", sort=User.active),
        Column("must_change_password", "Must change password", sort=User.must_change_password),
        Column("roles", "Roles", value=ROLE_NAMES),
    )
    search = (Contains(User.username),)
    search_placeholder = "Username"
    filters = (YesNoFilter("active", "Active", User.active),)
    default_sort = "username"

    importable = False  # accounts have pages of their own, never a file or a bulk change
    schema = staticmethod(user_schema)

    @classmethod
    def has_history(cls):
        """Account changes are recorded by accounts.py (not the Audited mixin): their own page."""
        return True

    @classmethod
    def include_history(cls, config):
        """/users/changes: every account change, deleted users' and roles' too (before /users/{uuid})."""
        config.add_route("users.changes", "/users/changes")
        cls._add(config, "changes_page", "users.changes", "history", "accounts/changes.pt", "GET")

    @classmethod
    def include(cls, config):
        super().include(config)
        cls.add_page(config, "password", "reset_password_page", "accounts/confirm.pt")
        cls.add_page(config, "deactivate", "deactivate_page", "accounts/confirm.pt")
        # API tokens: made (shown once) and revoked from the user's page.
        cls.add_page(config, "tokens", "new_token_page", "accounts/token.pt", "POST")
        config.add_route("users.token_revoke", cls.url_prefix + "/{uuid}/tokens/{token}/revoke")
        cls._add(config, "revoke_token_page", "users.token_revoke", "tokens", None, "POST")

    # -- pages -------------------------------------------------------------------------

    def changes_page(self):
        """The latest account changes (users and roles), newest first, a page at a time."""
        raw = self.request.GET.get("page", "1")
        if not re.fullmatch(r"[0-9]{1,6}", raw) or int(raw) < 1:
            raise HTTPBadRequest("page must be a whole number from 1.")
        page = int(raw)
        changes = accounts.recent_changes(self.db, offset=(page - 1) * CHANGES_PAGE,
                                          limit=CHANGES_PAGE + 1)
        return self.page_context(changes=changes[:CHANGES_PAGE], page=page,
                                 more=len(changes) > CHANGES_PAGE)

    def reach_problem(self, user):
        return accounts.user_reach_problem(self.request.identity, user)

    def view_fields(self, user):
        return [("Username", user.username, None), ("Active", user.active, None),
                ("Temporary password", "Yes: must choose their own at next login"
                 if user.must_change_password else "No", None)]

    def view_groups(self, user):
        roles = sorted(user.roles, key=lambda r: r.name)
        linked = self.request.has_permission("roles.manage")
        return [("Roles", "No roles: this user may only log in and change their password.",
                 [(r.name + (" (every permission)" if r.grants_all else ""),
                   self.request.route_url("roles.view", uuid=r.uuid) if linked else None)
                  for r in roles])]

    def view_tokens(self, user):
        """The user's API tokens (never the secret): prefix, name, dates."""
        return tokens.tokens_of(self.db, user.uuid)

    def view_buttons(self, user):
        buttons = [("Reset password", self.route("password", user), "btn-outline-secondary")]
        if user.active:
            buttons.append(("Deactivate", self.route("deactivate", user), "btn-outline-danger"))
        return buttons

    # -- forms -------------------------------------------------------------------------

    def to_appstruct(self, user):
        return {"active": user.active, "roles": {role.uuid for role in user.roles}}

    def _chosen_roles(self, appstruct):
        return list(self.db.scalars(select(Role).where(Role.uuid.in_(appstruct["roles"]))))

    def save(self, appstruct, user):
        roles = self._chosen_roles(appstruct)
        if user is None:
            return self._create(appstruct, roles)
        was_active, before = user.active, set(user.roles)
        user.active = appstruct["active"]
        user.roles = roles
        granted, revoked = set(roles) - before, before - set(roles)
        accounts.record_user_changed(self.db, user, was_active, granted, revoked)
        if was_active and not user.active:
            accounts.end_sessions(self.db, user)
        self.db.flush()
        return self.done(f"Saved user “{user}”.", user)

    def _create(self, appstruct, roles):
        user = User(username=appstruct["username"], active=appstruct["active"], roles=roles,
                    password_hash="")
        self.db.add(user)
        password = accounts.set_temporary_password(self.db, user)
        accounts.record_user_created(self.db, user)
        self.db.flush()
        self.request.response.status = 201
        return self.temporary_password_page(user, password, f"Created user {user.username}.")

    def temporary_password_page(self, user, password, headline):
        """The temporary password, shown this once (never stored in the session or history)."""
        self.request.override_renderer = "poser_web:templates/accounts/temporary_password.pt"
        return self.page_context(instance=user, headline=headline, password=password)

    # -- API tokens ----------------------------------------------------------------------

    def new_token_page(self):
        """A new API token for the user, shown this once (only its SHA-256 is kept)."""
        user = self.changeable_instance()
        if not user.active:
            raise HTTPBadRequest(f"{user.username} is inactive: a token would open nothing.")
        name = (self.request.POST.get("name") or "").strip()
        if not name or len(name) > 100:
            raise HTTPBadRequest("Name the token (what it is for), at most 100 characters.")
        identity = self.request.identity
        token, row = tokens.issue(self.db, user, name, identity.username if identity else None)
        accounts.record_token(self.db, user, "token created", row)
        self.request.response.status = 201
        return self.page_context(instance=user, token=token, row=row)

    def revoke_token_page(self):
        user = self.changeable_instance()
        row = self.db.get(ApiToken, self.request.matchdict["token"])
        if row is None or row.user_uuid != user.uuid:
            raise HTTPNotFound(f"{user.username} has no such API token.")
        accounts.record_token(self.db, user, "token revoked", row)
        tokens.revoke(self.db, row.uuid)
        return self.done(f"Revoked API token {row.prefix}… ({row.name}): it opens nothing now.",
                         user)

    # -- reset, deactivate, delete -------------------------------------------------------

    def reset_password_page(self):
        user = self.changeable_instance()
        if self.request.method == "POST":
            password = accounts.set_temporary_password(self.db, user)
            accounts.record_password_reset(self.db, user)
            return self.temporary_password_page(user, password,
                                                f"Reset the password of {user.username}.")
        return self.confirm(
            user, f"Reset the password of {user.username}?",
            f"A temporary password is made and shown to you once. {user.username}'s sessions "
            "end, and they must choose their own password at their next login.",
            "Reset password", danger=False)

    def deactivate_page(self):
        user = self.changeable_instance()
        title = f"Deactivate {user.username}?"
        message = (f"{user.username} can no longer log in and their sessions end now. "
                   "Their history stays; you can activate them again from Edit.")
        problem = (accounts.last_admin_problem(self.db, user, active=False) if user.active
                   else f"{user.username} is inactive already.")
        if self.request.method == "POST":
            if problem:
                return self.refuse(user, title, message, problem)
            user.active = False
            accounts.record_user_changed(self.db, user, True, set(), set())
            accounts.end_sessions(self.db, user)
            return self.done(f"Deactivated user “{user}”; their sessions have ended.", user)
        return self.confirm(user, title, message, "Deactivate", refusal=problem)

    def delete_page(self):
        user = self.changeable_instance()
        title = f"Delete user {user.username}?"
        message = (f"This deletes {user.username} and their roles. It cannot be undone; the "
                   "history of what they did keeps their name. Deactivating keeps the account.")
        problem = accounts.last_admin_problem(self.db, user, deleting=True)
        if self.request.method == "POST":
            if problem:
                return self.refuse(user, title, message, problem)
            accounts.record_user_deleted(self.db, user)
            accounts.end_sessions(self.db, user)
            self.db.delete(user)
            self.db.flush()
            return self.done(f"Deleted user “{user}”.")
        return self.confirm(user, title, message, "Delete", refusal=problem)


def includeme(config):
    UserView.include(config)
