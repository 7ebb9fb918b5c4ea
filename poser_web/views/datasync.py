"""The Datasync page: per consumer its cursor, pending changes, lag, last success and error,
and its parked changes with Retry and Skip. Also includes /healthz (views/health.py).

Permissions: `datasync.view` to see it, `datasync.manage` for Retry and Skip. The daemon picks
a Retry up at its next look (within a second or so).
"""
from types import SimpleNamespace

from pyramid.httpexceptions import HTTPNotFound, HTTPSeeOther

from ..auth.permissions import register as register_permission
from ..datasync import store
from ..models import utcnow
from ..web.navigation import add_menu_entry
from ..web.numbers import BIG_INTEGER_MAX, whole_number

VIEW, MANAGE = "datasync.view", "datasync.manage"


def datasync_page(request):
    connection = request.dbsession.connection()
    consumers = [SimpleNamespace(**{**row, "parked": [SimpleNamespace(**p) for p in row["parked"]]})
                 for row in store.status(connection, now=utcnow())]
    return {"consumers": consumers, "last_change": store.last_change_id(connection),
            "can_manage": bool(request.has_permission(MANAGE))}


def parked_action(request):
    consumer = request.matchdict["consumer"]
    change_id = whole_number(request.matchdict["change_id"], maximum=BIG_INTEGER_MAX)
    if change_id is None:
        raise HTTPNotFound("There is no such parked change.")
    action = request.matchdict["action"]
    # Through the session (ORM statements), so the request's transaction commits them.
    done = (store.request_retry if action == "retry" else store.skip)(
        request.dbsession, consumer, change_id)
    if not done:
        raise HTTPNotFound(f"Change {change_id} is not parked for {consumer} (any more).")
    request.session.flash(
        f"Change {change_id} of {consumer}: " + ("asked the daemon to retry it (with the changes "
        "waiting behind it)." if action == "retry" else "skipped; the changes waiting behind it "
        "will be retried."), "success")
    return HTTPSeeOther(request.route_url("datasync"))


def includeme(config):
    register_permission(config, VIEW, "See datasync consumers, their lag and parked changes")
    register_permission(config, MANAGE, "Retry or skip parked datasync changes")
    config.add_route("datasync", "/datasync")
    add_menu_entry(config, "Datasync", "Datasync", "datasync", VIEW)
    config.add_view(datasync_page, route_name="datasync", request_method="GET", permission=VIEW,
                    renderer="poser_web:templates/datasync.pt")
    config.add_route("datasync.parked", "/datasync/{consumer}/{change_id}/{action:retry|skip}")
    config.add_view(parked_action, route_name="datasync.parked", request_method="POST",
                    permission=MANAGE)
    config.include(".health")
