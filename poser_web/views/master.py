"""MasterView: list / view / create / edit / delete pages for any model.

A subclass declares the model, its grid and its schema; `MasterView.include`
adds the routes (`<prefix>`, `<prefix>.create`, `.view`, `.edit`, `.delete`)
and views. Hooks for what a table needs beyond that: `get_query`,
`view_sections`, `delete_summary`, `objectify`, `to_appstruct`.
"""
import re
from contextlib import contextmanager

import deform
from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound, HTTPSeeOther
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from ..exports import XLSX_MAX_ROWS, csv_chunks, xlsx_chunks
from ..forms import make_form
from ..models import utcnow
from ..permissions import register as register_permission
from ..grids import (
    DEFAULT_COUNT_LIMIT, DEFAULT_PAGE_SIZE, PAGE_SIZES, Grid, GridError, dotted_value,
)

UUID_PATTERN = re.compile(r"^[0-9a-f]{32}$")


class MasterView:
    model = None
    route_prefix = None  # "widgets": route names and permissions derive from it
    url_prefix = None  # "/widgets"
    title = None  # "Widget"
    title_plural = None  # "Widgets"

    # The list page.
    columns = ()  # grids.Column
    search = ()  # grids.Contains / RelatedContains
    filters = ()  # grids.YesNoFilter
    default_sort = None
    default_direction = "asc"
    search_placeholder = "Search"
    count_limit = DEFAULT_COUNT_LIMIT  # exact totals up to here, "more than" above

    # Forms: a callable returning a colander schema; None makes the table read-only.
    schema = None
    inlines = {}  # relationship name -> model, for sequences edited inline

    def __init__(self, request):
        self.request = request
        self.db = request.dbsession

    # -- configuration -----------------------------------------------------

    @classmethod
    def include(cls, config):
        """Add this master's routes and views to the Configurator."""
        prefix, url = cls.route_prefix, cls.url_prefix
        config.add_route(prefix, url)
        cls._add(config, "list_page", prefix, "list", "master/list.pt", "GET")
        if cls.schema is not None:
            config.add_route(f"{prefix}.create", f"{url}/new")
            cls._add(config, "create_page", f"{prefix}.create", "create", "master/form.pt")
        config.add_route(f"{prefix}.export", url + "/export.{format:csv|xlsx}")
        cls._add(config, "export_file", f"{prefix}.export", "export", None, "GET")
        if hasattr(cls, "include_history"):
            cls.include_history(config)  # its /changes page must match before /{uuid}
        config.add_route(f"{prefix}.view", url + "/{uuid}")
        cls._add(config, "view_page", f"{prefix}.view", "view", "master/view.pt", "GET")
        if cls.schema is not None:
            config.add_route(f"{prefix}.edit", url + "/{uuid}/edit")
            cls._add(config, "edit_page", f"{prefix}.edit", "edit", "master/form.pt")
            config.add_route(f"{prefix}.delete", url + "/{uuid}/delete")
            cls._add(config, "delete_page", f"{prefix}.delete", "delete", "master/delete.pt")

    @classmethod
    def _add(cls, config, attr, route_name, action, template, request_method=("GET", "POST")):
        permission = f"{cls.route_prefix}.{action}"
        register_permission(config, permission, f"{action.capitalize()} {cls.title_plural.lower()}")
        config.add_view(
            cls, attr=attr, route_name=route_name, request_method=request_method,
            renderer=f"poser_web:templates/{template}" if template else None,
            permission=permission,
        )

    # -- hooks ---------------------------------------------------------------

    def get_query(self):
        """The select() the list page starts from."""
        return select(self.model)

    def make_grid(self):
        key = inspect(self.model).primary_key[0]
        return Grid(self.get_query(), key, self.columns, search=self.search,
                    filters=self.filters, default_sort=self.default_sort,
                    default_direction=self.default_direction, count_limit=self.count_limit)

    def view_fields(self, instance):
        """(label, value, url or None) for the view page."""
        return [(c.label, dotted_value(instance, c.key), None)
                for c in self.columns if c.value is None and "." not in c.key]

    def cell_url(self, column, row):
        """Where a list cell links to: the row's own page, another page, or nowhere."""
        if column.link == "view":
            return self.row_url(row)
        if callable(column.link):
            return column.link(self.request, row)
        return None

    def view_sections(self, instance):
        """Extra tables on the view page: dicts of title, columns, rows."""
        return []

    def delete_summary(self, instance):
        """What else goes when `instance` is deleted, e.g. "and its 3 components"."""
        return ""

    def to_appstruct(self, instance):
        """Form values for an existing instance, inline rows included."""
        schema = self.schema()
        appstruct = {}
        for node in schema.children:
            if node.name in self.inlines:
                row_names = [child.name for child in node.children[0].children]
                appstruct[node.name] = [
                    {name: getattr(row, name) for name in row_names}
                    for row in getattr(instance, node.name)
                ]
            elif hasattr(self.model, node.name):
                appstruct[node.name] = getattr(instance, node.name)
        return appstruct

    def objectify(self, appstruct, instance):
        """Copy validated form values onto `instance`.

        Inline rows are updated in place by uuid: changed rows updated, new rows
        inserted, missing rows deleted (delete-orphan) — keys never churn.
        """
        columns = {c.key for c in inspect(self.model).column_attrs}
        for name, value in appstruct.items():
            if name in self.inlines:
                self._update_rows(instance, name, self.inlines[name], value)
            elif name in columns and name not in ("uuid", "version"):
                setattr(instance, name, value)
        return instance

    def _update_rows(self, instance, name, row_model, rows):
        existing = {row.uuid: row for row in getattr(instance, name)}
        row_columns = {c.key for c in inspect(row_model).column_attrs}
        kept = []
        for values in rows:
            row = existing.get(values.get("uuid")) or row_model()
            for key, value in values.items():
                if key in row_columns and key != "uuid":
                    setattr(row, key, value)
            kept.append(row)
        setattr(instance, name, kept)

    # -- helpers -------------------------------------------------------------

    def get_instance(self):
        """The instance the URL names; locked for the rest of a POST (no lost updates)."""
        uuid = self.request.matchdict["uuid"]
        lock = self.request.method == "POST"
        instance = self.db.get(self.model, uuid, with_for_update=lock) if UUID_PATTERN.match(uuid) else None
        if instance is None:
            raise HTTPNotFound(f"No {self.title.lower()} has the key {uuid!r}; it may have been deleted.")
        return instance

    def row_url(self, row, action=None):
        """URL of a row's page (`action` None) or of its edit/delete page.

        Built from the list's URL: a list page links each row three or four
        times, and route generation per link was a third of its render time.
        """
        if "_row_base" not in self.__dict__:
            self._row_base = self.request.route_url(self.route_prefix)
        url = f"{self._row_base}/{row.uuid}"
        return f"{url}/{action}" if action else url

    def route(self, action=None, instance=None, format=None, **query):
        name = self.route_prefix if action is None else f"{self.route_prefix}.{action}"
        parts = {"uuid": instance.uuid} if instance is not None else {}
        if format is not None:
            parts["format"] = format
        return self.request.route_url(name, _query=query, **parts)

    def page_context(self, **values):
        values.setdefault("master", self)
        values.setdefault("actions", self.available_actions())
        return values

    def available_actions(self):
        """The actions this user may take here: templates show only their buttons."""
        actions = ["list", "view", "export"]
        if self.schema is not None:
            actions += ["create", "edit", "delete"]
        if hasattr(self, "include_history"):
            actions.append("history")
        return [a for a in actions if self.request.has_permission(f"{self.route_prefix}.{a}")]

    def list_buttons(self):
        """(label, url) of the buttons other parts registered for this list page, e.g. "Import
        file" (registry["poser.list_buttons"]: {route prefix: [(label, route, query,
        permission[, keep_search])]}), those the user may follow."""
        found = []
        paging = ("page", "per_page", "sort", "dir", "after", "before")
        for label, route, query, permission, *keep_search in self.request.registry.get(
                "poser.list_buttons", {}).get(self.route_prefix, ()):
            if self.request.has_permission(permission):
                if keep_search and keep_search[0]:  # the list's search and filters go along
                    query = {**{k: v for k, v in self.request.GET.items()
                                if k not in paging and v}, **query}
                found.append((label, self.request.route_url(route, _query=query)))
        return found

    def flash(self, message):
        self.request.session.flash(message, "success")

    # -- pages ---------------------------------------------------------------

    def grid_and_state(self):
        """The grid and what the query string asks of it (400 when it cannot be honoured)."""
        grid = self.make_grid()
        try:
            return grid, grid.parse(self.request.GET)
        except GridError as error:
            raise HTTPBadRequest(str(error))

    def list_page(self):
        grid, state = self.grid_and_state()
        page = grid.page(self.db, state)
        actions = self.available_actions()
        return self.page_context(grid=grid, state=state, page=page, page_sizes=PAGE_SIZES,
                                 list_url=self.list_url, actions=actions,
                                 table_rows=self.table_rows(grid, page),
                                 can_edit="edit" in actions, can_delete="delete" in actions)

    def table_rows(self, grid, page):
        """The page's rows as the template shows them: text, link and alignment per cell.

        Prepared here so the template only prints (rendering is most of a list
        request's cost).
        """
        rows = []
        for row, values in page.rows:
            cells = []
            for column, value in zip(grid.columns, values):
                text = ("Yes" if value else "No") if isinstance(value, bool) else value
                cells.append((text, self.cell_url(column, row), "text-end" if column.numeric else ""))
            rows.append({"cells": cells, "url": self.row_url(row)})
        return rows

    def export_file(self):
        """The list's rows (every page) as CSV or XLSX, streamed as they are read."""
        grid, state = self.grid_and_state()
        file_format = self.request.matchdict["format"]
        if file_format == "xlsx" and not grid.count(self.db, state, limit=XLSX_MAX_ROWS)[1]:
            raise HTTPBadRequest(f"More than {XLSX_MAX_ROWS:,} rows: too many for a spreadsheet. "
                                 "Download CSV instead, or narrow the search.")
        chunks = (csv_chunks if file_format == "csv" else xlsx_chunks)(
            self._export_session, grid, state)
        response = self.request.response
        response.content_type = ("text/csv" if file_format == "csv" else
                                 "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        if file_format == "csv":
            response.charset = "utf-8"
        stamp = utcnow().strftime("%Y%m%d-%H%M")
        response.content_disposition = (
            f'attachment; filename="{self.route_prefix}-{stamp}.{file_format}"')
        response.app_iter = chunks
        return response

    @contextmanager
    def _export_session(self):
        """A session for streaming after the request's transaction has ended."""
        shared = self.request.environ.get("app.dbsession")  # tests: their rolled-back one
        if shared is not None:
            yield shared
            return
        with Session(bind=self.request.registry["db_engine"]) as session:
            yield session

    def export_url(self, state, file_format):
        """The export of exactly what the list shows (all pages)."""
        query = self.list_query(state, page=1, per_page=DEFAULT_PAGE_SIZE)
        return self.route("export", format=file_format, **query)

    def list_url(self, state, **changes):
        """The list page's URL for `state` with `changes`."""
        return self.route(**self.list_query(state, **changes))

    def list_query(self, state, **changes):
        """Query parameters for `state` with `changes`, only non-default ones kept.

        A keyset cursor (`after` / `before`) is only kept when passed: every
        other link (sort, search, page size) starts from a page number.
        """
        cursor = {k: changes.pop(k) for k in ("after", "before") if k in changes}
        state = state.with_changes(**changes)
        query = {"q": state.q, **state.filters, "sort": state.sort, "dir": state.direction,
                 "page": state.page if state.page != 1 else "",
                 "per_page": state.per_page if state.per_page != DEFAULT_PAGE_SIZE else "",
                 **cursor}
        return {k: v for k, v in query.items() if v not in ("", None)}

    def view_page(self):
        instance = self.get_instance()
        return self.page_context(instance=instance, fields=self.view_fields(instance),
                                 sections=self.view_sections(instance))

    def create_page(self):
        return self._form_page(None)

    def edit_page(self):
        return self._form_page(self.get_instance())

    def _form_page(self, instance):
        form = make_form(self.schema(), self.request, instance=instance, formid="master-form")
        if self.request.method == "POST":
            try:
                appstruct = form.validate(list(self.request.POST.items()))
            except deform.ValidationFailure as failure:
                self.request.response.status = 400
                return self.page_context(instance=instance, form=failure.render(), conflict=None)
            conflict = self.version_conflict(instance, appstruct.get("version"))
            if conflict:
                self.request.response.status = 409
                return self.page_context(instance=instance, form=form.render(appstruct),
                                         conflict=conflict, fields=self.view_fields(instance))
            if instance is None:
                instance = self.model()
                self.db.add(instance)
            with self.db.no_autoflush:  # one flush: one recorded change per save
                self.objectify(appstruct, instance)
            self.db.flush()
            verb = "Saved" if "edit" in self.request.matched_route.name else "Created"
            self.flash(f"{verb} {self.title.lower()} “{instance}”.")
            return HTTPSeeOther(self.route("view", instance))
        appstruct = self.to_appstruct(instance) if instance is not None else {}
        return self.page_context(instance=instance, form=form.render(appstruct), conflict=None)

    def version_conflict(self, instance, submitted_version):
        """A message when `instance` was saved by someone else since the page was opened."""
        current = getattr(instance, "version", None)
        if instance is None or current is None or submitted_version == current:
            return None
        if submitted_version is None:
            return "This form did not say which version it was based on; nothing was saved."
        return (f"Someone else saved this {self.title.lower()} after you opened the page "
                f"(you had version {submitted_version}; it is now version {current}). "
                "Nothing of yours was saved.")

    def delete_page(self):
        instance = self.get_instance()
        if self.request.method == "POST":
            submitted = self.request.POST.get("version")
            conflict = self.version_conflict(
                instance, int(submitted) if submitted and submitted.isdigit() else None)
            if conflict:
                self.request.response.status = 409
                return self.page_context(instance=instance, conflict=conflict,
                                         summary=self.delete_summary(instance))
            name = str(instance)
            self.db.delete(instance)
            self.db.flush()
            message = f"Deleted {self.title.lower()} “{name}”."
            if "history" in self.available_actions():
                message += " Its history stays readable under Recent changes."
            self.flash(message)
            return HTTPSeeOther(self.route())
        return self.page_context(instance=instance, summary=self.delete_summary(instance),
                                 conflict=None)
