"""GET /healthz: ok or not ok for anyone, the reason in the log only."""
import logging

from sqlalchemy import create_engine


def test_healthz_answers_without_login_and_says_only_ok(anonymous_app):
    response = anonymous_app.get("/healthz")
    assert response.json == {"status": "ok"}


def test_healthz_is_503_when_migrations_are_behind(anonymous_app, app, caplog):
    heads = app.registry["poser.migration_heads"]
    app.registry["poser.migration_heads"] = {"ffffffffffff"}
    try:
        with caplog.at_level(logging.WARNING, logger="poser_web"):
            response = anonymous_app.get("/healthz", status=503)
    finally:
        app.registry["poser.migration_heads"] = heads
    assert response.json == {"status": "error"}  # no revision told to anyone
    assert "ffffffffffff" in caplog.text and "alembic upgrade heads" in caplog.text


def test_healthz_is_503_when_the_database_is_unreachable(anonymous_app, app, caplog,
                                                         monkeypatch):
    monkeypatch.setitem(app.registry, "db_engine", create_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with caplog.at_level(logging.WARNING, logger="poser_web"):
        response = anonymous_app.get("/healthz", status=503)
    assert response.json == {"status": "error"}
    assert "database unreachable: OperationalError" in caplog.text
