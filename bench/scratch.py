"""Scratch databases for the benchmarks: a SQLite file under bench/out/ or a
PostgreSQL database named bench_*, migrated like tests/databases.py does
(alembic.ini with config.attributes["database_url"], `upgrade heads`)."""
import os
import subprocess
import sys
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "bench" / "out"
# The server scratch databases are created on (trust auth, loopback).
PG_SERVER_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


class Scratch:
    """One scratch database: `url` for poser_web (SQLAlchemy), `peer_url` for Django."""

    def __init__(self, kind, label):
        self.kind = kind
        self.name = f"bench_{label}_{uuid.uuid4().hex[:8]}"
        if kind == "sqlite":
            OUT.mkdir(parents=True, exist_ok=True)
            self.path = OUT / f"{self.name}.sqlite"
            self.url = f"sqlite:///{self.path}"
            self.peer_url = f"sqlite:///{self.path}"  # sqlite:////abs/path
        elif kind == "postgresql":
            with _server() as connection:
                connection.execute(text(f'CREATE DATABASE "{self.name}"'))
            server = make_url(PG_SERVER_URL)
            self.url = server.set(database=self.name).render_as_string(hide_password=False)
            auth = server.username or "postgres"
            if server.password:
                auth += f":{server.password}"
            host = server.host or "127.0.0.1"
            self.peer_url = f"postgresql://{auth}@{host}:{server.port or 5432}/{self.name}"
        else:
            raise ValueError(f"unknown database kind {kind!r}")

    def drop(self):
        if self.kind == "sqlite":
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        else:
            with _server() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


def migrate(url):
    """`alembic upgrade heads` on `url`, exactly as the project's tests do."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(REPO / "alembic.ini"))
    config.attributes["database_url"] = url
    config.attributes["configure_logging"] = False
    command.upgrade(config, "heads")


def server_version(kind):
    if kind == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version}"
    with _server() as connection:
        return "PostgreSQL " + connection.execute(text("SHOW server_version")).scalar().split()[0]


class _server:
    def __enter__(self):
        self.engine = create_engine(PG_SERVER_URL, isolation_level="AUTOCOMMIT")
        self.connection = self.engine.connect()
        return self.connection

    def __exit__(self, *exc):
        self.connection.close()
        self.engine.dispose()


def poser_cli(args, url, stdin=None, ini="development.ini"):
    """Run the project's `poser` command (e.g. ["db", ini]) against `url`; returns CompletedProcess."""
    script = Path(sys.executable).with_name("poser")
    command = [str(script)] if script.exists() else [
        sys.executable, "-c", "import sys; from poser_web.cli import main; sys.exit(main())"]
    env = dict(os.environ, POSER_DATABASE_URL=url)
    return subprocess.run(command + list(args), cwd=REPO, env=env, input=stdin, capture_output=True,
                          text=True, timeout=120)


def add_login_user(url, credentials, ini="development.ini"):
    """Create the USER:PASSWORD administrator the benchmark logs in as (`poser adduser --admin`)."""
    user, _, password = credentials.partition(":")
    done = poser_cli(["adduser", ini, user, "--admin"], url, stdin=password + "\n")
    if done.returncode != 0:
        raise RuntimeError(f"poser adduser {user} failed: {(done.stderr or done.stdout).strip()[-500:]}")
