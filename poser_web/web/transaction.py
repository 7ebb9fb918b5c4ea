"""Ending a request's transaction early, before a slow step that needs no database.

A writing request holds a database lock from its first statement (on SQLite, the one write
lock; `BEGIN IMMEDIATE` in db/engine.py), and reading the user's session is that first
statement. A step that then takes seconds without the database — checking an uploaded file —
would keep every other writer waiting. `release_database` ends the transaction (it has
written nothing yet) and starts the next one, which the next statement joins: the lock is
taken again only when the request writes.
"""


def release_database(request):
    """End the request's transaction; call it before the request has written anything."""
    if "app.dbsession" in request.environ or not request.environ.get("tm.active"):
        return  # a test's own session: one transaction, rolled back at the end of the test
    session = request.dbsession
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("release_database would lose the request's unsaved changes")
    request.tm.abort()
    request.tm.begin()
