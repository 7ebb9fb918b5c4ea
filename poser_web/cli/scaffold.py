"""`poser scaffold NAME FIELD...`: a new table's model, master view and tests."""
import shlex
import textwrap
from pathlib import Path

from ..models.meta import TABLE_PREFIX
from ..scaffold.names import SpecError, camel, check_identifiers, check_name, check_pages
from ..scaffold.project import Project
from ..scaffold.render import Scaffold
from ..scaffold.spec import GRAMMAR, parse_spec, plural_of
from .common import CommandError


def plan(args):
    """{path: text} of every file to write or change; nothing is written yet."""
    name, fields = parse_spec(args.name, args.fields)
    what = "--plural" if args.plural else "NAME"
    check_pages(args.plural or plural_of(name), what)  # its pages first: the likelier clash
    if args.plural:
        check_name(args.plural, "--plural")
    project = Project(args.root)
    for f in fields:
        if f.kind == "fk" and f.target in (name, TABLE_PREFIX + name, camel(name)):
            raise SpecError(f"{f.name}:fk({f.target}): a foreign key to the new table itself is "
                            "not supported by the scaffold; add it by hand afterwards")
    targets = {f.name: project.find_table(f.target) for f in fields if f.kind == "fk"}
    command = " ".join(["poser scaffold", name] + [shlex.quote(f.spec) for f in fields]
                       + ([f"--plural {args.plural}"] if args.plural else []))
    scaffold = Scaffold(name, fields, targets, command, plural=args.plural)
    check_identifiers(scaffold.identifiers())
    project.check_new(scaffold.class_name, scaffold.table)
    paths = scaffold.paths
    existing = [p for p in paths.values() if (project.root / p).exists()]
    if existing:
        raise SpecError(f"{', '.join(existing)} exist(s) already; nothing was written "
                        "(choose another name or --plural, or remove them)")
    files = {paths["package"]: scaffold.package(), paths["model"]: scaffold.model(),
             paths["view"]: scaffold.view(), paths["test"]: scaffold.test()}
    for path, text in files.items():
        compile(text, path, "exec")  # a bug of ours, never a broken file in the checkout
    return project, scaffold, files


def cmd_scaffold(args):
    try:
        project, scaffold, files = plan(args)
    except SpecError as error:
        raise CommandError(f"{error}\n(see `poser scaffold --help` for the spec's grammar)") from None
    for path, text in files.items():
        if not args.dry_run:
            (project.root / path).parent.mkdir(parents=True, exist_ok=True)
            (project.root / path).write_text(text, encoding="utf-8")
        print(f"{'would write' if args.dry_run else 'wrote'} {path}")
    if args.dry_run:
        return 0
    message = f"add {scaffold.plural.replace('_', ' ')}"
    print(f"""
Next, from {Path(project.root).resolve()}:
    alembic upgrade heads        # the database at the current head first
    alembic revision --head poser@head --autogenerate -m "{message}"
    alembic upgrade heads
    alembic check
    .venv/bin/pytest --db sqlite {scaffold.paths["test"]}
    .venv/bin/pytest --db postgresql {scaffold.paths["test"]}
then `make run` and open {scaffold.url_prefix}. Review the revision before committing it.""")
    return 0


def add_commands(commands):
    scaffold = commands.add_parser(
        "scaffold", help="write the model, master view and tests of a new table",
        description=textwrap.fill(
            "Write the table package poser_web/tables/<plural>/ (models.py, views.py; being "
            "there registers it) and tests/tables/test_<plural>.py for a new table, and print "
            "the Alembic commands to run next. Nothing is written when the spec is wrong or a "
            "file exists.", 88),
        epilog=GRAMMAR, formatter_class=_Formatter)
    scaffold.add_argument("name", metavar="NAME",
                          help="the table's singular name, e.g. gizmo (table poser_gizmo)")
    scaffold.add_argument("fields", metavar="FIELD", nargs="+",
                          help="name:type, ? at the end when it may be empty, then its rules "
                               "(unique, a range such as 0..10 or >=0, = a default); quoted, "
                               "the grammar below")
    scaffold.add_argument("--plural", metavar="PLURAL",
                          help="the plural for file names, routes and titles "
                               "(default: NAME + s, es or ies)")
    scaffold.add_argument("--root", metavar="DIR", default=".",
                          help="the repository checkout to write into (default: the current "
                               "directory)")
    scaffold.add_argument("--dry-run", action="store_true",
                          help="check the spec and list the files, writing nothing")
    scaffold.set_defaults(handler=cmd_scaffold)


class _Formatter:
    """argparse's default, keeping the grammar's line breaks."""

    def __new__(cls, prog):
        import argparse

        return argparse.RawDescriptionHelpFormatter(prog)
