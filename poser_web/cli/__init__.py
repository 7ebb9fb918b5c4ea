"""The `poser` command line. Each subcommand lives in its own module."""
import argparse
import sys
from importlib.metadata import version

from pyramid.exceptions import ConfigurationError as DeclarationError
from sqlalchemy.exc import DBAPIError

from ..auth.security import ConfigurationError
from . import batch, datasync, db, scaffold, tokens, transfer, users
from .common import CommandError


def build_parser():
    parser = argparse.ArgumentParser(prog="poser", description="Poser web admin tools.")
    parser.add_argument("--version", action="version", version=f"poser-web {version('poser-web')}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (db, users, tokens, transfer, batch, datasync, scaffold):
        module.add_commands(commands)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        return args.handler(args) or 0
    except CommandError as error:
        print(f"poser {args.command}: {error}", file=sys.stderr)
        return 2
    except (ConfigurationError, DeclarationError) as error:
        # The app the command loads refused its settings (production.ini without POSER_SECRET,
        # say) or a table's declarations: the message names what to set, a traceback would not.
        print(f"poser {args.command}: the app cannot start: {error}", file=sys.stderr)
        return 2
    except DBAPIError as error:
        # An unmigrated database or one that cannot be reached: say so, not a traceback.
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        ini = getattr(args, "config", None) or "INI"
        print(f"poser {args.command}: the database refused: {reason}\n"
              f"`poser db {ini}` shows whether it is reachable and migrated "
              f"(`alembic -c {ini} upgrade heads` migrates it).", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
