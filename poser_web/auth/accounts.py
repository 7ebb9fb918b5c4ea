"""Account rules: administrators, temporary passwords, ending sessions, account history.

No HTTP in here: the user and role pages (views/users.py, views/roles.py) and
the command line call these, so every writer keeps the same rules.

- An administrator is an active user holding a role that grants every
  permission (`Role.grants_all`). The last one cannot be deactivated,
  demoted or deleted, and the last such role cannot be deleted:
  `last_admin_problem` says why, before anything is changed.
- Nobody gets more than they were given: a manager acts on an account (roles,
  password, deactivation, deletion) or a role only when it holds nothing beyond
  the manager's own permissions, grants only roles and permissions within them,
  and only administrators act on administrators (`user_reach_problem`,
  `role_reach_problem`, `permissions_reach_problem`).
- `end_sessions(db, user)` is the one place a user's sessions are ended.
- Account changes are Change rows (entity "user" / "role") naming who
  granted what to whom; passwords never appear in them.
"""
import secrets

from sqlalchemy import delete, select

from ..models import Change, Role, User, make_change, user_roles
from ..models.audit import actor
from ..models.sessions import ServerSession
from .passwords import hash_password

USER_ENTITY = "user"
ROLE_ENTITY = "role"


def temporary_password():
    """A random password for an administrator to hand over (16 URL-safe characters)."""
    return secrets.token_urlsafe(12)


def end_sessions(db, user):
    """End every session `user` has (deactivation, password reset, deletion).

    Sessions live on the server (poser_session): their rows go, so an old
    cookie opens nothing, even after the user is reactivated. (Saving a new
    password hash or deactivating also ends them, through sessions.py's flush
    hook; this covers the paths that change neither, e.g. deletion.)
    """
    db.flush()
    if user.uuid is not None:
        db.execute(delete(ServerSession).where(ServerSession.user_uuid == user.uuid))


def set_temporary_password(db, user):
    """Give `user` a new temporary password (returned, to be shown once); ends their sessions."""
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    end_sessions(db, user)
    return password


# -- administrators ---------------------------------------------------------------


def active_admins(db, without_role=None):
    """Keys of the active users holding a grants_all role (other than `without_role`).

    Locks the grants_all roles first (PostgreSQL), so two requests changing
    administrators at once queue, and neither can take away the other's
    last one. SQLite's writers are serialized already (BEGIN IMMEDIATE).
    """
    roles = select(Role.uuid).where(Role.grants_all.is_(True))
    if db.get_bind().dialect.name != "sqlite":
        roles = roles.with_for_update()
    admin_roles = set(db.scalars(roles)) - ({without_role.uuid} if without_role else set())
    if not admin_roles:
        return set()
    return set(db.scalars(
        select(User.uuid).distinct().join(user_roles, user_roles.c.user_uuid == User.uuid)
        .where(User.active.is_(True), user_roles.c.role_uuid.in_(admin_roles))))


def is_admin_role_set(roles):
    return any(role.grants_all for role in roles)


def last_admin_problem(db, user, *, active=None, roles=None, deleting=False):
    """Why changing `user` so (active, roles, or deleting) is refused, or None.

    Refused when `user` is the last administrator and would stop being one.
    """
    with db.no_autoflush:
        still_admin = not deleting and (user.active if active is None else active) and \
            is_admin_role_set(user.roles if roles is None else roles)
        if still_admin:
            return None
        admins = active_admins(db)
    if admins != {user.uuid}:
        return None
    if deleting:
        what = "deleting them"
    elif active is False and user.active:
        what = "deactivating them"
    else:
        what = "taking away their administrator role"
    return (f"{user.username} is the last active administrator: {what} would leave no one "
            "able to manage accounts. Make someone else an administrator first.")


def role_delete_problem(db, role):
    """Why deleting `role` is refused (it would leave no active administrator), or None."""
    if not role.grants_all:
        return None
    if active_admins(db) and not active_admins(db, without_role=role):
        return (f"{role.name} gives the last active administrators every permission: deleting "
                "it would leave no one able to manage accounts. Give another role that grants "
                "every permission to someone first.")
    return None


# -- reach: nobody acts on more than they hold -----------------------------------------


def _listed(names, shown=5):
    names = sorted(names)
    return ", ".join(names[:shown]) + (", …" if len(names) > shown else "")


def _beyond(identity, roles):
    """(grants_all, permissions identity lacks) of what `roles` grant together."""
    if identity.all_permissions:
        return False, set()
    return (any(r.grants_all for r in roles),
            {p.permission for r in roles for p in r.permissions} - identity.permissions)


def user_reach_problem(identity, user):
    """Why `identity` may not change `user`'s account (roles, password, active, deletion), or
    None: `user` must hold no permission `identity` lacks, and administrators only answer to
    administrators."""
    every, missing = _beyond(identity, user.roles)
    if every:
        return (f"{user.username}'s account holds every permission: only an administrator can "
                "change it.")
    if missing:
        return (f"{user.username} holds permissions you do not ({_listed(missing)}): only "
                "someone who holds them can change this account.")
    return None


