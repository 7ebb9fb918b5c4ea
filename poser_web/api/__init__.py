"""A JSON API for every table, from the same declaration as its pages (views.py: list and one
record; write.py: create, update, delete), described by an OpenAPI 3.1 document (openapi.py)
and a page listing the tables and their operations (`/api`)."""
from ..auth.permissions import AUTHENTICATED
from ..models import catalog
from .openapi import document


def index(request):
    """The tables this user may list, with the operations they may use."""
    tables = []
    for spec in catalog.tables(request.registry).values():
        if not request.has_permission(spec.permission("list")):
            continue
        allowed = [("list", "GET /api…"), ("view", "GET …/{uuid}")]
        if spec.editable:
            allowed += [("create", "POST"), ("edit", "PATCH …/{uuid}"), ("delete", "DELETE …/{uuid}")]
        operations = [f"{action} ({how.replace('/api…', '/api' + spec.view.url_prefix)})"
                      for action, how in allowed if request.has_permission(spec.permission(action))]
        tables.append({"title": spec.title_plural, "path": "/api" + spec.view.url_prefix,
                       "operations": operations, "fields": [f.name for f in spec.fields]})
    return {"tables": tables}


def openapi(request):
    return document(request)


def includeme(config):
    config.include(".errors")
    config.add_route("api.index", "/api")
    config.add_view(index, route_name="api.index", request_method="GET",
                    renderer="poser_web:templates/api/index.pt", permission=AUTHENTICATED)
    config.add_route("api.openapi", "/api/openapi.json")
    config.add_view(openapi, route_name="api.openapi", request_method="GET", renderer="json",
                    permission=AUTHENTICATED)
