"""The JSON API of every table, from its master view's declaration: `/api/<table>`.

The list is the list page's own grid (the same search, filters, sort and keyset cursors, the
same statements), one record comes with its child rows; writes go through the table's form
(write.py). Responses are JSON, errors too (errors.py).
"""
from pyramid.httpexceptions import HTTPBadRequest

from ..grid.core import GridError
from ..models import catalog
from .records import record_json

# Query parameters a list link keeps (the rest are the grid's own search and filters).
PAGING = ("page", "after", "before")


def etag(spec, instance):
    """The record's version as a strong ETag, or None for a table without versions."""
    return f'"{instance.version}"' if spec.versioned else None


class TableApi:
    """The API of the table the matched route names (`api.<table>`, `api.<table>.record`)."""

    def __init__(self, request):
        self.request = request
        name = request.matched_route.name.split(".")[1]
        self.spec = catalog.tables(request.registry)[name]
        self.master = self.spec.view(request)

    def list(self):
        grid = self.master.make_grid()
        try:
            state = grid.parse(self.request.GET)
        except GridError as error:
            raise HTTPBadRequest(str(error)) from None
        page = grid.page(self.request.dbsession, state)
        return {
            "items": [record_json(self.spec, instance) for instance, _ in page.rows],
            "count": page.total, "count_is_exact": page.total_is_exact,
            "estimate": page.estimate, "page": page.page, "per_page": page.per_page,
            "next": self._link(page.page + 1, after=page.next_cursor) if page.has_next else None,
            "previous": self._link(page.page - 1, before=page.prev_cursor if page.page > 2
                                   else None) if page.page > 1 else None,
        }

    def _link(self, number, **cursor):
        query = [(k, v) for k, v in self.request.GET.items() if k not in PAGING]
        query += [("page", str(number))] + [(k, v) for k, v in cursor.items() if v]
        return self.request.route_url(f"api.{self.spec.name}", _query=query)

    def record(self):
        instance = self.master.get_instance()  # 404 for a key no record has
        tag = etag(self.spec, instance)
        if tag:
            self.request.response.headers["ETag"] = tag
        return record_json(self.spec, instance, children=True)
