"""`poser export` and `poser import` against the test database (committed for real, cleaned up)."""
import csv
import io
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poser_web.cli import main
from poser_web.db.engine import get_engine
from poser_web.models import Change, LoginFailure, Role, RolePermission, User, user_roles
from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import layout
from poser_web.transfer.progress import Progress
from tests.databases import REPO, emptied_engine, migrate

INI = str(REPO / "development.ini")
HEADER = "type,uuid,description,active,item_code\n"

# Fixed keys, so files can be written by hand.
W1, W2, W3 = ("a1" * 16), ("b2" * 16), ("c3" * 16)
C1, C2, C3, C4 = ("d4" * 16), ("e5" * 16), ("f6" * 16), ("07" * 16)


# What an import may write (history, users for --runas), children first.
COMMITTED_TABLES = (Change.__table__, Component.__table__, Widget.__table__, user_roles,
                    RolePermission.__table__, Role.__table__, User.__table__, LoginFailure.__table__)


@pytest.fixture
def cli_db(database_url, monkeypatch):
    """The CLI commits for real: point it at the test database and clean up after.

    Also before: other tests that commit (e.g. pshell's) leave history rows behind.
    """
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    with emptied_engine(database_url, COMMITTED_TABLES) as engine:
        yield engine


def state(engine):
    """Everything an import may touch, to compare before and after."""
    with engine.connect() as connection:
        return (
            connection.execute(select(Widget.__table__).order_by(Widget.uuid)).all(),
            connection.execute(select(Component.__table__).order_by(Component.uuid)).all(),
            connection.execute(select(Change.__table__).order_by(Change.uuid)).all(),
        )


def changes(engine, widget_uuid=None):
    with Session(engine) as session:
        query = select(Change).order_by(Change.changed_at, Change.action)
        if widget_uuid is not None:
            query = query.where(Change.entity_uuid == widget_uuid)
        return list(session.scalars(query))


def counts(engine):
    with engine.connect() as connection:
        return tuple(connection.scalar(select(func.count()).select_from(table))
                     for table in (Widget.__table__, Component.__table__, Change.__table__))


def add_user(engine, username):
    with Session(engine) as session:
        session.add(User(username=username, password_hash="x"))
        session.commit()


def write(tmp_path, content, name="widgets.csv"):
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return str(path)


def table_counts(out):
    """{'widgets': (created, updated, deleted, unchanged), 'components': (...)} from the report."""
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if parts and parts[0] in ("widgets", "components") and len(parts) == 5:
            found[parts[0]] = tuple(int(p.replace(",", "")) for p in parts[1:])
    return found


BASIC = HEADER + (
    f"widget,{W1},Alpha,true,\n"
    f"component,{C1},First part,true,A1\n"
    f"component,{C2},Second part,false,B2\n"
    f"widget,{W2},Beta,false,\n"
    f"component,{C3},Only part,true,C3\n"
)


def import_(path, *options):
    return main(["import", INI, "widgets", path, *options])


# Export -------------------------------------------------------------------------------------

def test_export_writes_the_documented_layout_in_order(cli_db, tmp_path, capsys):
    with Session(cli_db) as session:
        gear = Widget(description='Gear, "big"', active=True)
        gear.components = [Component(item_code="Z9", description="last"),
                           Component(item_code="B2", description="line\nbreak", active=False)]
        alpha = Widget(description="Alpha", active=False)
        session.add_all([gear, alpha])
        session.commit()
        gear_uuid, alpha_uuid = gear.uuid, alpha.uuid
        by_code = {c.item_code: c.uuid for c in gear.components}
    target = tmp_path / "out.csv"
    assert main(["export", INI, "widgets", str(target)]) == 0
    assert "Exported 2 widgets and 2 components" in capsys.readouterr().err
    assert target.read_bytes().decode("utf-8") == (
        HEADER
        + f"widget,{alpha_uuid},Alpha,false,\n"
        + f'widget,{gear_uuid},"Gear, ""big""",true,\n'
        + f'component,{by_code["B2"]},"line\nbreak",false,B2\n'
        + f"component,{by_code['Z9']},last,true,Z9\n"
    )
    assert counts(cli_db)[2] == 3  # the two creates above, and the export itself


def test_export_of_an_empty_database_is_the_header(cli_db, tmp_path):
    target = tmp_path / "empty.csv"
    assert main(["export", INI, "widgets", str(target)]) == 0
    assert target.read_text() == HEADER
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


