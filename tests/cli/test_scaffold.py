"""`poser scaffold`: the spec's grammar and errors, the files it writes, and end to end in a
scratch copy of the repository (scaffold, autogenerate, upgrade, check, generated tests)."""
import os
import subprocess
import sys

import pytest

from poser_web.cli import main
from tests.databases import REPO

SPEC = ["gizmo", "name:str(100)", "weight:numeric(10,3)?", "active:bool(true)",
        "color:choice(red,green,blue)?", "widget:fk(widget)?", "notes:text?", "qty:int?",
        "received:date?", "checked:datetime?"]
# The issue's example (18), as written: unique, a range, a minimum, a quoted choice, a default.
EXAMPLE = ["vendor", "code:str(12) unique", "name:str(80)", "score:int? 0..10",
           "balance:numeric(10,2)? >=0", 'tier:choice(gold, silver, "on probation") = silver',
           "memo:text?", "widget:fk(widget)?"]
WRITTEN = ["poser_web/tables/gizmos/__init__.py", "poser_web/tables/gizmos/models.py",
           "poser_web/tables/gizmos/views.py", "tests/tables/test_gizmos.py"]
# Files a new table must not need to touch: being in poser_web/tables/ registers it.
UNTOUCHED = ["poser_web/models/__init__.py", "poser_web/routes.py", "poser_web/tables/__init__.py"]

# The generated model and view use the declaration API of issue 10 (models/mixins.py,
# string columns/filters/form_fields). Until it is merged, only the writing is tested.


