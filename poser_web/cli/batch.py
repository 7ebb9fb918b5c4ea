"""`poser batch list|execute|purge`, and `poser import --batch` (a batch to review instead of
an import applied at once)."""
import json
import sys

from sqlalchemy import select

from ..batch import get_handler, import_type, runner, workers
from ..batch.files import FileRefused
from ..batch.handler import B, BatchError, by_number, purge
from ..batch.store import FileStore
from ..db.engine import WRITE_OPTION, get_engine
from ..transfer.importer import UnknownUser, check_runas
from ..transfer.progress import Progress
from .common import CommandError, add_config_argument, app_registry, app_settings


def _engine_and_store(config):
    settings = app_settings(config)
    return get_engine(settings), FileStore.from_settings(settings)


def _counts(raw):
    counts = json.loads(raw or "{}")
    return ", ".join(f"{counts[s]:,} {s}" for s in ("new", "update", "unchanged", "delete",
                                                     "error") if counts.get(s)) or "no rows"


def import_as_batch(args):
    registry = app_registry(args.config)
    try:
        handler = import_type(registry, args.table)
    except LookupError as error:
        raise CommandError(f"{error}; `poser tables CONFIG` lists them") from None
    engine, store = registry["db_engine"], FileStore.from_settings(registry.settings)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                check_runas(connection, args.runas)
                uuid, _ = runner.create_from_file(
                    connection, handler, args.file, args.file, args.runas, store,
                    params={"delete_missing": bool(args.delete_missing)})
            failure = runner.populate(connection, handler, uuid, store, commit=connection.commit)
            connection.commit()
            row = connection.execute(select(B.c.number, B.c.status_counts, B.c.row_count)
                                     .where(B.c.uuid == uuid)).one()
    except FileRefused as error:
        raise CommandError(f"{args.file}: {error}; no batch was made") from None
    except UnknownUser as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror or error}") from None
    finally:
        engine.dispose()
    if failure:
        raise CommandError(f"batch {row.number}: {failure}")
    print(f"Batch {row.number}: {row.row_count:,} rows ({_counts(row.status_counts)}). "
          f"Nothing is changed until it is executed: review it at /batches/{uuid}, or run "
          f"`poser batch execute {args.config} {row.number}`.")


def cmd_list(args):
    engine, _ = _engine_and_store(args.config)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(B).order_by(B.c.number.desc())).all()
    finally:
        engine.dispose()
    print(f"{'number':>7}  {'type':<15} {'state':<10} {'rows':>9}  created           description")
    for row in rows:
        print(f"{row.number:>7}  {row.batch_type:<15} {row.state:<10} {row.row_count:>9,}  "
              f"{row.created_at:%Y-%m-%d %H:%M}  {row.description}")


def cmd_execute(args):
    registry = app_registry(args.config)
    engine = registry["db_engine"]
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(**{WRITE_OPTION: True})
            with connection.begin():
                check_runas(connection, args.runas)
                try:
                    batch = by_number(connection, args.number)
                except LookupError as error:
                    raise CommandError(str(error)) from None
                try:
                    handler = get_handler(registry, batch.batch_type)
                except LookupError as error:
                    raise CommandError(str(error)) from None
                # A batch a stopped web worker left executing is taken over.
                stopped = batch.worker if batch.state == "executing" and workers.stopped(
                    connection, batch.worker, batch.number) else None
                phase = None

                def progress(done, total):
                    nonlocal phase
                    if phase is None:
                        phase = Progress(prefix="poser batch execute: ").phase("executed", total)
                    phase.update_to(done)

                try:
                    handler.execute(connection, batch.uuid, args.runas, progress=progress,
                                    stopped=stopped)
                except BatchError as error:
                    failure = str(error)
                else:
                    failure = None
                finally:
                    if phase is not None:
                        phase.close()
    except UnknownUser as error:
        raise CommandError(str(error)) from None
    finally:
        engine.dispose()
    if failure:
        raise CommandError(failure)
    print(f"Executed batch {batch.number}.", file=sys.stderr)


def cmd_purge(args):
    engine, store = _engine_and_store(args.config)
    try:
        with engine.begin() as connection:
            numbers = purge(connection, store, args.days)
    finally:
        engine.dispose()
    print(f"Purged {len(numbers)} executed batch{'es' if len(numbers) != 1 else ''} older than "
          f"{args.days} days" + (f": {', '.join(map(str, numbers))}." if numbers else "."))


def add_commands(commands):
    batch = commands.add_parser("batch", help="list, execute or purge batches",
                                description="Batches are made on the web (Import file) or by "
                                            "`poser import --batch`; this lists, executes and "
                                            "purges them.")
    actions = batch.add_subparsers(dest="action", metavar="ACTION",
                                   help="list, execute or purge (each has its own --help)")
    listing = actions.add_parser("list", help="every batch, newest first")
    add_config_argument(listing)
    listing.set_defaults(handler=cmd_list)
    execute = actions.add_parser("execute", help="apply a ready batch (once)")
    add_config_argument(execute)
    execute.add_argument("number", type=int, help="the batch's number")
    execute.add_argument("--runas", metavar="NAME", help="the user the history names (must exist)")
    execute.set_defaults(handler=cmd_execute)
    purging = actions.add_parser("purge", help="remove executed batches older than N days")
    add_config_argument(purging)
    purging.add_argument("--days", type=int, default=90, metavar="N",
                         help="age in days of the executed batches to remove (default 90)")
    purging.set_defaults(handler=cmd_purge)