def test_export_to_standard_output(cli_db, tmp_path, capsysbinary):
    assert import_(write(tmp_path, BASIC)) == 0
    capsysbinary.readouterr()
    assert main(["export", INI, "widgets", "-"]) == 0
    captured = capsysbinary.readouterr()
    assert captured.out.decode("utf-8") == BASIC
    assert b"to standard output" in captured.err


def test_export_to_an_unwritable_place_is_a_clear_error(cli_db, tmp_path, capsys):
    assert main(["export", INI, "widgets", str(tmp_path / "missing" / "out.csv")]) == 2
    assert "cannot write" in capsys.readouterr().err


# Round trip, idempotence, dry run --------------------------------------------------------------

def test_round_trip_through_an_empty_database_gives_the_same_bytes(
        cli_db, tmp_path, scratch_databases, monkeypatch):
    with Session(cli_db) as session:
        for n in range(30):
            widget = Widget(description=f"Widget {n % 7}", active=bool(n % 3))
            widget.components = [Component(item_code=f"IC{(n * k) % 5}", description=f"part {k}",
                                           active=bool(k % 2)) for k in range(n % 4)]
            session.add(widget)
        # Quoting, line breaks, tabs and backslashes (PostgreSQL's COPY escapes), non-ASCII.
        session.add(Widget(description='Tricky, "quoted"\nmulti-line\ttab \\N back\\slash ü€',
                           active=True))
        session.commit()
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert main(["export", INI, "widgets", str(first)]) == 0

    url = scratch_databases.create()
    migrate(url)
    monkeypatch.setenv("POSER_DATABASE_URL", url)
    assert import_(str(first)) == 0
    assert main(["export", INI, "widgets", str(second)]) == 0
    assert second.read_bytes() == first.read_bytes()
    scratch = get_engine({"sqlalchemy.url": url})
    try:
        assert counts(scratch)[:2] == counts(cli_db)[:2]
    finally:
        scratch.dispose()


def test_importing_the_same_file_twice_changes_nothing_the_second_time(cli_db, tmp_path, capsys):
    path = write(tmp_path, BASIC)
    assert import_(path) == 0
    out = capsys.readouterr().out
    assert table_counts(out) == {"widgets": (2, 0, 0, 0), "components": (3, 0, 0, 0)}
    before = state(cli_db)
    assert import_(path) == 0
    assert table_counts(capsys.readouterr().out) == {"widgets": (0, 0, 0, 2),
                                                     "components": (0, 0, 0, 3)}
    assert state(cli_db) == before  # no new Change rows, versions unchanged
    with Session(cli_db) as session:
        assert {w.uuid: w.version for w in session.scalars(select(Widget))} == {W1: 1, W2: 1}


def test_the_report_is_a_small_table(cli_db, tmp_path, capsys):
    assert import_(write(tmp_path, BASIC)) == 0
    out = capsys.readouterr().out
    assert out.startswith("Imported ")
    assert "created  updated  deleted  unchanged" in out
    assert "widgets             2        0        0          0" in out
    assert "components          3        0        0          0" in out


