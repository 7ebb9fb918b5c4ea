"""Search means the same on SQLite and PostgreSQL, and SQLite's search index follows every writer.

Expected results are written out once: both databases must give exactly them
(case-insensitive containment, non-ASCII letters too, `%` and `_` literal,
texts of one and two characters included).
"""
import pytest
from sqlalchemy import create_engine, delete, insert, select, text, update
from sqlalchemy.orm import Session

from poser_web.db.engine import get_engine
from poser_web.db.search import contains
from poser_web.db.search_index import fts_table_name
from poser_web.tables.widgets.models import Component, Widget
from tests.databases import migrate
from tests.helpers import add_widget, grid_descriptions, statements_run


def component_codes(response):
    table = response.html.find("table", id="grid")
    return [] if table is None else [row.find("td").get_text(strip=True) for row in table.tbody.find_all("tr")]


@pytest.fixture
def catalogue(dbsession):
    add_widget(dbsession, "Éclair PUMP", components=[("ÅB-1", "große Mutter")])
    add_widget(dbsession, "100% cotton", components=[("X_1", "plain")])
    add_widget(dbsession, "1000 cotton", components=[("Y-2", "Ölfilter")])
    add_widget(dbsession, "Sprocket set", components=[("sp-9", "chain"), ("Q\"7", "quote")])
    add_widget(dbsession, "Жёлтый ключ", components=[])


WIDGET_SEARCHES = [
    ("e", ["Sprocket set"]),  # one character; É is not e
    ("É", ["Éclair PUMP"]),
    ("é", ["Éclair PUMP"]),  # non-ASCII, folded
    ("ÉCLAIR", ["Éclair PUMP"]),
    ("pu", ["Éclair PUMP"]),  # two characters
    ("PUMP", ["Éclair PUMP"]),  # three or more
    ("sprock", ["Sprocket set"]),
    ("%", ["100% cotton"]),  # wildcards are literal
    ("0%", ["100% cotton"]),
    ("0% c", ["100% cotton"]),
    ("_", ["100% cotton"]),  # the component X_1
    ("x_1", ["100% cotton"]),
    ("100", ["100% cotton", "1000 cotton"]),
    ("000", ["1000 cotton"]),
    ("ÅB", ["Éclair PUMP"]),  # component item codes, any length
    ("åb-1", ["Éclair PUMP"]),
    ("SP-", ["Sprocket set"]),
    ('q"7', ["Sprocket set"]),  # FTS5's quote character
    ('"', ["Sprocket set"]),
    ("жёлт", ["Жёлтый ключ"]),
    ("КЛЮЧ", ["Жёлтый ключ"]),
    ("cotton1", []),
    ("zz", []),
    ("a%c", []),
]


@pytest.fixture(params=["rare", "common"])
def phrase_notes(request, engine, monkeypatch):
    """SQLite searches a phrase through FTS5 until it is noted common, then with LIKE:
    both ways give the same rows ("common": every phrase is noted common)."""
    from poser_web.db import search

    notes = search.NOTES
    notes.clear()
    if request.param == "common":
        monkeypatch.setattr(search, "SCAN_RATIO", -1)
    yield request.param
    notes.clear()


@pytest.mark.parametrize("q, expected", WIDGET_SEARCHES)
def test_widget_search(testapp, catalogue, phrase_notes, q, expected):
    for _ in range(2):  # the second time, what the first noted is used
        found = grid_descriptions(testapp.get("/widgets", {"q": q, "sort": "description"}))
        assert sorted(found) == sorted(expected)


@pytest.mark.parametrize("q, expected", [
    ("ö", ["Y-2"]),  # component description, one character
    ("ÖLF", ["Y-2"]),
    ("GROSSE", []),  # ß is not "ss": containment, not full case folding
    ("große", ["ÅB-1"]),
    ("_", ["X_1"]),
    ("a", ["sp-9", "X_1"]),  # chain, plain
    ("-", ["sp-9", "Y-2", "ÅB-1"]),
    ("%", []),
])
def test_component_search(testapp, catalogue, phrase_notes, q, expected):
    for _ in range(2):
        assert sorted(component_codes(testapp.get("/components", {"q": q}))) == sorted(expected)