def copy_repository(target):
    """The repository's files (tracked, and new ones not ignored) copied under `target`."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, listed):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())
    return target


@pytest.fixture
def checkout(tmp_path):
    return copy_repository(tmp_path / "repo")


def scaffold(checkout, *args):
    return main(["scaffold", "--root", str(checkout), *args])


def snapshot(checkout):
    return {p: (checkout / p).read_text() for p in UNTOUCHED}


def test_writes_a_table_package_and_its_tests_and_touches_nothing_else(checkout, capsys):
    before = snapshot(checkout)
    assert scaffold(checkout, *SPEC) == 0
    out = capsys.readouterr().out
    for path in WRITTEN:
        assert path in out
        compile((checkout / path).read_text(), path, "exec")
    assert snapshot(checkout) == before  # no registration to add: the package is found
    assert 'alembic revision --head poser@head --autogenerate -m "add gizmos"' in out
    assert "alembic upgrade heads" in out and "alembic check" in out
    model = (checkout / "poser_web/tables/gizmos/models.py").read_text()
    assert 'class Gizmo(Versioned, Audited, Base):' in model
    assert '__tablename__ = "poser_gizmo"' in model
    assert "uuid: Mapped[str] = uuid_column()" in model
    assert "Numeric(10, 3)" in model and "server_default=true()" in model
    assert 'ForeignKey("poser_widget.uuid")' in model
    assert 'info={"choices": ("red", "green", "blue")}' in model
    assert model.count("doc=") == model.count("mapped_column(") + model.count("relationship(")
    assert model.count("index=True") == 8  # every listed column (not the notes text)
    view = (checkout / "poser_web/tables/gizmos/views.py").read_text()
    assert 'route_prefix, url_prefix = "gizmos", "/gizmos"' in view
    assert 'search = ("name",)' in view and "form_fields = (" in view
    assert "GizmoView.include(config)" in view
    tests = (checkout / "tests/tables/test_gizmos.py").read_text()
    assert '("weight", "NaN")' in tests and '"widget": create_record(dbsession, Widget)' in tests


def test_several_fields_to_an_argument(checkout, capsys):
    assert scaffold(checkout, "gizmo", " ".join(SPEC[1:6]), *SPEC[6:]) == 0
    model = (checkout / "poser_web/tables/gizmos/models.py").read_text()
    assert "poser scaffold gizmo 'name:str(100)' 'weight:numeric(10,3)?'" in model
    for field in ("name", "weight", "active", "color", "widget_uuid", "notes", "checked"):
        assert f"    {field}: Mapped[" in model


def test_names_are_derived_from_the_singular(checkout, capsys):
    assert scaffold(checkout, "purchase_entry", "code:str(20)", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "poser_web/tables/purchase_entries/models.py" in out and "would write" in out
    assert not (checkout / "poser_web/tables/purchase_entries/models.py").exists()
    assert scaffold(checkout, "box", "code:str(20)", "--plural", "crates") == 0
    view = (checkout / "poser_web/tables/crates/views.py").read_text()
    assert 'class BoxView(MasterView)' in view and '"crates", "/crates"' in view


@pytest.mark.parametrize("args, message", [
    (["Gizmo", "name:str(10)"], "NAME 'Gizmo': use lowercase"),
    (["poser_gizmo", "name:str(10)"], "leave out the poser_ prefix"),
    (["class", "name:str(10)"], "reserved"),
    (["widget", "name:str(10)"], "Widget (poser_widget) exists already"),
    (["gizmo", "name"], "write name:type"),
    (["gizmo", "name:string(10)"], "unknown type 'string'"),
    (["gizmo", "name:str"], "str(N) with N the most characters"),
    (["gizmo", "name:str(0)"], "the length must be 1 to 10000"),
    (["gizmo", "weight:numeric(10)"], "numeric(P,S)"),
    (["gizmo", "weight:numeric(3,4)"], "S <= P"),
    (["gizmo", "active:bool(maybe)"], "bool(true)"),
    (["gizmo", "active:bool(true)?"], "write active:bool?"),
    (["gizmo", "color:choice()"], "choice(a,b,c)"),
    (["gizmo", "color:choice(red,red)"], "listed twice"),
    (["gizmo", "qty:int(3)"], "int takes no arguments"),
    (["gizmo", "widget:fk(gadget)"], "fk(gadget): no such table"),
    (["gizmo", "widget_uuid:fk(widget)"], "name it widget"),
    (["gizmo", "uuid:str(10)"], "reserved"),
    (["gizmo", "date:date"], "would hide date"),
    (["gizmo", "name:str(10)", "name:text"], "both use the name 'name'"),
    (["gizmo", "widget:fk(widget)", "widget_uuid:str(32)"], "both use the name 'widget_uuid'"),
    (["gizmo", "parent:fk(gizmo)"], "to the new table itself is not supported"),
])
def test_a_bad_spec_is_explained_and_nothing_is_written(checkout, capsys, args, message):
    before = snapshot(checkout)
    assert scaffold(checkout, *args) == 2
    error = capsys.readouterr().err
    assert message in error and "poser scaffold --help" in error
    assert snapshot(checkout) == before
    assert not (checkout / "poser_web/tables/gizmos/models.py").exists()


def test_existing_files_are_never_overwritten(checkout, capsys):
    (checkout / "tests/tables/test_gizmos.py").write_text("# mine\n")
    before = snapshot(checkout)
    assert scaffold(checkout, *SPEC) == 2
    assert "tests/tables/test_gizmos.py exist(s) already" in capsys.readouterr().err
    assert (checkout / "tests/tables/test_gizmos.py").read_text() == "# mine\n"
    assert snapshot(checkout) == before and not (checkout / WRITTEN[0]).exists()


def test_outside_a_checkout_it_says_where_to_run(tmp_path, capsys):
    assert main(["scaffold", "--root", str(tmp_path), *SPEC]) == 2
    assert "is not a poser_web checkout" in capsys.readouterr().err


def test_help_documents_the_grammar(capsys):
    with pytest.raises(SystemExit):
        main(["scaffold", "--help"])
    out = capsys.readouterr().out
    for text in ("numeric(P,S)", "choice(a,b,c)", "fk(TABLE)", "trailing ?", "--plural"):
        assert text in out


def run(args, checkout, database_url, timeout=120):
    env = {**os.environ, "PYTHONPATH": str(checkout), "POSER_DATABASE_URL": database_url}
    result = subprocess.run(args, cwd=checkout, env=env, capture_output=True, check=False, text=True,
                            timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def migrated_copy(tmp_path_factory, scratch_databases):
    """The README's scaffold steps in a scratch copy, unmodified: scaffold, then
    upgrade, autogenerate, upgrade, check (the copy runs on this venv via PYTHONPATH)."""
    checkout = copy_repository(tmp_path_factory.mktemp("scaffolded") / "repo")
    url = scratch_databases.create()
    python = sys.executable
    poser = [python, "-c", "import sys; from poser_web.cli import main; sys.exit(main())"]
    out = run(poser + ["scaffold", *SPEC], checkout, url)
    assert "wrote poser_web/tables/gizmos/models.py" in out
    out = run(poser + ["scaffold", *EXAMPLE], checkout, url)
    assert "wrote poser_web/tables/vendors/models.py" in out
    run(alembic(["upgrade", "heads"],
                ["revision", "--head", "poser@head", "--autogenerate", "-m", "add gizmos"],
                ["upgrade", "heads"]), checkout, url)
    return checkout, url


def alembic(*commands):
    """`alembic <command>` for each of `commands`, one after the other, in one process
    (the app is imported once: seconds saved per command)."""
    calls = "; ".join(f"main({command!r})" for command in commands)
    return [sys.executable, "-c", f"from alembic.config import main; {calls}"]


def test_the_scaffolded_table_migrates_with_no_hand_edit(migrated_copy):
    checkout, url = migrated_copy
    [revision] = (checkout / "migrations" / "versions").glob("*_add_gizmos.py")
    source = revision.read_text()
    assert "op.create_table('poser_gizmo'" in source and "server_default=sa.true()" in source
    assert "fk_poser_gizmo_widget_uuid_poser_widget" in source
    # The example's rules reach the migration: a unique index and the ranges' CHECKs.
    assert "batch_op.create_index(batch_op.f('ix_poser_vendor_code'), ['code'], unique=True)" in source
    assert "sa.CheckConstraint('score >= 0 AND score <= 10', " \
           "name=op.f('ck_poser_vendor_score_range'))" in source
    assert "sa.CheckConstraint('balance >= 0.00', name=op.f('ck_poser_vendor_balance_range'))" in source
    # The rest of the checklist: the datasync capture and the searched field's index.
    assert "create_search_index('poser_vendor', 'code')" in source
    assert "op.create_datasync_capture(" in source and "'poser_vendor'" in source
    run(alembic(["check"]), checkout, url)  # models and database agree


def test_the_generated_tests_pass(migrated_copy, db_kind):
    checkout, url = migrated_copy
    out = run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--db", db_kind,
               "tests/tables/test_gizmos.py", "tests/tables/test_vendors.py"], checkout, url)
    assert " passed" in out and "failed" not in out
    tests = (checkout / "tests/tables/test_vendors.py").read_text()
    for test in ("test_a_duplicate_is_refused_at_the_field_naming_the_record",
                 "test_a_value_out_of_its_range_is_refused_at_the_field",
                 "test_defaults_are_preselected_on_the_create_form"):
        assert f"def {test}(" in tests
    assert '("score", "11")' in tests and '("balance", "-0.01")' in tests
    assert '"tier": "silver"' in tests and 'UNIQUE = ("code",)' in tests
    for test in ("test_download_for_import_then_an_import_batch",
                 "test_bulk_delete_of_ticked_rows", "test_the_api_and_datasync_see_a_save"):
        assert f"def {test}(" in tests  # the checklist's other items, run above


@pytest.mark.parametrize("spec, expected", [
    (["flag", "on:bool"], ["server_default=false()", "def test_edit", "!BAD_VALUES", "!pytest"]),
    (["thing", "code:str(3)", "a:fk(widget)", "b:fk(Widget)?", "c:fk(poser_component)?"],
     ["relationship(foreign_keys=[a_uuid]", "relationship(foreign_keys=[b_uuid]",
      "c: Mapped[Component | None] = relationship(", "from poser_web.tables.widgets.models import Component, Widget"]),
    (["entry", "amount:numeric(5,0)", "ratio:numeric(3,3)?", "seen:bool?", "kind:choice(a)"],
     ["Numeric(5, 0)", "Numeric(3, 3)", "seen: Mapped[bool | None]", 'Decimal("0.555")',
      'Decimal("1")', '("kind", None)']),
])
def test_other_specs_write_working_code(checkout, capsys, spec, expected):
    assert scaffold(checkout, *spec) == 0
    plural = capsys.readouterr().out.split("poser_web/tables/")[1].split("/")[0]
    written = "".join((checkout / path).read_text() for path in (
        f"poser_web/tables/{plural}/models.py", f"poser_web/tables/{plural}/views.py",
        f"tests/tables/test_{plural}.py"))
    for text in expected:
        if text.startswith("!"):
            assert text[1:] not in written  # e.g. no bad-input test when nothing can be wrong
        else:
            assert text in written


def test_the_issues_example_writes_every_rule_into_the_model(checkout, capsys):
    assert scaffold(checkout, *EXAMPLE) == 0
    model = (checkout / "poser_web/tables/vendors/models.py").read_text()
    assert "String(12), nullable=False, index=True, unique=True" in model
    assert 'info={"min": 0, "max": 10}' in model
    assert 'info={"min": Decimal("0.00")}' in model
    assert ('default="silver",\n        info={"choices": ("gold", "silver", "on probation")}'
            in model)
    view = (checkout / "poser_web/tables/vendors/views.py").read_text()
    assert 'columns = ("code", "name", "score", "balance", "tier", "memo", "widget")' in view
    assert "poser scaffold vendor 'code:str(12) unique' 'name:str(80)' 'score:int? 0..10'" in model


@pytest.mark.parametrize("spec, expected", [
    (["deal", "qty:int 1..5 = 2", "ratio:numeric(4,2) <=9.5"],
     ['default=2, info={"min": 1, "max": 5}', 'info={"max": Decimal("9.50")}', '("qty", "0")',
      '("qty", "6")', '("ratio", "9.51")', '"qty": "2"', '"qty": 3,']),
    (["memo", "title:str(20) = \"To do\"", "body:text = none", "due:date = today",
      "at:datetime? = 2026-01-02T03:04", "done:bool = true", "urgent:bool unique"],
     ['default="To do"', 'default="none"', "default=date.today", "default=datetime(2026, 1, 2, 3, 4, 0)",
      "server_default=true()", '"due": date.today().isoformat()', '"at": "2026-01-02T03:04"',
      '"done": "true"', 'UNIQUE = ("urgent",)']),
    (["stamp", "seen:datetime = now", "label:choice(a, \"b c\")? = \"b c\""],
     ["from poser_web.models import Audited, Base, Versioned, utcnow, uuid_column",
      "default=utcnow", 'default="b c"', '"label": "b c"']),
])
def test_rules_of_every_kind_write_working_code(checkout, capsys, spec, expected):
    assert scaffold(checkout, *spec) == 0
    plural = capsys.readouterr().out.split("poser_web/tables/")[1].split("/")[0]
    written = "".join((checkout / path).read_text() for path in (
        f"poser_web/tables/{plural}/models.py", f"tests/tables/test_{plural}.py"))
    for text in expected:
        assert text in written


LONG = "x" * 250


@pytest.mark.parametrize("args, message", [
    (["audited", "name:str(10)"], "would name the model Audited"),
    (["base", "name:str(10)"], "would name the model Base"),
    (["master", "name:str(10)"], "would name the model Master"),
    (["change", "name:str(10)"], "would name the model Change"),
    (["models", "name:str(10)"], "is the name of a module of the app"),
    (["table", "name:str(10)"], "'tables': its package would be named as a module of the app"),
    (["gizmo", "name:str(10)", "--plural", "password"], "the app has pages at /password"),
    (["gizmo", "name:str(10)", "--plural", "healthz"], "the app has pages at /healthz"),
    (["gizmo", "name:str(10)", "--plural", "login"], "the app has pages at /login"),
    (["gizmo", "name:str(10)", "--plural", "static"], "the app has pages at /static"),
    (["gizmo", "name:str(10)", "--plural", "deform_static"], "the app has pages at /deform-static"),
    (["gizmo", "name:str(10)", "--plural", "api"], "the app has pages at /api"),
    (["gadget", "name:str(10)", "--plural", "batches"], "the app has pages at /batches"),
    (["batch", "name:str(10)", "--plural", "lots"], "the app's table poser_batch exists already"),
    (["user", "name:str(10)", "--plural", "people"], "the app's table poser_user exists already"),
    (["sync", "name:str(10)", "--plural", "datasync"], "the app has pages at /datasync"),
    (["gizmo", "name:str(10)", "--plural", "models"], "would be named as a module of the app"),
    ([LONG, "name:str(10)"], "is 250 characters; use at most 40"),
    (["gizmo", "name:str(10)", "--plural", LONG], "is 250 characters"),
    (["very_long_table_name_for_things", "a_rather_long_field_name_too:str(10)"],
     # the searched field's search index (its FTS triggers on SQLite) is the longest name
     ("poser_very_long_table_name_for_things_a_rather_long_field_name_too_fts_insert would be "
     "77 characters long; PostgreSQL keeps 63")),
    (["very_long_table_name_for_things", "count:int", "a_rather_long_field_name_too:int"],
     ("ix_poser_very_long_table_name_for_things_a_rather_long_field_name_too would be 69 "
     "characters long; PostgreSQL keeps 63")),
    (["supplier_agreement", "counterparty_reference:fk(widget)"],
     "fk_poser_supplier_agreement_counterparty_reference_uuid_poser_widget would be"),
    (["gizmo", "Name:str(10)"], "field name 'Name': use lowercase"),
    (["gizmo", "naïve:str(10)"], "use lowercase letters"),
    (["gizmo", "page:int"], "field name 'page' is reserved"),
    (["gizmo", "save:int"], "field name 'save' is reserved"),
    (["gizmo", "code:str(5) uniqe"], "'uniqe' is not a rule"),
    (["gizmo", "name:str(5) 0..10"], "a range is for int and numeric fields"),
    (["gizmo", "qty:int 10..0"], "runs backwards"),
    (["gizmo", "qty:int 0..1.5"], "1.5 is not a whole number an int holds"),
    (["gizmo", "amount:numeric(4,2) >=1000"], "1000 does not fit numeric(4,2)"),
    (["gizmo", "qty:int 0..10 = 11"], "the default 11 is outside the range"),
    (["gizmo", "tier:choice(a,b) = c"], "the default 'c' is not one of the choices"),
    (["gizmo", "name:str(3) = toolong"], "the default is longer than 3"),
    (["gizmo", "flag:bool? = true"], "a field that may be empty has none"),
    (["gizmo", "widget:fk(widget) = x"], "a foreign key takes no default"),
    (["gizmo", "due:date = tomorrow"], "a date's default is today or YYYY-MM-DD"),
    (["gizmo", 'tier:choice(a, "b)'], "a double quote is not closed"),
    (["gizmo", "tier:choice(a, b c)"], "a value with spaces in double quotes"),
    (["gizmo", "unique"], "'unique': a rule comes after its field"),
])
def test_a_name_or_rule_that_would_break_the_app_is_refused_before_writing(checkout, capsys,
                                                                          args, message):
    before = snapshot(checkout)
    tables = sorted(p.name for p in (checkout / "poser_web/tables").iterdir())
    assert scaffold(checkout, *args) == 2
    error = capsys.readouterr().err
    assert message in error and "poser scaffold --help" in error, error
    assert snapshot(checkout) == before
    assert sorted(p.name for p in (checkout / "poser_web/tables").iterdir()) == tables


def test_reserved_pages_cover_every_page_of_the_app(app):
    """A table's pages must never shadow the app's: every route's first path segment (tables
    aside) and every route name without a dot is reserved for the scaffold."""
    from pyramid.interfaces import IRoutesMapper

    from poser_web.scaffold.names import RESERVED_PAGES
    from poser_web.views.master import MasterView

    def masters(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from masters(sub)

    tables = {m.url_prefix.strip("/") for m in masters(MasterView) if m.url_prefix}
    routes = app.registry.getUtility(IRoutesMapper).get_routes()
    segments = {r.pattern.strip("/").split("/")[0] for r in routes} - {""}
    names = {r.name for r in routes if "." not in r.name and not r.name.startswith("__")}
    tables_names = {m.route_prefix for m in masters(MasterView) if m.route_prefix}
    assert segments - tables <= RESERVED_PAGES, segments - tables - RESERVED_PAGES
    assert names - tables_names <= RESERVED_PAGES, names - tables_names - RESERVED_PAGES


def test_help_documents_the_rules(capsys):
    with pytest.raises(SystemExit):
        main(["scaffold", "--help"])
    out = capsys.readouterr().out
    for text in ("unique", "0..10", ">=0", "= VALUE", '"on probation"', "today", "now",
                 "63-character", "'code:str(12) unique'"):
        assert text in out, text