def test_dry_run_reports_but_writes_nothing(cli_db, tmp_path, capsys):
    path = write(tmp_path, BASIC)
    assert import_(path, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run" in out and "nothing was written" in out
    assert table_counts(out) == {"widgets": (2, 0, 0, 0), "components": (3, 0, 0, 0)}
    assert counts(cli_db) == (0, 0, 0)

    assert import_(path) == 0
    before = state(cli_db)
    changed = BASIC.replace("Alpha", "Alpha 2").replace(f"component,{C3},Only part,true,C3\n", "")
    assert import_(write(tmp_path, changed, "changed.csv"), "--dry-run", "--delete-missing") == 0
    assert table_counts(capsys.readouterr().out) == {"widgets": (0, 2, 0, 0),
                                                     "components": (0, 0, 1, 2)}
    assert state(cli_db) == before


def test_rows_without_uuid_are_new_each_time(cli_db, tmp_path, capsys):
    path = write(tmp_path, HEADER + "widget,,Fresh,true,\ncomponent,,Part,true,P1\n")
    assert import_(path) == 0
    assert import_(path) == 0
    with Session(cli_db) as session:
        widgets = session.scalars(select(Widget)).all()
        assert [w.description for w in widgets] == ["Fresh", "Fresh"]
        assert all(len(w.uuid) == 32 and len(w.components) == 1 for w in widgets)


def test_text_is_trimmed_like_the_web_form(cli_db, tmp_path, capsys):
    path = write(tmp_path, HEADER + f"  widget , {W1} ,  Spaced out  , TRUE ,\n"
                                    f"component,{C1},\t part \t,No,  X1  \n")
    assert import_(path) == 0
    with Session(cli_db) as session:
        widget = session.get(Widget, W1)
        assert (widget.description, widget.active) == ("Spaced out", True)
        assert [(c.item_code, c.description, c.active) for c in widget.components] == [
            ("X1", "part", False)]
    capsys.readouterr()
    assert import_(path) == 0
    assert table_counts(capsys.readouterr().out)["widgets"] == (0, 0, 0, 1)


def test_longest_values_are_accepted(cli_db, tmp_path):
    path = write(tmp_path, HEADER + f"widget,,{'w' * 255},true,\ncomponent,,{'c' * 255},true,"
                                    f"{'i' * 20}\n")
    assert import_(path) == 0
    with Session(cli_db) as session:
        component = session.scalars(select(Component)).one()
        assert len(component.item_code) == 20 and len(component.widget.description) == 255


def test_a_byte_order_mark_and_windows_line_ends_are_accepted(cli_db, tmp_path):
    content = "\ufeff" + BASIC.replace("\n", "\r\n")
    assert import_(write(tmp_path, content)) == 0
    assert counts(cli_db)[:2] == (2, 3)


# Updates, deletes and history --------------------------------------------------------------------

UPDATED = HEADER + (
    f"widget,{W1},Alpha renamed,true,\n"
    f"component,{C1},First part,true,A1\n"          # unchanged
    f"component,{C2},Second part,true,B2-new\n"     # changed: item_code, active
    f"component,,Brand new,true,N1\n"               # added
    f"widget,{W2},Beta,false,\n"                    # C3 dropped: deleted
)


def test_update_counts_history_and_version(cli_db, tmp_path, capsys):
    add_user(cli_db, "alice")
    assert import_(write(tmp_path, BASIC), "--runas", "alice") == 0
    capsys.readouterr()
    assert import_(write(tmp_path, UPDATED, "updated.csv"), "--runas", "alice") == 0
    assert table_counts(capsys.readouterr().out) == {"widgets": (0, 2, 0, 0),
                                                     "components": (1, 1, 1, 1)}
    with Session(cli_db) as session:
        alpha, beta = session.get(Widget, W1), session.get(Widget, W2)
        assert (alpha.description, alpha.version, beta.version) == ("Alpha renamed", 2, 2)
        assert [(c.item_code, c.description, c.active) for c in alpha.components] == [
            ("A1", "First part", True), ("B2-new", "Second part", True), ("N1", "Brand new", True)]
        assert beta.components == []
        new_uuid = alpha.components[2].uuid

    created, updated = changes(cli_db, W1)
    assert (created.action, created.username, created.source) == ("create", "alice", "import")
    assert created.summary == "Created with 2 components"
    assert json.loads(created.diff) == {
        "fields": {"description": [None, "Alpha"], "active": [None, True]},
        "components": {"added": [
            {"uuid": C1, "item_code": "A1", "description": "First part", "active": True},
            {"uuid": C2, "item_code": "B2", "description": "Second part", "active": False}]}}
    assert (updated.action, updated.username, updated.source) == ("update", "alice", "import")
    assert updated.entity_label == "Alpha renamed"
    assert updated.summary == ("Changed description; 1 component added; 1 component changed")
    assert json.loads(updated.diff) == {
        "fields": {"description": ["Alpha", "Alpha renamed"]},
        "components": {
            "added": [{"uuid": new_uuid, "item_code": "N1", "description": "Brand new",
                       "active": True}],
            "changed": [{"uuid": C2, "item_code": "B2-new", "fields": {
                "item_code": ["B2", "B2-new"], "active": [False, True]}}]}}
    [_, beta_update] = changes(cli_db, W2)
    assert json.loads(beta_update.diff) == {"components": {"removed": [
        {"uuid": C3, "item_code": "C3", "description": "Only part", "active": True}]}}
    assert beta_update.summary == "1 component removed"


def test_the_diff_is_the_one_the_web_form_records(cli_db, tmp_path):
    """An import's history entry equals the ORM audit's for the same edit (uuids aside)."""
    assert import_(write(tmp_path, BASIC)) == 0
    twin = BASIC.replace(W1, W3).replace(C1, "11" * 16).replace(C2, "22" * 16) \
        .replace(W2, "33" * 16).replace(C3, "44" * 16)
    assert import_(write(tmp_path, twin, "twin.csv")) == 0
    assert import_(write(tmp_path, UPDATED, "updated.csv")) == 0
    with Session(cli_db) as session:  # the same edit through the ORM (as the web form saves)
        session.info["source"] = "shell"
        widget = session.get(Widget, W3)
        _first, second = widget.components  # loaded first: no autoflush in between
        widget.description = "Alpha renamed"
        second.item_code, second.active = "B2-new", True
        widget.components.append(Component(item_code="N1", description="Brand new", active=True))
        session.commit()

    def normalized(change):
        text = change.diff
        for key in (W1, W3, C1, C2, "11" * 16, "22" * 16):
            text = text.replace(key, "<uuid>")
        diff = json.loads(text)
        for row in diff.get("components", {}).get("added", []):
            row["uuid"] = "<uuid>"
        return change.action, change.summary, diff

    assert len(changes(cli_db, W3)) == 2  # create, one update
    assert normalized(changes(cli_db, W1)[-1]) == normalized(changes(cli_db, W3)[-1])


def test_runas_is_optional_but_must_exist_when_given(cli_db, tmp_path, capsys):
    path = write(tmp_path, BASIC)
    assert import_(path, "--runas", "nobody") == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
    assert counts(cli_db) == (0, 0, 0)
    assert import_(path) == 0
    assert {(c.username, c.source) for c in changes(cli_db)} == {(None, "import")}


def test_components_left_out_of_the_file_are_deleted(cli_db, tmp_path, capsys):
    assert import_(write(tmp_path, BASIC)) == 0
    only_alpha = HEADER + f"widget,{W1},Alpha,true,\n"
    assert import_(write(tmp_path, only_alpha, "alpha.csv")) == 0
    assert table_counts(capsys.readouterr().out)["components"] == (0, 0, 2, 0)
    with Session(cli_db) as session:
        assert session.get(Widget, W1).components == []
        assert len(session.get(Widget, W2).components) == 1  # not in the file: left alone


def test_delete_missing_deletes_widgets_not_in_the_file(cli_db, tmp_path, capsys):
    add_user(cli_db, "bob")
    assert import_(write(tmp_path, BASIC)) == 0
    only_beta = HEADER + f"widget,{W2},Beta,false,\ncomponent,{C3},Only part,true,C3\n"
    path = write(tmp_path, only_beta, "beta.csv")
    assert import_(path) == 0
    assert counts(cli_db)[:2] == (2, 3)
    capsys.readouterr()
    assert import_(path, "--delete-missing", "--runas", "bob") == 0
    assert table_counts(capsys.readouterr().out) == {"widgets": (0, 0, 1, 1),
                                                     "components": (0, 0, 2, 1)}
    assert counts(cli_db)[:2] == (1, 1)
    deleted = changes(cli_db, W1)[-1]
    assert (deleted.action, deleted.username, deleted.source) == ("delete", "bob", "import")
    assert deleted.summary == "Deleted with its 2 components"
    assert json.loads(deleted.diff) == {
        "fields": {"description": ["Alpha", None], "active": [True, None]},
        "components": {"removed": [
            {"uuid": C1, "item_code": "A1", "description": "First part", "active": True},
            {"uuid": C2, "item_code": "B2", "description": "Second part", "active": False}]}}


# Bad files -----------------------------------------------------------------------------------

LONG = "x" * 256
BAD_FILES = {
    "wrong header": (HEADER.replace("item_code", "code") + f"widget,{W1},A,true,\n",
                     1, "wrong header"),
    "missing header": (f"widget,{W1},A,true,\n", 1, "wrong header"),
    "empty file": ("", 1, "the file is empty"),
    "bad encoding": (HEADER.encode() + f"widget,{W1},A,true,\n".encode()
                     + "component,,Caf\u00e9,true,X\n".encode("latin-1"), 3, "not UTF-8"),
    "unknown type": (HEADER + "gadget,,A,true,\n", 2, "unknown type 'gadget'"),
    "component first": (HEADER + "component,,A,true,X\n", 2, "component row before any widget"),
    "long description": (HEADER + f"widget,,{LONG},true,\n", 2,
                         "description is too long: 256 characters, at most 255"),
    "long item code": (HEADER + "widget,,A,true,\ncomponent,,B,true,123456789012345678901\n", 3,
                       "item_code is too long: 21 characters, at most 20"),
    "blank description": (HEADER + "widget,,   ,true,\n", 2, "description is required"),
    "blank item code": (HEADER + "widget,,A,true,\ncomponent,,B,true,\n", 3,
                        "item_code is required"),
    "blank active": (HEADER + "widget,,A,,\n", 2, "active is required"),
    "bad active": (HEADER + "widget,,A,maybe,\n", 2, "active must be true or false, not 'maybe'"),
    "malformed uuid": (HEADER + "widget,1234,A,true,\n", 2, "malformed uuid '1234'"),
    "uppercase uuid": (HEADER + f"widget,{W1.upper()},A,true,\n", 2, "malformed uuid"),
    "duplicate uuid": (HEADER + f"widget,{W1},A,true,\ncomponent,{C1},B,true,X\n"
                       f"widget,{W2},C,true,\ncomponent,{C1},D,true,Y\n", 5,
                       f"uuid {C1} appears twice in the file (first on line 3)"),
    "nul character": (HEADER + "widget,,A\x00B,true,\n", 2, "control characters"),
    "control character in item code": (HEADER + "widget,,A,true,\ncomponent,,B,true,X\x07\n", 3,
                                       "control characters"),
    "item code on a widget": (HEADER + "widget,,A,true,X1\n", 2, "a widget row has no item_code"),
    "too few fields": (HEADER + "widget,,A,true\n", 2, "expected 5 fields"),
    "too many fields": (HEADER + "widget,,A,true,,extra\n", 2, "expected 5 fields"),
    "broken quoting": (HEADER + 'widget,,"A"B,true,\n', 2, "not valid CSV"),
    "too many components": (HEADER + "widget,,A,true,\n" + "".join(
        f"component,,B,true,{n}\n" for n in range(201)), 203, "more than 200 components"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_refused_with_its_line_and_nothing_is_written(cli_db, tmp_path, capsys,
                                                                   case):
    assert import_(write(tmp_path, BASIC, "good.csv")) == 0
    before = state(cli_db)
    content, line, reason = BAD_FILES[case]
    # A valid row after the bad one: nothing of the file may be written.
    if isinstance(content, str) and content:
        content += f"widget,{W3},Never,true,\n"
    capsys.readouterr()
    assert import_(write(tmp_path, content)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"poser import: line {line}: "), err
    assert reason in err, err
    assert "nothing was imported" in err
    assert state(cli_db) == before


def test_a_component_of_another_widget_is_refused(cli_db, tmp_path, capsys):
    assert import_(write(tmp_path, BASIC)) == 0
    before = state(cli_db)
    moved = HEADER + f"widget,{W2},Beta,false,\ncomponent,{C1},First part,true,A1\n"
    new_widget = HEADER + f"widget,,New,true,\ncomponent,{C3},Only part,true,C3\n"
    for content, owner in ((moved, W1), (new_widget, W2)):
        assert import_(write(tmp_path, content, "moved.csv")) == 2
        err = capsys.readouterr().err
        assert f"line 3: component {C1 if owner == W1 else C3} belongs to another widget " \
               f"({owner}) in the database" in err
    assert state(cli_db) == before


def test_the_first_bad_line_is_reported_even_before_a_later_encoding_error(cli_db, tmp_path, capsys):
    rows = "".join(f"widget,,Widget {n},true,\n" for n in range(2000))  # well past one read-ahead
    bad_active = HEADER + "widget,,A,maybe,\n" + rows + "widget,,Caf\xe9,true,\n"
    assert import_(write(tmp_path, bad_active.encode("latin-1"))) == 2
    assert "line 2: active must be true or false" in capsys.readouterr().err
    late_bytes = (HEADER + rows + "widget,,Caf\xe9,true,\n" + rows).encode("latin-1")
    assert import_(write(tmp_path, late_bytes)) == 2
    assert "line 2002: not UTF-8 text (byte 0xe9" in capsys.readouterr().err
    assert counts(cli_db) == (0, 0, 0)


def test_a_missing_file_is_a_clear_error(cli_db, tmp_path, capsys):
    assert import_(str(tmp_path / "nope.csv")) == 2
    assert "cannot read" in capsys.readouterr().err


# Pieces -----------------------------------------------------------------------------------------

def test_the_child_row_limit_is_the_web_forms():
    from poser_web.forms.derive import MAX_INLINE_ROWS
    from poser_web.tables.widgets.schema import MAX_COMPONENTS

    assert layout.MAX_CHILDREN == MAX_INLINE_ROWS == MAX_COMPONENTS


def test_layout_reads_what_it_writes():
    widgets = layout.FileLayout(WidgetView.describe())
    [components] = widgets.spec.children
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(widgets.header)
    writer.writerow(widgets.record_cells(W1, ("A, b", True)))
    writer.writerow(widgets.child_cells(components, C1, ('X1', 'say "hi"', False)))
    [widget] = widgets.records(io.BytesIO(out.getvalue().encode()))
    assert (widget.key, widget.values) == (W1, ("A, b", True))
    [component] = widget.children["components"]
    assert (component.key, component.values) == (C1, ("X1", 'say "hi"', False))
    assert out.getvalue().splitlines()[0] == "type,uuid,description,active,item_code"


def test_plain_progress_prints_a_line_per_tenth_only():
    stream = io.StringIO()
    phase = Progress(stream, mode="lines").phase("validated", 100_000)
    for done in range(0, 100_001, 1000):
        phase.update_to(done)
    phase.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[4].startswith("validated 50,000 / 100,000 rows")
    small = io.StringIO()
    phase = Progress(small, mode="lines").phase("validated", 500)
    phase.update_to(500)
    phase.close()
    assert small.getvalue() == ""  # small runs print no progress at all


def test_a_terminal_gets_a_progress_bar():
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress(stream)
    assert progress.mode == "bar"
    phase = progress.phase("validated", 20_000)
    phase.update_to(20_000)
    phase.close()
    assert "validated" in stream.getvalue()
    assert Progress(io.StringIO()).mode == "lines"


def test_long_imports_print_progress_lines_when_not_on_a_terminal(cli_db, tmp_path, capsys):
    rows = "".join(f"widget,,Widget {n},true,\n" for n in range(12_000))
    assert import_(write(tmp_path, HEADER + rows)) == 0
    err = capsys.readouterr().err.splitlines()
    assert "poser import: validated 12,000 / 12,000 rows" in "\n".join(err)
    assert "poser import: written" in "\n".join(err)
    assert len(err) <= 22


def test_export_is_recorded_with_the_runas_user(cli_db, tmp_path, capsys):
    add_user(cli_db, "exporter")
    import_(write(tmp_path, BASIC))
    target = str(tmp_path / "out.csv")
    assert main(["export", INI, "widgets", target, "--runas", "exporter"]) == 0
    [export] = [c for c in changes(cli_db) if c.action == "export"]
    assert (export.username, export.source, export.entity) == ("exporter", "export", "widget-export")
    assert export.summary == "Exported 2 widgets and 3 components"
    assert export.entity_label == target
    assert main(["export", INI, "widgets", target, "--runas", "nobody"]) == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
    assert len([c for c in changes(cli_db) if c.action == "export"]) == 1


def test_imports_keep_the_stored_component_counts(cli_db, tmp_path):
    """The importer writes in bulk (COPY on PostgreSQL); the database's triggers keep the count."""
    def stored():
        with cli_db.connect() as connection:
            return dict(connection.execute(select(Widget.uuid, Widget.component_count)).all())

    assert import_(write(tmp_path, BASIC)) == 0
    assert stored() == {W1: 2, W2: 1}
    grown = BASIC + f"component,{C4},Fourth part,true,D4\n"  # a second component for Beta
    assert import_(write(tmp_path, grown, "grown.csv")) == 0
    assert stored() == {W1: 2, W2: 2}
    only_beta = HEADER + f"widget,{W2},Beta,false,\ncomponent,{C3},Only part,true,C3\n"
    assert import_(write(tmp_path, only_beta, "beta.csv"), "--delete-missing") == 0
    assert stored() == {W2: 1}
