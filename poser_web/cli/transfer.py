"""`poser export` and `poser import`: widgets with their components in the CSV layout
described in `poser_web.transfer`."""
import sys

from ..db.engine import get_engine
from ..transfer import LayoutError, run_export, run_import
from ..transfer.exporter import record_export
from ..transfer.importer import UnknownUser, check_runas
from ..transfer.progress import Progress
from .common import CommandError, add_config_argument, app_settings


def cmd_export(args):
    engine = get_engine(app_settings(args.config))
    target = "standard output" if args.file == "-" else args.file
    try:
        with engine.connect() as connection:
            check_runas(connection, args.runas)
        widgets, components = run_export(engine, args.file, Progress(prefix="poser export: "))
        record_export(engine, target, widgets, components, args.runas)
    except UnknownUser as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {args.file}: {error.strerror or error}") from None
    finally:
        engine.dispose()
    print(f"Exported {widgets:,} widget{'s' if widgets != 1 else ''} and {components:,} "
          f"component{'s' if components != 1 else ''} to {target}.", file=sys.stderr)


def cmd_import(args):
    if args.batch:
        if args.dry_run:
            raise CommandError("--batch and --dry-run: a batch already writes nothing until "
                               "it is executed; use one of them")
        from .batch import import_as_batch
        return import_as_batch(args)
    engine = get_engine(app_settings(args.config))
    try:
        report = run_import(engine, args.file, runas=args.runas, delete_missing=args.delete_missing,
                            dry_run=args.dry_run, progress=Progress(prefix="poser import: "))
    except LayoutError as error:
        raise CommandError(f"{error}; nothing was imported") from None
    except UnknownUser as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot read {args.file}: {error.strerror or error}") from None
    finally:
        engine.dispose()
    timing = (f"{report.rows:,} rows in {report.seconds:.1f} s, "
              f"{report.rows_per_second:,.0f} rows/s")
    who = f" as {args.runas}" if args.runas else ""
    if report.dry_run:
        print(f"Dry run of {args.file} ({timing}){who}: nothing was written. It would make:")
    else:
        print(f"Imported {args.file} ({timing}){who}:")
    print(report.table())


def add_commands(commands):
    export = commands.add_parser(
        "export", help="write every widget with its components to a CSV file",
        description="Write every widget with its components to FILE in the CSV layout that "
                    "`poser import` reads (header type,uuid,description,active,item_code).")
    add_config_argument(export)
    export.add_argument("file", metavar="FILE", help="the CSV file to write (- for standard output)")
    export.add_argument("--runas", metavar="NAME",
                        help="who the export is recorded as (an existing user) in Recent changes")
    export.set_defaults(handler=cmd_export)

    imp = commands.add_parser(
        "import", help="create, update (and delete) widgets and components from a CSV file",
        description="Read FILE (the layout `poser export` writes), check all of it, then apply it "
                    "in one transaction: rows whose uuid exists are updated, others created; "
                    "components of an imported widget that are not in the file are deleted. "
                    "The first bad line stops the import and nothing is written (exit status 2).")
    add_config_argument(imp)
    imp.add_argument("file", metavar="FILE", help="the CSV file to read")
    imp.add_argument("--dry-run", action="store_true",
                     help="check the file and report what would change, writing nothing")
    imp.add_argument("--runas", metavar="NAME",
                     help="the user the history records the changes under (must exist)")
    imp.add_argument("--delete-missing", action="store_true",
                     help="also delete widgets (and their components) that are not in the file")
    imp.add_argument("--batch", action="store_true",
                     help="make a batch to review (web: Batches) instead of applying the file; "
                          "`poser batch execute` applies it")
    imp.set_defaults(handler=cmd_import)
