"""`poser datasync ...`: the daemon, catch-up, status and pruning (see docs/datasync.md).

    poser datasync CONFIG [--consumer NAME] [--until-idle]
    poser datasync catch-up CONFIG CONSUMER [--dry-run]
    poser datasync status CONFIG          # exit 1 when a consumer is refused, parked or lagging
    poser datasync prune CONFIG           # drop changes every consumer has passed
"""
import argparse
import logging
import sys

from .common import CommandError, add_config_argument

SUBCOMMANDS = ("run", "catch-up", "status", "prune")


def _settings(path):
    from ..datasync.config import read_settings

    return read_settings(path)


def _logging(config_path):
    """The ini's [loggers] when it has them, else INFO lines on stderr."""
    try:
        from logging.config import fileConfig

        fileConfig(config_path, disable_existing_loggers=False)
    except (KeyError, ValueError, OSError):
        pass
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s [%(name)s] %(message)s")
        logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("poser_web.datasync").setLevel(logging.INFO)


def _consumer(settings, name, source_engine):
    from ..datasync.consumers import consumer_class

    if name not in settings.consumers:
        raise CommandError(f"no consumer {name!r} in [datasync] consumers "
                           f"(configured: {', '.join(settings.consumers) or 'none'})")
    options = settings.consumers[name]
    return consumer_class(options["type"])(name, options, source_engine)


def cmd_run(args):
    from ..datasync.daemon import Daemon

    settings = _settings(args.config)
    for name in args.consumer or ():
        if name not in settings.consumers:
            raise CommandError(f"no consumer {name!r} in [datasync] consumers")
    if not settings.consumers:
        raise CommandError(f"{args.config}: [datasync] consumers lists none")
    _logging(args.config)
    try:
        daemon = Daemon(settings, only=args.consumer)
    except LookupError as error:
        raise CommandError(str(error)) from None
    return daemon.run(until_idle=args.until_idle)


def cmd_catch_up(args):
    from ..datasync.catchup import catch_up
    from ..datasync.consumers import ConsumerRefused, Unavailable
    from ..db.engine import get_engine
    from ..transfer.progress import Progress

    settings = _settings(args.config)
    source = get_engine(settings.app)
    try:
        consumer = _consumer(settings, args.name, source)
        report = catch_up(consumer, dry_run=args.dry_run,
                          progress=Progress(prefix="poser datasync catch-up: "))
    except (ConsumerRefused, Unavailable, ValueError, LookupError) as error:
        raise CommandError(str(error)) from None
    finally:
        source.dispose()
    consumer.close()
    verb = "Dry run: would make" if report.dry_run else "Caught up"
    print(f"{verb} {args.name} in {report.seconds:.1f} s"
          + ("" if report.dry_run else f", cursor at change {report.cursor}") + ":")
    print(report.table())


def cmd_status(args):
    from ..datasync import store
    from ..db.engine import get_engine

    settings = _settings(args.config)
    engine = get_engine(settings.app)
    try:
        with engine.connect() as connection:
            rows = {row["name"]: row for row in store.status(connection)}
            last = store.last_change_id(connection)
    except Exception as error:
        raise CommandError(f"cannot read the datasync state: {error}") from None
    finally:
        engine.dispose()
    threshold = args.lag_threshold or settings.lag_threshold
    bad = 0
    print(f"last change: {last}")
    for name in dict.fromkeys([*settings.consumers, *rows]):
        row = rows.get(name)
        refusal = _refusal(settings, name) if name in settings.consumers else None
        if row is None:
            print(f"{name}: never run" + (f" -- {refusal}" if refusal else ""))
            bad += 1
            continue
        problems = [refusal] if refusal else []
        if row["parked"]:
            problems.append(f"{len(row['parked'])} parked")
        if row["lag"] > threshold:
            problems.append(f"lagging {row['lag']:.0f} s > {threshold:.0f} s")
        bad += bool(problems)
        print(f"{name} ({row['kind']}): cursor {row['cursor']}, pending {row['pending']}, "
              f"lag {row['lag']:.1f} s, last success {_when(row['last_success_at'])}, "
              f"last error {_when(row['last_error_at'])}"
              + (f": {row['last_error']}" if row["last_error"] else "")
              + (f" -- {'; '.join(problems)}" if problems else " -- ok"))
        for parked in row["parked"]:
            print(f"  parked change {parked['change_id']} {parked['entity']} {parked['entity_key']} "
                  f"[{parked['status']}] after {parked['attempts']} attempt(s): {parked['error']}")
    return 1 if bad else 0


