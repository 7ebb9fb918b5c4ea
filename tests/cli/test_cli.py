"""The `poser` console script."""
import subprocess
import sys
from pathlib import Path

from poser_web.cli import main
from tests.databases import REPO, migrate


def test_version_is_printed():
    result = subprocess.run([str(Path(sys.executable).parent / "poser"), "--version"], capture_output=True, check=False, text=True)
    assert result.returncode == 0
    assert result.stdout.startswith("poser-web ")


def test_db_reports_migration_status(scratch_databases, monkeypatch, capsys):
    url = scratch_databases.create()
    monkeypatch.setenv("POSER_DATABASE_URL", url)
    assert main(["db", str(REPO / "development.ini")]) == 1
    assert "needs `alembic upgrade heads`" in capsys.readouterr().out
    migrate(url)
    assert main(["db", str(REPO / "development.ini")]) == 0
    assert "up to date" in capsys.readouterr().out
