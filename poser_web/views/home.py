"""The landing page: every table the user may list, with how many rows it has."""
from pyramid.view import view_config

from ..web.navigation import capped_count, entries


@view_config(route_name="home", renderer="poser_web:templates/home.pt")
def home(request):
    tables = []
    for entry in entries(request):
        count, exact = (capped_count(request.dbsession, entry.model) if entry.model is not None
                        else (None, True))
        tables.append({"title": entry.title, "url": request.route_url(entry.route_name),
                       "count": count, "exact": exact})
    return {"tables": tables}
