"""`poser adduser`, `passwd`, `role`, `permissions`, `ensure-admin` against a real ini."""
import io
import sys

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from poser_web.auth.passwords import verify_password
from poser_web.cli import main
from poser_web.db.engine import get_engine
from poser_web.models import Change, LoginFailure, Role, RolePermission, User, user_roles
from tests.databases import REPO

INI = str(REPO / "development.ini")


@pytest.fixture
def cli_db(database_url, monkeypatch):
    """The CLI commits for real: point it at the test database and clean up after."""
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    engine = get_engine({"sqlalchemy.url": database_url})
    yield Session(bind=engine)
    with engine.begin() as connection:
        for table in (user_roles, RolePermission.__table__, Role.__table__, User.__table__,
                      LoginFailure.__table__):
            connection.execute(delete(table))
        connection.execute(delete(Change).where(Change.entity.in_(("user", "role"))))
    engine.dispose()


def run(argv, stdin=""):
    sys_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return main(argv)
    finally:
        sys.stdin = sys_stdin


def test_adduser_admin_reads_password_from_stdin(cli_db, capsys):
    assert run(["adduser", INI, "alice", "--admin"], "s3cret-enough\n") == 0
    assert "Added user alice (Administrator)" in capsys.readouterr().out
    user = cli_db.scalars(select(User).where(User.username == "alice")).one()
    assert verify_password(user.password_hash, "s3cret-enough")
    assert [r.name for r in user.roles] == ["Administrator"] and user.roles[0].grants_all


def test_adduser_refuses_duplicates_and_short_passwords(cli_db, capsys):
    assert run(["adduser", INI, "bob"], "short\n") == 2
    assert "Use at least 8 characters" in capsys.readouterr().err
    assert run(["adduser", INI, "bob"], "long enough pw\n") == 0
    assert run(["adduser", INI, "bob"], "long enough pw\n") == 2
    assert "exists already" in capsys.readouterr().err


def test_passwd_changes_the_hash(cli_db):
    run(["adduser", INI, "carol"], "first password\n")
    assert run(["passwd", INI, "carol"], "second password\n") == 0
    cli_db.expire_all()
    user = cli_db.scalars(select(User).where(User.username == "carol")).one()
    assert verify_password(user.password_hash, "second password")
    assert run(["passwd", INI, "nobody"], "whatever pw\n") == 2


def test_role_grants_known_permissions_only(cli_db, capsys):
    run(["adduser", INI, "dave"], "dave's password\n")
    assert run(["role", INI, "Viewer", "--grant", "widgets.list", "--grant", "widgets.view",
                "--user", "dave"]) == 0
    assert "Role Viewer grants widgets.list, widgets.view." in capsys.readouterr().out
    assert run(["role", INI, "Viewer", "--grant", "widgets.fly"]) == 2
    assert "unknown permission(s) widgets.fly" in capsys.readouterr().err
    user = cli_db.scalars(select(User).where(User.username == "dave")).one()
    assert [r.name for r in user.roles] == ["Viewer"]


def test_permissions_lists_every_view_action(cli_db, capsys):
    assert run(["permissions", INI]) == 0
    out = capsys.readouterr().out
    for name in ("widgets.list", "widgets.view", "widgets.create", "widgets.edit", "widgets.delete",
                 "components.list", "components.view"):
        assert name in out


def test_ensure_admin_only_when_there_are_no_users(cli_db, capsys):
    assert run(["ensure-admin", INI]) == 0
    out = capsys.readouterr().out
    password = out.split("with password ")[1].split()[0]
    user = cli_db.scalars(select(User)).one()
    assert user.username == "admin" and verify_password(user.password_hash, password)
    assert run(["ensure-admin", INI]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert len(cli_db.scalars(select(User)).all()) == 1


def test_account_changes_are_recorded_in_history(cli_db):
    run(["adduser", INI, "erin"], "erin's password\n")
    run(["role", INI, "Clerk", "--grant", "widgets.list", "--user", "erin"])
    run(["passwd", INI, "erin"], "erin's new password\n")
    changes = cli_db.scalars(select(Change).order_by(Change.changed_at, Change.summary)).all()
    summaries = {(c.entity, c.summary) for c in changes}
    assert summaries == {
        ("user", "Created user erin; password set on the command line"),
        ("role", "Created role Clerk; Granted widgets.list"),
        ("user", "Granted role Clerk to erin"),
        ("role", "Granted to erin"),
        ("user", "Set the password of erin"),
    }
    assert {c.source for c in changes} == {"command line"}
    assert not any("erin's" in c.diff for c in changes)


def test_ensure_admin_password_is_temporary(cli_db, capsys):
    run(["ensure-admin", INI])
    assert cli_db.scalars(select(User)).one().must_change_password


def test_adduser_admin_finds_the_administrator_role_by_what_it_grants(cli_db, capsys):
    """A role manager renames Administrator and makes a decoy of that name: --admin still
    gives every permission."""
    cli_db.add_all([Role(name="Root", grants_all=True),
                    Role(name="Administrator", grants_all=False,
                         permissions=[RolePermission(permission="widgets.list")])])
    cli_db.commit()
    assert run(["adduser", INI, "alice", "--admin"], "s3cret-enough\n") == 0
    assert "Added user alice (Root)" in capsys.readouterr().out
    user = cli_db.scalars(select(User).where(User.username == "alice")).one()
    assert [(r.name, r.grants_all) for r in user.roles] == [("Root", True)]


def test_adduser_admin_makes_the_role_beside_a_decoy(cli_db, capsys):
    cli_db.add(Role(name="Administrator", grants_all=False))
    cli_db.commit()
    assert run(["adduser", INI, "alice", "--admin"], "s3cret-enough\n") == 0
    user = cli_db.scalars(select(User).where(User.username == "alice")).one()
    assert [(r.name, r.grants_all) for r in user.roles] == [
        ("Administrator (every permission)", True)]


def test_an_unmigrated_database_is_named_not_a_traceback(scratch_databases, monkeypatch, capsys):
    """A command run before `alembic upgrade heads` says what is wrong and how to fix it."""
    monkeypatch.setenv("POSER_DATABASE_URL", scratch_databases.create())  # empty: no tables
    assert run(["adduser", INI, "alice"], "s3cret-enough\n") == 1
    error = capsys.readouterr().err
    assert "poser adduser: the database refused:" in error and "poser_user" in error
    assert f"alembic -c {INI} upgrade heads" in error
    assert "Traceback" not in error


def test_a_setting_the_app_needs_is_named_not_a_traceback(database_url, monkeypatch, capsys):
    """production.ini without POSER_SECRET: the operator is told what to set."""
    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    monkeypatch.delenv("POSER_SECRET", raising=False)
    monkeypatch.setenv("POSER_BASE_URL", "https://admin.example.com")
    assert run(["tables", str(REPO / "production.ini")]) == 2
    error = capsys.readouterr().err
    assert error.startswith("poser tables: the app cannot start: poser.secret is not set")
    assert "POSER_SECRET" in error and "Traceback" not in error
