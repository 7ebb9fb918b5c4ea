"""XLSX bombs on the upload page: refused within seconds with the reason, nothing kept, and
the server answers others meanwhile — the check holds no database lock (issue 19, item 1)."""
import sqlite3
import threading
import time
from pathlib import Path

import pytest
import webtest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from poser_web import main
from poser_web.auth.passwords import hash_password
from poser_web.batch import files
from poser_web.models import Batch, BatchRow, Role, User
from tests.batch import xlsx_files as make
from tests.batch.test_batches import rows_of, the_batch, token_of
from tests.databases import migrate
from tests.helpers import PASSWORD, csrf_token, log_in, widget_form
from tests.waiting import wait_until

DIMENSION = '<dimension ref="A1:XFD1048576"/>'
# Each made when a test needs it: (the file's bytes, what the refusal says).
BOMBS = {
    "a value at the last cell": (lambda: make.workbook(make.sheet(
        make.header_row() + '<row r="1048576">' + make.cell("XFD1048576", "x") + "</row>",
        before=DIMENSION)), "cell XFD1048576 holds a value beyond column IV"),
    "a huge shared string": (lambda: make.huge_shared_string(40 << 20),
                             "longer than the 32,767 characters a cell holds"),
    "malformed XML": (lambda: make.workbook(make.sheet(make.header_row())[:-30]),
                      "is not well-formed XML"),
    "a DOCTYPE entity": (lambda: make.workbook(make.XXE), "declares a DOCTYPE"),
    "billion laughs": (lambda: make.workbook(make.sheet(make.header_row()),
                                             shared_xml=make.BILLION_LAUGHS),
                       "declares a DOCTYPE"),
    "a zip of too many files": (lambda: make.workbook(make.sheet(make.header_row()), parts={
        f"junk/{n}": "" for n in range(10_001)}), "holds more than 10,000 files inside"),
}
FORMULA_ROW = '<row r="{n}"><c r="A{n}"><f>1+1</f><v>2</v></c></row>'


# A bomb's few KB unzip to 40 MB or more: the reader stops long before (its documented limits).
READ_AT_MOST = 1 << 20


@pytest.fixture
def unzipped(monkeypatch):
    """The unzipped bytes each reading of an XLSX had read when it was closed: the work done,
    which a machine's speed does not change."""
    from poser_web.batch.xlsx import archive

    read = []
    close = archive.Workbook.close

    def counted(self):
        read.append(self.bytes_read)
        close(self)

    monkeypatch.setattr(archive.Workbook, "close", counted)
    return read


def upload(client, data, status, name="bomb.xlsx"):
    return client.post("/batches/new?type=widget_import", {"csrf_token": token_of(client)},
                       upload_files=[("file", name, data)], status=status)


@pytest.mark.parametrize("case", sorted(BOMBS))
def test_a_bomb_is_refused_at_once_with_the_reason(testapp, dbsession, app, case, unzipped):
    make_file, message = BOMBS[case]
    data = make_file()
    response = upload(testapp, data, 400)
    assert max(unzipped, default=0) < READ_AT_MOST  # stopped early (a zip of 10,001 files: at opening)
    assert message in response.html.find(id="upload-error").get_text()
    assert dbsession.scalars(select(Batch)).first() is None
    assert not list(Path(app.registry.settings["poser.batch_dir"]).glob("upload-*"))  # not kept


def test_a_claimed_dimension_makes_a_batch_of_what_the_file_holds(testapp, dbsession):
    """The claimed million rows cost nothing (tests/batch/test_xlsx_reader.py: memory)."""
    data = make.workbook(make.sheet(
        make.header_row() + make.row(2, ("widget", "", "Only one", "true")) + '<row r="1048576"/>',
        before=DIMENSION))
    upload(testapp, data, 303)
    [row] = rows_of(dbsession, the_batch(dbsession))
    assert row.status == "new" and row.label == "Only one"


def test_what_the_check_has_no_time_for_is_read_when_populating(testapp, dbsession, monkeypatch):
    """The upload page reads a few seconds at most; populating reads the rest, within the same
    limits, and a problem found there fails the batch with its line."""
    monkeypatch.setattr(files, "CHECK_SECONDS", 0)  # it stops after its first chunk
    upload(testapp, make.widgets(3000, FORMULA_ROW.format(n=3002)), 303)
    batch = the_batch(dbsession)
    assert batch.state == "failed"
    assert "line 3002: cell A3002 holds a formula (=1+1)" in batch.message


# -- others are served meanwhile: a real app, its own database, real transactions ----------


