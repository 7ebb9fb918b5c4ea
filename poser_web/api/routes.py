"""Each table's API routes, added by its master view's include (views/master.py)."""
from .views import TableApi
from .write import add_write_routes


def add_table_routes(config, view):
    """`/api/<table>` (list) and `/api/<table>/{uuid}` (one record) for a master view's table,
    with the permissions of its pages; writes for a table with a form (write.py)."""
    prefix, url = view.route_prefix, "/api" + view.url_prefix
    config.add_route(f"api.{prefix}", url)
    config.add_route(f"api.{prefix}.record", url + "/{uuid}")
    for route, attr, method, action in (
            (f"api.{prefix}", "list", "GET", "list"),
            (f"api.{prefix}.record", "record", "GET", "view")):
        config.add_view(TableApi, attr=attr, route_name=route, request_method=method,
                        renderer="json", permission=view.permission_name(action))
    if view.editable():
        add_write_routes(config, view)