def role_reach_problem(identity, role, doing="change"):
    """Why `identity` may not `doing` (change, give or take away) `role`, or None."""
    every, missing = _beyond(identity, [role])
    if every:
        if doing == "change":
            return (f"You cannot change {role.name}: it grants every permission, and only an "
                    "administrator can change such a role.")
        return "Only an administrator can give or take away a role that grants every permission."
    if missing:
        return (f"You cannot {doing} {role.name}: it grants permissions you do not hold "
                f"({_listed(missing)}).")
    return None


def permissions_reach_problem(identity, permissions):
    """Why `identity` may not grant `permissions` to a role (those it lacks), or None."""
    missing = set() if identity.all_permissions else set(permissions) - identity.permissions
    if missing:
        return f"You can grant only permissions you hold yourself (not {_listed(missing)})."
    return None


# -- history ------------------------------------------------------------------------


def record(db, entity, obj, action, summary, diff):
    """Add one Change row for a user or role: who (the request's user or runas) did what."""
    username, source = actor(db)
    values = make_change(action, obj.uuid, str(obj), diff, username, source, entity=entity)
    values["summary"] = summary[:255]
    db.add(Change(**values))


def names(items):
    return ", ".join(sorted(str(item) for item in items))


def record_user_created(db, user, password_note="temporary password set"):
    roles = sorted(r.name for r in user.roles)
    summary = f"Created user {user.username}" + (
        f" with role{'s' if len(roles) != 1 else ''} {', '.join(roles)}" if roles else "") + \
        f"; {password_note}"
    record(db, USER_ENTITY, user, "create", summary,
           {"fields": {"active": [None, user.active]}, "roles": {"granted": roles}})
    for role in user.roles:
        record(db, ROLE_ENTITY, role, "update", f"Granted to {user.username}",
               {"users": {"granted": [user.username]}})


def record_user_changed(db, user, was_active, granted, revoked):
    """History of an edit: roles granted and revoked, activated or deactivated."""
    parts, diff = [], {}
    if granted:
        parts.append(f"Granted role{'s' if len(granted) != 1 else ''} {names(granted)} "
                     f"to {user.username}")
    if revoked:
        parts.append(f"Revoked role{'s' if len(revoked) != 1 else ''} {names(revoked)} "
                     f"from {user.username}")
    if granted or revoked:
        diff["roles"] = {k: sorted(r.name for r in v)
                         for k, v in (("granted", granted), ("revoked", revoked)) if v}
    if was_active != user.active:
        parts.append(("Activated " if user.active else "Deactivated ") + user.username)
        diff["fields"] = {"active": [was_active, user.active]}
    if not parts:
        return
    record(db, USER_ENTITY, user, "update", "; ".join(parts), diff)
    for role in granted:
        record(db, ROLE_ENTITY, role, "update", f"Granted to {user.username}",
               {"users": {"granted": [user.username]}})
    for role in revoked:
        record(db, ROLE_ENTITY, role, "update", f"Revoked from {user.username}",
               {"users": {"revoked": [user.username]}})


def record_password_reset(db, user):
    record(db, USER_ENTITY, user, "password",
           f"Reset the password of {user.username} to a temporary one (to be changed at login)",
           {"password": "reset"})


def record_password_set(db, user):
    record(db, USER_ENTITY, user, "password", f"Set the password of {user.username}",
           {"password": "set"})


def record_user_deleted(db, user):
    record(db, USER_ENTITY, user, "delete", f"Deleted user {user.username}",
           {"roles": {"revoked": sorted(r.name for r in user.roles)}})


def record_role_saved(db, role, action, old_name, granted, revoked):
    parts, diff = [], {}
    if action == "create":
        parts.append(f"Created role {role.name}")
    elif old_name != role.name:
        parts.append(f"Renamed from {old_name} to {role.name}")
        diff["fields"] = {"name": [old_name, role.name]}
    if granted:
        parts.append(f"Granted {', '.join(sorted(granted))}")
        diff.setdefault("permissions", {})["granted"] = sorted(granted)
    if revoked:
        parts.append(f"Revoked {', '.join(sorted(revoked))}")
        diff.setdefault("permissions", {})["revoked"] = sorted(revoked)
    if parts:
        record(db, ROLE_ENTITY, role, action, "; ".join(parts), diff)


def record_role_deleted(db, role):
    record(db, ROLE_ENTITY, role, "delete", f"Deleted role {role.name}",
           {"users": {"revoked": sorted(u.username for u in role.users)}})
    for user in role.users:
        record(db, USER_ENTITY, user, "update",
               f"Revoked role {role.name} from {user.username} (role deleted)",
               {"roles": {"revoked": [role.name]}})


def history(db, entity, uuid, limit=50):
    """The latest changes of one user or role, newest first."""
    return list(db.scalars(
        select(Change).where(Change.entity == entity, Change.entity_uuid == uuid)
        .order_by(Change.changed_at.desc(), Change.uuid.desc()).limit(limit)))


def recent_changes(db, offset=0, limit=50):
    """Account changes of every user and role (deleted ones too), newest first."""
    return list(db.scalars(
        select(Change).where(Change.entity.in_((USER_ENTITY, ROLE_ENTITY)))
        .order_by(Change.changed_at.desc(), Change.uuid.desc()).offset(offset).limit(limit)))
