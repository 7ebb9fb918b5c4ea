"""MasterView's list page: its grid (declared once per class), what the query string asks
of it, the filter panel, the rows as the list shows them, the links that keep the state,
and the import / bulk-change buttons."""
from pyramid.encode import urlencode
from pyramid.httpexceptions import HTTPBadRequest
from sqlalchemy import inspect

from ..batch import batch_types
from ..display.labels import label_of
from ..display.values import display_timezone, formatter
from ..grid import DEFAULT_PAGE_SIZE, PAGE_SIZES, Grid, GridError
from ..grid.declared import make_columns, make_filters, make_search
from ..web.site_urls import route_url as site_route_url
from .list_rows import rows_html


class ListPages:
    """The list page of a MasterView (a mixin: the model, route and hooks are the view's)."""

    @classmethod
    def declared_grid(cls, zone):
        """(columns, search, filters) from the declaration, made once per class and zone."""
        cache = cls.__dict__.get("_declared_grid")
        if cache is None:
            cache = {}
            cls._declared_grid = cache
        if zone not in cache:
            cache[zone] = (make_columns(cls.model, cls.columns), make_search(cls.model, cls.search),
                           make_filters(cls.model, cls.filters, zone))
        return cache[zone]

    def make_grid(self):
        """The list's Grid, made once per class and time zone: it keeps the statements it
        built (Grid.statement), so each list is built once, not per request."""
        zone = display_timezone(self.request)
        columns, search, filters = self.declared_grid(zone)
        cache = type(self).__dict__["_declared_grid"]  # cleared with the declaration's
        key = ("grid", zone, self.default_sort, self.default_direction, self.count_limit)
        grid = cache.get(key)
        if grid is None:
            grid = cache[key] = Grid(
                self.get_query(), inspect(self.model).primary_key[0], columns, search=search,
                filters=filters, default_sort=self.default_sort,
                default_direction=self.default_direction, count_limit=self.count_limit)
        return grid

    def grid_and_state(self):
        """The grid and what the query string asks of it (400 when it cannot be honoured)."""
        grid = self.make_grid()
        self.grid = grid  # list_query() keeps its filters in links
        try:
            state = grid.parse(self.request.GET)
            grid.verify(self.db, state)
        except GridError as error:
            raise HTTPBadRequest(str(error))
        return grid, state

    def list_page(self):
        grid, state = self.grid_and_state()
        page = grid.page(self.db, state, plain=True)  # the page shows columns, not records
        actions = self.available_actions()
        selection = self.selection_target()
        body = rows_html(self, grid, page, selection, "edit" in actions, "delete" in actions)
        return self.page_context(grid=grid, state=state, page=page, page_sizes=PAGE_SIZES,
                                 list_url=self.list_url, actions=actions, table_body=body,
                                 filter_panel=self.filter_panel(grid, state), selection=selection)

    def filter_panel(self, grid, state):
        """What the list page's filter form shows: per filter, its operators, the
        values asked and, for a record filter over a small table, its choices."""
        panel = []
        for grid_filter in grid.filters:
            entry = {"filter": grid_filter, "criterion": state.filters.get(grid_filter.key),
                     "id": "filter-" + grid_filter.key.replace(".", "-"), "options": None}
            if grid_filter.widget == "record":
                records = self.db.scalars(grid_filter.options_query()).all()
                if len(records) <= grid_filter.OPTION_LIMIT:
                    key = inspect(grid_filter.related).primary_key[0].key
                    entry["options"] = [(str(getattr(r, key)), label_of(r)) for r in records]
                else:  # the form's search-as-you-type picker
                    chosen = entry["criterion"] and grid_filter.record(self.db, entry["criterion"])
                    entry.update(lookup_url=self.lookup_url(grid_filter.key),
                                 chosen_label=label_of(chosen) if chosen else "")
            panel.append(entry)
        return panel

    def filter_inputs(self, state):
        """(name, value) pairs of hidden inputs keeping the filters in a form."""
        pairs = []
        for name, value in self.grid.filter_params(state).items():
            pairs += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
        return pairs

    def cell_formats(self, grid):
        """Per column: None for a related record (its label, linked), else a function
        value -> (text, tooltip)."""
        zone = display_timezone(self.request)
        return [None if column.related is not None else formatter(column.type, zone, column.choices)
                for column in grid.columns]

    def cell_url(self, column, row):
        """Where a list cell links to: the row's own page, another page, or nowhere."""
        if column.link == "view":
            return self.row_url(row)
        if callable(column.link):
            return column.link(self.request, row)
        return None

    def list_url(self, state, **changes):
        """The list page's URL for `state` with `changes`."""
        return self.route(**self.list_query(state, **changes))

    def list_query(self, state, **changes):
        """Query parameters for `state` with `changes` (q, sort, direction, page, per_page,
        after, before), only non-default ones kept.

        A keyset cursor (`after` / `before`) is only kept when passed: every
        other link (sort, search, page size) starts from a page number. A list page makes
        about ten of these: the state is read, not copied with the changes.
        """
        get = changes.get
        page, per_page = get("page", state.page), get("per_page", state.per_page)
        query = {"q": get("q", state.q), **self.grid.filter_params(state), "sort": get("sort", state.sort),
                 "dir": get("direction", state.direction), "page": page if page != 1 else "",
                 "per_page": per_page if per_page != DEFAULT_PAGE_SIZE else "",
                 "after": get("after"), "before": get("before")}
        return {k: v for k, v in query.items() if v not in ("", None)}

    def list_buttons(self):
        """(label, url) of the list's import and bulk-change buttons the user may follow: an
        import needs batches.create and the table's create or edit permission; a bulk change
        batches.create and the permission of at least one of its actions."""
        spec, has = self.table_spec(), self.request.has_permission
        if spec is None or not has("batches.create"):
            return []
        found = []
        types = batch_types(self.request.registry)
        importer = types.get(f"{spec.entity}_import")
        if importer is not None and (has(spec.permission("create")) or has(spec.permission("edit"))):
            url = site_route_url(self.request, "batches.create")
            found.append(("Import file", f"{url}?{urlencode({'type': importer.key})}"))
        bulk = self.bulk_type()
        if bulk is not None:
            paging = ("page", "per_page", "sort", "dir", "after", "before", "type")
            # The list's search and filters go along, a filter's several values included.
            query = [(k, v) for k, v in self.request.GET.items() if k not in paging and v]
            query.append(("type", bulk.key))
            found.append(("Bulk change", f"{site_route_url(self.request, 'batches.bulk')}?{urlencode(query)}"))
        return found

    def bulk_type(self):
        """This table's bulk-change batch type, if the user may use one of its actions (asked
        by the list's buttons and its row selection: worked out once a request)."""
        if "_bulk_type" not in self.__dict__:
            self._bulk_type = self._find_bulk_type()
        return self._bulk_type

    def _find_bulk_type(self):
        spec = self.table_spec()
        if spec is None or not self.request.has_permission("batches.create"):
            return None
        bulk = batch_types(self.request.registry).get(f"{spec.entity}_bulk")
        if bulk is None or not any(self.request.has_permission(bulk.permission_for(key))
                                   for key in bulk.actions):
            return None
        return bulk

    def selection_target(self):
        """(label, url, hidden fields) of the page rows ticked on this list go to (the bulk
        change), or None."""
        bulk = self.bulk_type()
        if bulk is None:
            return None
        return ("Bulk change", site_route_url(self.request, "batches.bulk"), [("type", bulk.key)])
