"""`pshell development.ini` gives upstream's snippet a session and the models."""
from pyramid.paster import bootstrap
from sqlalchemy import delete

from tests.databases import REPO


def test_pshell_setup_runs_upstream_snippet(database_url, monkeypatch):
    from poser_web.pshell import setup

    monkeypatch.setenv("POSER_DATABASE_URL", database_url)
    with bootstrap(str(REPO / "development.ini")) as env:
        setup(env)
        session, model = env["session"], env["model"]
        try:
            widget = model.Widget(description="First Widget")
            session.add(widget)
            widget.components.append(model.Component(item_code="42", description="Basic Component"))
            session.commit()
            assert session.query(model.Widget).filter_by(uuid=widget.uuid).count() == 1
            assert session.query(model.Component).filter_by(widget_uuid=widget.uuid).count() == 1
        finally:
            # This test commits for real: clean up so other tests see an empty table.
            session.execute(delete(model.Component))
            session.execute(delete(model.Widget))
            session.execute(delete(model.Change))
            session.commit()
            session.close()
            env["registry"]["db_engine"].dispose()