@pytest.fixture(scope="module")
def live_app(scratch_databases, tmp_path_factory):
    url = scratch_databases.create()
    migrate(url)
    engine = create_engine(url)
    with Session(engine) as db, db.begin():
        for name in ("uploader", "other"):
            db.add(User(username=name, password_hash=hash_password(PASSWORD),
                        roles=[Role(name=f"admin-{name}", grants_all=True)]))
    engine.dispose()
    app = main({}, **{"sqlalchemy.url": url, "poser.secret": "live-" + "x" * 40,
                      "poser.allowed_hosts": "example.com",
                      "poser.batch_dir": str(tmp_path_factory.mktemp("live-batches"))})
    yield app
    app.registry["db_engine"].dispose()


def client(app, username):
    browser = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    log_in(browser, username)
    return browser


def uploading(app, data, status, times):
    """Upload `data` in a thread of its own; `times` gets (started, answered, the page)."""
    uploader = client(app, "uploader")
    token = token_of(uploader)

    def run():
        started = time.monotonic()
        response = uploader.post("/batches/new?type=widget_import", {"csrf_token": token},
                                 upload_files=[("file", "upload.xlsx", data)], status=status)
        times.append((started, time.monotonic(), response.text))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def serve_another_client(app, number):
    """Log in, save a widget, read the list (each fails the test if it is refused)."""
    other = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
    log_in(other, "other")
    other.post("/widgets/new", widget_form(csrf_token(other), f"Meanwhile {number}"), status=303)
    assert f"Meanwhile {number}" in other.get("/widgets", status=200).text


def test_bombs_are_refused_after_little_reading_while_another_client_is_served(live_app,
                                                                               unzipped):
    times = []
    for case in sorted(BOMBS):
        unzipped.clear()
        thread = uploading(live_app, BOMBS[case][0](), 400, times)
        serve_another_client(live_app, case)
        thread.join(30)
        assert not thread.is_alive(), f"{case}: the upload is still being read"
        assert BOMBS[case][1] in times[-1][2], case
        assert max(unzipped, default=0) < READ_AT_MOST, (case, unzipped)


def test_checking_a_big_file_holds_no_lock_another_client_waits_for(live_app, monkeypatch):
    """120,000 honest rows, then a formula: seconds of checking, then a 400. Meanwhile
    another client logs in and saves (on SQLite: the write lock), and is done first."""
    monkeypatch.setattr(files, "CHECK_SECONDS", 120)  # read it all, however busy the machine
    data = make.widgets(120_000, FORMULA_ROW.format(n=120_002))
    times = []
    thread = uploading(live_app, data, 400, times)
    kept = Path(live_app.registry.settings["poser.batch_dir"])

    def whole_upload_kept():  # then it is being checked
        try:
            return len(data) in [p.stat().st_size for p in kept.glob("upload-*.tmp")]
        except FileNotFoundError:  # deleted between the listing and the look
            return False

    wait_until(whole_upload_kept, "the whole upload to be kept, and so being checked")
    serve_another_client(live_app, "during the check")
    served_at = time.monotonic()
    thread.join(60)
    assert not thread.is_alive()
    _started, answered, text = times[0]
    assert "line 120002: cell A120002 holds a formula" in text
    assert served_at < answered  # the other client was done first: it did not wait
    with Session(live_app.registry["db_engine"]) as db:
        assert db.scalars(select(Batch)).first() is None
        assert db.scalars(select(BatchRow)).first() is None


@pytest.mark.only_db("sqlite")
def test_a_big_body_is_parsed_holding_no_write_lock(live_app, monkeypatch):
    """SQLite has one write lock, and reading the user of a POST takes it: a big upload's
    body is parsed after that transaction has ended, so other writers need not wait."""
    from poser_web.web import input_guard

    engine = live_app.registry["db_engine"]
    locked = []
    original = input_guard.text_problem

    def parse_watching_the_lock(request):
        probe = engine.raw_connection()
        try:
            probe.execute("PRAGMA busy_timeout=0")
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                locked.append(False)
            except sqlite3.OperationalError:  # database is locked
                locked.append(True)
        finally:
            probe.close()
        return original(request)

    monkeypatch.setattr(input_guard, "text_problem", parse_watching_the_lock)
    uploader = client(live_app, "uploader")
    token = token_of(uploader)
    locked.clear()
    uploader.post("/batches/new?type=widget_import", {"csrf_token": token},
                  upload_files=[("file", "big.pdf", b"%PDF" + b"x" * (1 << 20))], status=400)
    assert locked == [False]
