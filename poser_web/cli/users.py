"""Accounts from the command line: adduser, passwd, role, permissions, ensure-admin."""
import getpass
import secrets
import sys
from contextlib import contextmanager

from sqlalchemy import func, select

from ..auth import accounts
from ..auth.passwords import hash_password, password_problem
from ..auth.permissions import catalogue
from ..models import Role, RolePermission, User
from .common import CommandError, add_config_argument, app_settings, session_for

ADMIN_ROLE = "Administrator"


def read_password(prompt="Password"):
    """Prompt twice on a terminal; otherwise read one line from stdin."""
    if sys.stdin.isatty():
        password = getpass.getpass(f"{prompt}: ")
        if password != getpass.getpass(f"{prompt} again: "):
            raise CommandError("the two passwords differ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password)
    if problem:
        raise CommandError(f"password not accepted: {problem}")
    return password


def admin_role(session):
    """The role granting every permission, found by what it grants, never by its name (a role
    manager could rename it and call a lesser role "Administrator"); made when there is none."""
    role = session.scalars(select(Role).where(Role.grants_all.is_(True))
                           .order_by(Role.name != ADMIN_ROLE, Role.name)).first()
    if role is None:
        taken = session.scalar(select(Role.uuid).where(Role.name == ADMIN_ROLE))
        role = Role(name=f"{ADMIN_ROLE} (every permission)" if taken else ADMIN_ROLE,
                    grants_all=True)
        session.add(role)
    return role


def find_user(session, username):
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise CommandError(f"no user named {username!r}")
    return user


@contextmanager
def account_session(config_path):
    """A session whose account changes are recorded as made on the command line."""
    with session_for(config_path) as session:
        session.info["source"] = "command line"
        yield session


def known_permissions(config_path):
    from .. import configure

    return catalogue(configure(app_settings(config_path)).registry)


def cmd_adduser(args):
    password = read_password()
    with account_session(args.config) as session:
        if session.scalars(select(User).where(User.username == args.name)).first():
            raise CommandError(f"a user named {args.name!r} exists already (use `poser passwd`)")
        user = User(username=args.name, password_hash=hash_password(password))
        if args.admin:
            user.roles.append(admin_role(session))
            admin_name = user.roles[0].name
        for name in args.role:
            role = session.scalars(select(Role).where(Role.name == name)).first()
            if role is None:
                raise CommandError(f"no role named {name!r} (create it with `poser role`)")
            user.roles.append(role)
        session.add(user)
        session.flush()
        accounts.record_user_created(session, user, "password set on the command line")
    roles = ", ".join(([admin_name] if args.admin else []) + args.role) or "no roles yet"
    print(f"Added user {args.name} ({roles}).")


def cmd_passwd(args):
    password = read_password("New password")
    with account_session(args.config) as session:
        user = find_user(session, args.name)
        user.password_hash = hash_password(password)
        accounts.end_sessions(session, user)
        accounts.record_password_set(session, user)
    print(f"Changed the password of {args.name}; their sessions are logged out.")


def cmd_role(args):
    known = known_permissions(args.config)
    unknown = sorted(set(args.grant + args.revoke) - set(known))
    if unknown:
        raise CommandError(f"unknown permission(s) {', '.join(unknown)}; known: {', '.join(known)}")
    with account_session(args.config) as session:
        role = session.scalars(select(Role).where(Role.name == args.name)).first()
        action = "update"
        if role is None:
            role = Role(name=args.name, grants_all=False)
            session.add(role)
            session.flush()
            action = "create"
        held = {p.permission for p in role.permissions}
        for name in args.grant:
            if name not in held:
                role.permissions.append(RolePermission(permission=name))
        role.permissions = [p for p in role.permissions if p.permission not in args.revoke]
        after = {p.permission for p in role.permissions}
        accounts.record_role_saved(session, role, action, role.name, after - held, held - after)
        for username in args.user:
            user = find_user(session, username)
            if role not in user.roles:
                user.roles.append(role)
                accounts.record_user_changed(session, user, user.active, {role}, set())
        granted = "every permission" if role.grants_all else (
            ", ".join(sorted(p.permission for p in role.permissions)) or "nothing")
    print(f"Role {args.name} grants {granted}.")


def cmd_permissions(args):
    for name, description in known_permissions(args.config).items():
        print(f"{name:24} {description}")


def cmd_ensure_admin(args):
    """First run: when there are no users at all, add an administrator with a random password."""
    with account_session(args.config) as session:
        if session.scalar(select(func.count()).select_from(User)):
            print("Users exist already; nothing to do.")
            return 0
        password = secrets.token_urlsafe(12)
        # A temporary password: the first login asks for one of the administrator's own.
        user = User(username=args.name, password_hash=hash_password(password),
                    must_change_password=True)
        user.roles.append(admin_role(session))
        session.add(user)
        session.flush()
        accounts.record_user_created(session, user, "first administrator, temporary password")
    print(f"Created administrator {args.name!r} with password {password}\n"
          "Log in with it: you will be asked to choose your own (or run `poser passwd`).")


def add_commands(commands):
    def command(name, handler, help, description):
        parser = commands.add_parser(name, help=help, description=description)
        add_config_argument(parser)
        parser.set_defaults(handler=handler)
        return parser

    adduser = command("adduser", cmd_adduser, "add a user (password prompted, or read from stdin)",
                      "Add a user who logs in with NAME. The password is prompted for twice on a "
                      "terminal, otherwise read as one line from standard input.")
    adduser.add_argument("name", metavar="NAME", help="the new user's login name")
    adduser.add_argument("--admin", action="store_true", help="give the Administrator role")
    adduser.add_argument("--role", action="append", default=[], metavar="ROLE",
                         help="give this existing role (repeatable)")

    passwd = command("passwd", cmd_passwd, "set a user's password (ends their sessions)",
                     "Set the password of user NAME (prompted, or one line from standard input); "
                     "their other sessions are logged out.")
    passwd.add_argument("name", metavar="NAME", help="the user's login name")

    role = command("role", cmd_role, "create or change a role",
                   "Create role NAME if it does not exist, grant and revoke permissions "
                   "(`poser permissions CONFIG` lists them), and give it to users.")
    role.add_argument("name", metavar="NAME", help="the role's name, e.g. Clerk")
    role.add_argument("--grant", action="append", default=[], metavar="PERMISSION",
                      help="let the role do this, e.g. widgets.edit (repeatable)")
    role.add_argument("--revoke", action="append", default=[], metavar="PERMISSION",
                      help="take this permission away from the role (repeatable)")
    role.add_argument("--user", action="append", default=[], metavar="USERNAME",
                      help="give the role to this user (repeatable)")

    command("permissions", cmd_permissions, "list the permissions roles can grant",
            "List every permission a role can grant, with what it allows; the Administrator "
            "role holds them all.")

    ensure = command("ensure-admin", cmd_ensure_admin,
                     "first run: add an administrator with a random password if there are no users",
                     "When the database has no users at all, add an administrator with a random "
                     "password and print it once; otherwise do nothing (`make run` runs this).")
    ensure.add_argument("name", metavar="NAME", nargs="?", default="admin",
                        help="the administrator's login name (default: admin)")