def test_search_counts_and_pages_the_matches(testapp, dbsession):
    for i in range(30):
        add_widget(dbsession, f"Gear {i:02d}")
    response = testapp.get("/widgets", {"q": "GEAR", "per_page": 20})
    assert len(grid_descriptions(response)) == 20
    assert " ".join(response.html.find(id="grid-range").get_text().split()) == "1–20 of 30"


def search(session, q):
    query = select(Widget.description).where(contains(Widget.description, q))
    return sorted(session.scalars(query))


def fts_is_consistent(session, table, column):
    """FTS5's own check of its index against the table (SQLite; elsewhere nothing to check)."""
    if session.bind.dialect.name != "sqlite":
        return True
    fts = fts_table_name(table, column)
    session.execute(text(f"INSERT INTO {fts}({fts}, rank) VALUES ('integrity-check', 1)"))
    return True


def test_index_follows_orm_writes(dbsession):
    widget = add_widget(dbsession, "Flange big", components=[("FL-1", "x")])
    assert search(dbsession, "flange") == ["Flange big"]
    widget.description = "Washer small"
    dbsession.flush()
    assert search(dbsession, "flange") == []
    assert search(dbsession, "washer") == ["Washer small"]
    widget.components[0].item_code = "WS-2"
    dbsession.flush()
    dbsession.delete(widget)
    dbsession.flush()
    assert search(dbsession, "washer") == []
    assert fts_is_consistent(dbsession, "poser_widget", "description")
    assert fts_is_consistent(dbsession, "poser_component", "item_code")
    assert fts_is_consistent(dbsession, "poser_component", "description")


def test_index_follows_raw_sql(dbsession):
    table = Widget.__table__
    dbsession.execute(insert(table).values(uuid="f" * 32, description="Raw Gasket"))
    dbsession.execute(insert(Component.__table__).values(
        uuid="e" * 32, widget_uuid="f" * 32, item_code="RAW-77", description="raw part"))
    assert search(dbsession, "gasket") == ["Raw Gasket"]
    dbsession.execute(text("UPDATE poser_widget SET description = 'Raw Bearing' WHERE uuid = :u"),
                      {"u": "f" * 32})
    assert search(dbsession, "gasket") == []
    assert search(dbsession, "BEARING") == ["Raw Bearing"]
    # Updating another column leaves the text indexed.
    dbsession.execute(update(table).where(table.c.uuid == "f" * 32).values(active=False))
    assert search(dbsession, "bearing") == ["Raw Bearing"]
    related = select(Widget.description).where(
        Widget.uuid.in_(select(Component.widget_uuid).where(contains(Component.item_code, "raw-7"))))
    assert dbsession.scalars(related).all() == ["Raw Bearing"]
    dbsession.execute(delete(Component.__table__))
    dbsession.execute(text("DELETE FROM poser_widget WHERE uuid = :u"), {"u": "f" * 32})
    assert search(dbsession, "bearing") == []
    assert dbsession.scalars(related).all() == []
    assert fts_is_consistent(dbsession, "poser_widget", "description")
    assert fts_is_consistent(dbsession, "poser_component", "item_code")


def test_index_follows_the_importer(database_url, monkeypatch, tmp_path):
    """The importer's bulk path (executemany / COPY), committed for real and cleaned up."""
    from tests.databases import emptied_engine
    from tests.transfer.test_transfer import BASIC, COMMITTED_TABLES, import_, write

    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    with emptied_engine(database_url, COMMITTED_TABLES) as engine:
        assert import_(write(tmp_path, BASIC)) == 0
        with Session(engine) as session:
            assert search(session, "alph") == ["Alpha"]
            codes = select(Component.item_code).where(contains(Component.description, "PART"))
            assert sorted(session.scalars(codes)) == ["A1", "B2", "C3"]
        changed = BASIC.replace("Alpha", "Omega").replace("Only part", "Only piece")
        assert import_(write(tmp_path, changed, "changed.csv")) == 0
        with Session(engine) as session:
            assert search(session, "alph") == []
            assert search(session, "omeg") == ["Omega"]
            assert sorted(session.scalars(codes)) == ["A1", "B2"]
            for table, column in (("poser_widget", "description"), ("poser_component", "item_code"),
                                  ("poser_component", "description")):
                assert fts_is_consistent(session, table, column)


