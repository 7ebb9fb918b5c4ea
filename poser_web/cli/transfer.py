"""`poser tables`, `poser export` and `poser import`: any table's records in its file layout
(`poser_web.transfer`), TABLE being the name in the table's list URL (`widgets`)."""
import sys

from sqlalchemy import func, select

from ..transfer import LayoutError, run_export, run_import
from ..transfer.exporter import record_export
from ..transfer.importer import UnknownUser, check_runas
from ..transfer.progress import Progress
from .common import CommandError, add_config_argument, app_registry, table_spec

TABLE_HELP = "the table: the name in its list URL, e.g. widgets (`poser tables CONFIG` lists them)"


def cmd_tables(args):
    from ..models import catalog

    registry = app_registry(args.config)
    engine = registry["db_engine"]
    try:
        with engine.connect() as connection:
            rows = [(spec, connection.scalar(select(func.count()).select_from(spec.table)))
                    for spec in catalog.tables(registry).values()]
    finally:
        engine.dispose()
    width = max([len("table")] + [len(spec.name) for spec, _ in rows])
    print(f"{'table':<{width}}  {'records':>12}  child rows")
    for spec, count in rows:
        children = ", ".join(child.name for child in spec.children) or "—"
        note = "" if spec.editable else "  (read-only: export only)"
        print(f"{spec.name:<{width}}  {count:>12,}  {children}{note}")


def _old_spelling(args, command):
    """`poser export CONFIG FILE` (before tables were named): say the new spelling."""
    if args.file is None:
        raise CommandError(f"name the table first: poser {command} {args.config} widgets "
                           f"{args.table} (TABLE FILE; `poser tables {args.config}` lists the "
                           "tables)")


def cmd_export(args):
    _old_spelling(args, "export")
    registry = app_registry(args.config)
    spec = table_spec(registry, args.table)
    engine = registry["db_engine"]
    target = "standard output" if args.file == "-" else args.file
    try:
        with engine.connect() as connection:
            check_runas(connection, args.runas)
        counts = run_export(engine, spec, args.file, Progress(prefix="poser export: "))
        record_export(engine, spec, target, counts, args.runas)
    except UnknownUser as error:
        raise CommandError(str(error)) from None
    except OSError as error:
        raise CommandError(f"cannot write {args.file}: {error.strerror or error}") from None
    finally:
        engine.dispose()
    written = " and ".join(f"{count:,} {name.replace('_', ' ')}" for name, count in counts.items())
    print(f"Exported {written} to {target}.", file=sys.stderr)


def cmd_import(args):
    _old_spelling(args, "import")
    if args.batch:
        if args.dry_run:
            raise CommandError("--batch and --dry-run: a batch already writes nothing until "
                               "it is executed; use one of them")
        from .batch import import_as_batch
        return import_as_batch(args)
    registry = app_registry(args.config)
    spec = table_spec(registry, args.table)
    if not spec.editable:
        raise CommandError(f"{spec.name} is read-only (its pages have no form); nothing was "
                           "imported")
    engine = registry["db_engine"]
    try:
        report = run_import(engine, spec, args.file, runas=args.runas,
                            delete_missing=args.delete_missing, dry_run=args.dry_run,
                            progress=Progress(prefix="poser import: "))
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


def _table_and_file(parser, file_help):
    parser.add_argument("table", metavar="TABLE", help=TABLE_HELP)
    # Optional only to answer the old `CONFIG FILE` spelling with the new one.
    parser.add_argument("file", metavar="FILE", nargs="?", help=file_help)


def add_commands(commands):
    tables = commands.add_parser(
        "tables", help="list the tables, their record counts and child rows",
        description="List the tables `poser export` and `poser import` take (the names in "
                    "their list URLs), with how many records each has.")
    add_config_argument(tables)
    tables.set_defaults(handler=cmd_tables)

    export = commands.add_parser(
        "export", help="write a table's records (with their child rows) to a CSV file",
        description="Write every record of TABLE, each followed by its child rows, to FILE in "
                    "the layout `poser import` reads (e.g. widgets: type,uuid,description,"
                    "active,item_code).")
    add_config_argument(export)
    _table_and_file(export, "the CSV file to write (- for standard output)")
    export.add_argument("--runas", metavar="NAME",
                        help="who the export is recorded as (an existing user) in Recent changes")
    export.set_defaults(handler=cmd_export)

    imp = commands.add_parser(
        "import", help="create, update (and delete) a table's records from a CSV file",
        description="Read FILE (the layout `poser export` writes for TABLE), check all of it, "
                    "then apply it in one transaction: records whose key exists are updated, "
                    "others created; child rows of an imported record that are not in the "
                    "file are deleted. The first bad line stops the import and nothing is "
                    "written (exit status 2).")
    add_config_argument(imp)
    _table_and_file(imp, "the CSV file to read")
    imp.add_argument("--dry-run", action="store_true",
                     help="check the file and report what would change, writing nothing")
    imp.add_argument("--runas", metavar="NAME",
                     help="the user the history records the changes under (must exist)")
    imp.add_argument("--delete-missing", action="store_true",
                     help="also delete records (and their child rows) the file does not name")
    imp.add_argument("--batch", action="store_true",
                     help="make a batch to review (web: Batches) instead of applying the file; "
                          "`poser batch execute` applies it")
    imp.set_defaults(handler=cmd_import)