def _refusal(settings, name):
    """Why the daemon cannot ship to this consumer now (as it would find on opening it: a
    target at another migration, a missing runas user, an unreachable target), or None."""
    from ..datasync.consumers import ConsumerRefused, Unavailable
    from ..db.engine import get_engine

    engine = get_engine(settings.app)
    consumer = None
    try:
        consumer = _consumer(settings, name, engine)
        consumer.open()
    except (ConsumerRefused, LookupError) as error:
        return f"refused: {error}"
    except Unavailable as error:
        return f"unreachable: {error}"
    finally:
        if consumer is not None:
            consumer.close()
        engine.dispose()
    return None


def _when(value):
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


def cmd_prune(args):
    from ..datasync import store
    from ..db.engine import get_engine

    settings = _settings(args.config)
    engine = get_engine(settings.app)
    try:
        count = store.prune(engine)
    finally:
        engine.dispose()
    print(f"Pruned {count:,} change{'s' if count != 1 else ''} every consumer has passed.")


def build(prog="poser datasync"):
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    run = sub.add_parser("run", help="the daemon (the default: `poser datasync CONFIG`)")
    add_config_argument(run)
    run.add_argument("--consumer", action="append", metavar="NAME",
                     help="run only this consumer (may be repeated)")
    run.add_argument("--until-idle", action="store_true",
                     help="exit once every consumer is caught up (cron, tests)")
    run.set_defaults(handler=cmd_run)
    catch = sub.add_parser("catch-up", help="make a poser target equal this database")
    add_config_argument(catch)
    catch.add_argument("name", metavar="CONSUMER", help="the consumer's name: its [datasync:NAME] section")
    catch.add_argument("--dry-run", action="store_true", help="count the differences, write nothing")
    catch.set_defaults(handler=cmd_catch_up)
    status = sub.add_parser("status", help="per consumer: cursor, pending, lag, errors, parked")
    add_config_argument(status)
    status.add_argument("--lag-threshold", type=float, metavar="SECONDS",
                        help="fail past this lag (default: [datasync] lag_threshold)")
    status.set_defaults(handler=cmd_status)
    prune = sub.add_parser("prune", help="delete the changes every consumer has passed")
    add_config_argument(prune)
    prune.set_defaults(handler=cmd_prune)
    return parser


def cmd_datasync(args):
    argv = list(args.rest)
    if args.show_help:
        build().print_help()
        raise SystemExit(0)  # as argparse's own --help does
    if not argv:
        build().print_help()
        return 2
    if argv and argv[0] not in SUBCOMMANDS and not argv[0].startswith("-"):
        argv.insert(0, "run")
    parsed = build().parse_args(argv)
    if not getattr(parsed, "handler", None):
        build().print_help()
        return 2
    return parsed.handler(parsed)


def add_commands(commands):
    datasync = commands.add_parser(
        "datasync", help="ship every change to other systems (daemon, catch-up, status, prune)",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False)
    datasync.add_argument("-h", "--help", action="store_true", dest="show_help",
                          help="show the datasync commands and exit")
    datasync.add_argument("rest", nargs=argparse.REMAINDER, metavar="ARGS",
                          help="[run|catch-up|status|prune] CONFIG ... (run is the default)")
    datasync.set_defaults(handler=cmd_datasync)
