"""`poser tables`, `poser export` and `poser import` (direct and --batch, then `poser batch
execute`) for a table that only declared itself (Specimen, included by `poser.includes`),
committed for real through an ini file, as an operator runs them."""
import csv
import io

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from poser_web.cli import main
from poser_web.models import Change
from tests.browser.support import empty_tables
from tests.sample.models import Specimen, SpecimenPart


@pytest.fixture
def ini(tmp_path, app_settings, engine):
    """An ini file building the test app (the sample tables included), over the run's database."""
    settings = "\n".join(f"{key} = {value}" for key, value in app_settings.items())
    path = tmp_path / "app.ini"
    path.write_text(f"[app:main]\nuse = egg:poser-web\n{settings}\n", encoding="utf-8")
    empty_tables(engine)
    yield str(path)
    empty_tables(engine)


def seed(engine):
    with Session(engine) as session, session.begin():
        session.add_all([
            Specimen(name="Alpha", quantity=3, color="red",
                     parts=[SpecimenPart(code="A1", count=1), SpecimenPart(code="A2")]),
            Specimen(name="Beta", active=False)])


def count(engine, model):
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_tables_lists_every_table_with_its_counts(ini, engine, capsys):
    seed(engine)
    assert main(["tables", ini]) == 0
    out = capsys.readouterr().out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines()[1:]}
    assert lines["widgets"] == ["0", "components"]
    assert lines["specimens"] == ["2", "parts"]


def test_export_edit_import_then_as_a_batch(ini, engine, tmp_path, capsys):
    seed(engine)
    exported = tmp_path / "specimens.csv"
    assert main(["export", ini, "specimens", str(exported)]) == 0
    assert "Exported 2 specimens and 2 parts" in capsys.readouterr().err
    table = list(csv.reader(io.StringIO(exported.read_text(encoding="utf-8"))))
    header = table[0]
    assert [row[header.index("name")] for row in table if row[0] == "test_specimen"] == [
        "Alpha", "Beta"]

    table[1][header.index("quantity")] = "4"
    edited = tmp_path / "edited.csv"
    with open(edited, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(table)
    assert main(["import", ini, "specimens", str(edited), "--runas", "nobody"]) == 2
    assert "no user named 'nobody'" in capsys.readouterr().err
    assert main(["import", ini, "specimens", str(edited)]) == 0
    out = capsys.readouterr().out
    assert "specimens" in out and "parts" in out
    with engine.connect() as connection:
        assert connection.scalar(select(Specimen.quantity).where(Specimen.name == "Alpha")) == 4
        assert connection.scalar(select(func.count()).where(Change.source == "import")) == 1

    table[1][header.index("quantity")] = "5"
    with open(edited, "w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(table)
    assert main(["import", ini, "specimens", str(edited), "--batch"]) == 0
    assert "Batch 1: 2 rows (1 update, 1 unchanged)" in capsys.readouterr().out
    with engine.connect() as connection:
        assert connection.scalar(select(Specimen.quantity).where(Specimen.name == "Alpha")) == 4
    assert main(["batch", "execute", ini, "1"]) == 0
    with engine.connect() as connection:
        assert connection.scalar(select(Specimen.quantity).where(Specimen.name == "Alpha")) == 5
    assert count(engine, SpecimenPart) == 2


def test_an_unknown_table_lists_the_known_ones(ini, tmp_path, capsys):
    assert main(["export", ini, "gadgets", str(tmp_path / "x.csv")]) == 2
    error = capsys.readouterr().err
    assert "no table 'gadgets'" in error and "specimens" in error and "widgets" in error


def test_the_old_spelling_answers_with_the_new_one(ini, tmp_path, capsys):
    assert main(["export", ini, str(tmp_path / "w.csv")]) == 2
    assert f"poser export {ini} widgets" in capsys.readouterr().err