def test_sqlite_uses_the_index_for_three_characters_or_more(testapp, catalogue, db_kind):
    """The SQL behind the results: an index for 3+ characters, a scan for fewer (SQLite)."""
    bind = testapp.extra_environ["app.dbsession"].bind.engine
    with statements_run(bind) as statements:
        testapp.get("/widgets", {"q": "pump"})
        long_sql = " ".join(statements)
        statements.clear()
        testapp.get("/widgets", {"q": "pu"})
        short_sql = " ".join(statements)
    if db_kind == "sqlite":
        assert "poser_widget_description_fts MATCH" in long_sql
        assert "poser_component_item_code_fts MATCH" in long_sql
        assert "MATCH" not in short_sql and "LIKE" in short_sql
    else:
        assert "ILIKE" in long_sql and "ILIKE" in short_sql


def test_sqlite_scans_for_common_phrases_in_list_order(testapp, catalogue, engine, monkeypatch, db_kind):
    """A phrase noted common is scanned for (the page stops at its 50 rows); a related
    table's column is still searched through its index (a scan would read all of it)."""
    from poser_web.db import search

    notes = search.NOTES
    notes.clear()
    monkeypatch.setattr(search, "SCAN_RATIO", -1)
    testapp.get("/widgets", {"q": "pump"})  # notes the phrase
    bind = testapp.extra_environ["app.dbsession"].bind.engine
    try:
        with statements_run(bind) as statements:
            assert grid_descriptions(testapp.get("/widgets", {"q": "pump"})) == ["Éclair PUMP"]
    finally:
        notes.clear()
    sql = " ".join(statements)
    if db_kind == "sqlite":
        assert "poser_widget_description_fts MATCH" not in sql
        assert "poser_widget.description LIKE" in sql
        assert "poser_component_item_code_fts MATCH" in sql


def test_a_new_table_opts_in_with_one_call(scratch_databases):
    """create_search_index works for any (table, column), and drop_search_index undoes it."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import Column, MetaData, String, Table

    from poser_web.db.search_index import create_search_index, drop_search_index

    url = scratch_databases.create()
    metadata = MetaData()
    gizmo = Table("poser_gizmo", metadata, Column("uuid", String(32), primary_key=True),
                  Column("name", String(100)))
    setup = create_engine(url)
    with setup.begin() as connection:
        metadata.create_all(connection)
        connection.execute(insert(gizmo), [{"uuid": "1" * 32, "name": "Before the index"}])
        with Operations.context(MigrationContext.configure(connection)):
            create_search_index("poser_gizmo", "name")
    setup.dispose()
    engine = get_engine({"sqlalchemy.url": url})
    try:
        with engine.begin() as connection:
            connection.execute(insert(gizmo), [{"uuid": "2" * 32, "name": "After the INDEX"}])
            found = connection.scalars(select(gizmo.c.name).where(contains(gizmo.c.name, "index")))
            assert sorted(found) == ["After the INDEX", "Before the index"]
            if engine.dialect.name == "sqlite":
                assert "poser_gizmo_name_fts" in engine.dialect.poser_fts_tables
            with Operations.context(MigrationContext.configure(connection)):
                drop_search_index("poser_gizmo", "name")
            leftovers = connection.execute(text(
                "SELECT name FROM sqlite_master WHERE name LIKE 'poser_gizmo_name_fts%'"
                if engine.dialect.name == "sqlite" else
                "SELECT indexname FROM pg_indexes WHERE indexname = 'ix_poser_gizmo_name_trgm'")).all()
            assert leftovers == []
    finally:
        engine.dispose()


def test_migrations_make_the_index_on_sqlite_only_where_needed(scratch_databases, db_kind):
    url = scratch_databases.create()
    migrate(url)
    engine = get_engine({"sqlalchemy.url": url})
    try:
        with engine.connect() as connection:
            if db_kind == "sqlite":
                names = set(connection.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
                assert {"poser_widget_description_fts_insert", "poser_widget_description_fts_delete",
                        "poser_widget_description_fts_update"} <= names
                assert engine.dialect.poser_fts_tables == {
                    "poser_widget_description_fts", "poser_component_item_code_fts",
                    "poser_component_description_fts"}
            else:
                names = set(connection.scalars(text("SELECT indexname FROM pg_indexes")))
                assert {"ix_poser_widget_description_trgm", "ix_poser_component_item_code_trgm"} <= names
    finally:
        engine.dispose()
