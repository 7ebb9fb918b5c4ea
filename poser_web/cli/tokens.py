"""`poser token`: a user's API tokens from the command line — create (shown once), list, revoke."""
from sqlalchemy import select

from ..auth import accounts, tokens
from ..models import ApiToken, User
from .common import CommandError, add_config_argument
from .users import account_session, find_user


def cmd_create(args):
    with account_session(args.config) as session:
        user = find_user(session, args.username)
        if not user.active:
            raise CommandError(f"{args.username} is inactive: a token would open nothing")
        token, row = tokens.issue(session, user, args.name, created_by=None)
        accounts.record_token(session, user, "token created", row)
        prefix, name = row.prefix, row.name
    print(f"API token {prefix}… ({name}) for {args.username}; shown once, keep it secret:")
    print(token)


def cmd_list(args):
    with account_session(args.config) as session:
        query = select(ApiToken, User.username).join(User).order_by(User.username,
                                                                     ApiToken.created_at)
        if args.username:
            query = query.where(User.username == find_user(session, args.username).username)
        rows = session.execute(query).all()
        print(f"{'token':<14} {'user':<20} {'created':<17} {'last used':<17} name")
        for token, username in rows:
            used = token.last_used_at.strftime("%Y-%m-%d %H:%M") if token.last_used_at else "never"
            print(f"{token.prefix + '…':<14} {username:<20} "
                  f"{token.created_at:%Y-%m-%d %H:%M}  {used:<17} {token.name}")


def cmd_revoke(args):
    with account_session(args.config) as session:
        found = session.scalars(select(ApiToken).where(
            (ApiToken.prefix == args.token.rstrip("…")) | (ApiToken.uuid == args.token))).all()
        if len(found) != 1:
            raise CommandError(f"{'no' if not found else 'more than one'} token matches "
                               f"{args.token!r}: give the prefix `poser token list` shows")
        [row] = found
        prefix, name = row.prefix, row.name
        accounts.record_token(session, row.user, "token revoked", row)
        tokens.revoke(session, row.uuid)
    print(f"Revoked API token {prefix}… ({name}).")


def add_commands(commands):
    token = commands.add_parser("token", help="create, list or revoke users' API tokens",
                                description="API tokens let scripts and other systems use the "
                                            "JSON API as a user (Authorization: Bearer TOKEN).")
    actions = token.add_subparsers(dest="action", metavar="ACTION",
                                   help="create, list or revoke (each has its own --help)")
    create = actions.add_parser("create", help="a new token for a user, printed once")
    add_config_argument(create)
    create.add_argument("username", metavar="USERNAME", help="the user the token acts as")
    create.add_argument("--name", required=True, help="what it is for, e.g. 'nightly export'")
    create.set_defaults(handler=cmd_create)
    listing = actions.add_parser("list", help="tokens (prefix, user, dates, name), never the secret")
    add_config_argument(listing)
    listing.add_argument("username", metavar="USERNAME", nargs="?", help="only this user's")
    listing.set_defaults(handler=cmd_list)
    revoke = actions.add_parser("revoke", help="revoke a token by the prefix `list` shows")
    add_config_argument(revoke)
    revoke.add_argument("token", metavar="PREFIX", help="the token's prefix (or its uuid)")
    revoke.set_defaults(handler=cmd_revoke)
