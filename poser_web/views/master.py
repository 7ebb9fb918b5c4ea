"""MasterView: list / view / create / edit / delete pages for any model.

A subclass declares the model, its grid and its schema; `MasterView.include`
adds the routes (`<prefix>`, `<prefix>.create`, `.view`, `.edit`, `.delete`)
and views. Hooks for what a table needs beyond that: `get_query`,
`view_sections`, `delete_summary`; the list page is master_list.ListPages, the
downloads master_export.ExportPages, the form pages and their hooks (`objectify`,
`to_appstruct`, `get_schema`) master_forms.FormPages, history history.HistoryPages.
"""
import re

from pyramid.httpexceptions import HTTPNotFound
from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import joinedload

from ..api.routes import add_table_routes
from ..auth.permissions import register as register_permission
from ..batch import register_table
from ..display.labels import label_of, model_title, plural
from ..display.values import display_timezone, formatter
from ..grid import DEFAULT_COUNT_LIMIT
from ..grid.columns import dotted_value
from ..models import TABLE_PREFIX, Audited, catalog
from ..web.navigation import add_menu_entry
from ..web.site_urls import query_string
from ..web.site_urls import route_url as site_route_url
from . import checks
from .history import HistoryPages
from .lazy_actions import LazyActions
from .master_export import ExportPages
from .master_forms import FormPages
from .master_list import ListPages

UUID_PATTERN = re.compile(r"^[0-9a-f]{32}$")
_KEY = "f" * 32  # a record's key in the kept URLs of its routes (see route)


def master_for(registry, model):
    """The MasterView class serving `model` in this app (its routes added), or None."""
    from pyramid.interfaces import IRoutesMapper

    found = registry.get("poser.masters_by_model")
    if found is None:
        found = registry["poser.masters_by_model"] = {}
    if model not in found:
        mapper = registry.queryUtility(IRoutesMapper)
        candidates, seen = list(MasterView.__subclasses__()), []
        while candidates:
            cls = candidates.pop()
            candidates += cls.__subclasses__()
            if cls.model is model and cls.route_prefix and mapper.get_route(f"{cls.route_prefix}.view"):
                seen.append(cls)
        found[model] = seen[0] if seen else None
    return found[model]


class MasterView(ListPages, ExportPages, FormPages, HistoryPages):
    model = None
    route_prefix = None  # "widgets": route names and permissions derive from it
    url_prefix = None  # "/widgets"
    title = None  # "Widget"
    title_plural = None  # "Widgets"

    # The list page: names of the model's columns and relationships (their types
    # decide format, sort, filter and export cell; see grid_columns), or objects.
    columns = ()  # "name" / grids.Column
    search = ()  # "name", "relationship", "relationship.column" / grids.Contains, RelatedContains
    filters = ()  # "name" / a grid_filters filter
    default_sort = None
    default_direction = "asc"
    search_placeholder = "Search"
    count_limit = DEFAULT_COUNT_LIMIT  # exact totals up to here, "more than" above

    # Forms: `form_fields` names the columns (and many-to-one relationships) the
    # form edits, each field derived from its column's type (forms/derive.py);
    # `schema`, a callable returning a colander schema, overrides it. With
    # neither, the table is read-only.
    form_fields = None
    schema = None
    # Child rows edited inline: relationship name -> the child's fields (derived),
    # or -> the child model when `schema` builds the rows itself.
    inlines = {}
    # Navbar group this table's entry goes under (None: an entry of its own).
    menu = None
    # The rest of the checklist, for a table with a form: import/export in its file layout
    # (`poser export` / `poser import`, "Download for import", "Import file" batches) and bulk
    # changes of ticked rows. `bulk_actions`: batch.actions objects; None, the defaults
    # (delete, set each Boolean to yes/no, each choice column to a value); () none.
    importable = True
    bulk_actions = None

    def __init__(self, request):
        self.request = request
        self.db = request.dbsession

    # -- configuration -----------------------------------------------------

    @classmethod
    def include(cls, config):
        """Add this master's routes and views to the Configurator."""
        cls.apply_defaults()
        checks.check(cls)  # a misspelt name stops the app here, not on the first request
        prefix, url = cls.route_prefix, cls.url_prefix
        config.add_route(prefix, url)
        cls._add(config, "list_page", prefix, "list", "master/list.pt", "GET")
        add_menu_entry(config, cls.menu or cls.title_plural, cls.title_plural, prefix,
                       cls.permission_name("list"), cls.model)
        if cls.editable():
            config.add_route(f"{prefix}.create", f"{url}/new")
            cls._add(config, "create_page", f"{prefix}.create", "create", "master/form.pt")
        # Matches of the search-as-you-type pickers (foreign keys of large tables), for the
        # form's fields and the list's record filters.
        config.add_route(f"{prefix}.lookup", url + "/lookup/{field}")
        config.add_view(cls, attr="lookup", route_name=f"{prefix}.lookup",
                        request_method="GET", renderer="json")
        config.add_route(f"{prefix}.export", url + "/export.{format:csv|xlsx}")
        cls._add(config, "export_file", f"{prefix}.export", "export", None, "GET")
        if cls.importable:
            cls.register_table(config)
            add_table_routes(config, cls)
        if cls.has_checklist():
            config.add_route(f"{prefix}.export_import", url + "/export-for-import.csv")
            cls._add(config, "export_for_import", f"{prefix}.export_import", "export", None, "GET")
        if cls.has_history():
            cls.include_history(config)  # its /changes page must match before /{uuid}
        config.add_route(f"{prefix}.view", url + "/{uuid}")
        cls._add(config, "view_page", f"{prefix}.view", "view", "master/view.pt", "GET")
        if cls.editable():
            config.add_route(f"{prefix}.edit", url + "/{uuid}/edit")
            cls._add(config, "edit_page", f"{prefix}.edit", "edit", "master/form.pt")
            config.add_route(f"{prefix}.delete", url + "/{uuid}/delete")
            cls._add(config, "delete_page", f"{prefix}.delete", "delete", "master/delete.pt")

    @classmethod
    def permission_name(cls, action):
        """The permission a page needs: `<route_prefix>.<action>`, e.g. widgets.edit."""
        return f"{cls.route_prefix}.{action}"

    @classmethod
    def _add(cls, config, attr, route_name, action, template, request_method=("GET", "POST")):
        permission = cls.permission_name(action)
        register_permission(config, permission, f"{action.capitalize()} {cls.title_plural.lower()}")
        config.add_view(
            cls, attr=attr, route_name=route_name, request_method=request_method,
            renderer=f"poser_web:templates/{template}" if template else None,
            permission=permission,
        )

    @classmethod
    def apply_defaults(cls):
        """Names left undeclared: from the table (poser_gizmo -> gizmos, /gizmos) and the class."""
        table = cls.model.__tablename__
        name = table[len(TABLE_PREFIX):] if table.startswith(TABLE_PREFIX) else table
        if cls.route_prefix is None:
            cls.route_prefix = plural(name)
        if cls.url_prefix is None:
            cls.url_prefix = "/" + cls.route_prefix.replace("_", "-")
        if cls.title is None:
            cls.title = model_title(cls.model)
        if cls.title_plural is None:
            cls.title_plural = plural(cls.title)

    @classmethod
    def has_checklist(cls):
        """Whether the table gets import/export, import batches and bulk changes."""
        return cls.importable and cls.editable()

    @classmethod
    def describe(cls):
        """The table as this view declares it: a TableSpec (models/catalog.py)."""
        cls.apply_defaults()
        # Exported in the list's default order: its default sort, else its first column.
        named = [c if isinstance(c, str) else c.key for c in cls.columns]
        return catalog.describe(cls.model, cls.route_prefix, cls.title, cls.title_plural,
                                children=tuple(cls.inlines),
                                sort=cls.default_sort or next(iter(named), None),
                                bulk_actions=cls.bulk_actions, view=cls, editable=cls.editable())

    @classmethod
    def register_table(cls, config):
        """The table's TableSpec and, for a table with a form, its batch types, for the app."""
        spec = cls.describe()
        if spec.editable:
            register_table(config.registry, spec)
            checks.check(cls, spec)
        catalog.register(config.registry, spec)

    @classmethod
    def editable(cls):
        return cls.schema is not None or cls.form_fields is not None

    @classmethod
    def has_history(cls):
        """History pages come with an Audited model."""
        return isinstance(cls.model, type) and issubclass(cls.model, Audited)

    # -- hooks ---------------------------------------------------------------

    def label(self, instance):
        """What `instance` is called on pages and in messages."""
        return label_of(instance)

    def get_query(self):
        """The select() the list page starts from: made once per class (see make_grid), so
        it may not depend on the request."""
        return select(self.model)

    def view_fields(self, instance):
        """(label, text, url or None) for the view page, each value formatted by its type."""
        zone = display_timezone(self.request)
        fields = []
        for column in self.declared_grid(zone)[0]:
            if column.value is not None or "." in column.key:
                continue
            value = dotted_value(instance, column.key)
            if column.related is not None:
                fields.append((column.label, label_of(value), self.record_url(value)))
            else:
                text = formatter(column.type, zone, column.choices, cell=False)(value)[0]
                fields.append((column.label, text, None))
        return fields

    def record_url(self, record):
        """The view page of `record` (any model with a registered master view the
        user may see), or None."""
        if record is None:
            return None
        base = self._record_base(type(record))
        if base is None:
            return None
        return f"{base}/{getattr(record, inspect(type(record)).primary_key[0].key)}"

    def _record_base(self, model):
        bases = self.__dict__.setdefault("_record_bases", {})
        if model not in bases:
            bases[model] = None
            master = master_for(self.request.registry, model)
            if master is not None and self.request.has_permission(f"{master.route_prefix}.view"):
                bases[model] = self.request.route_url(master.route_prefix)
        return bases[model]

    def view_sections(self, instance):
        """Extra tables on the view page: dicts of title, columns, rows."""
        return []

    def delete_summary(self, instance):
        """What else goes when `instance` is deleted, e.g. "and its 3 components"."""
        return ""

    # -- helpers -------------------------------------------------------------

    def get_instance(self, rows=()):
        """The instance the URL names; locked for the rest of a POST (no lost updates).

        `rows`: its one-to-many relationships to load in the same statement (a form's inline
        rows), not in a lazy load of their own when first read.
        """
        uuid = self.request.matchdict["uuid"]
        instance = None
        if UUID_PATTERN.match(uuid):
            query = self._instance_query(tuple(rows), lock=self.request.method == "POST")
            instance = self.db.execute(query, {"key": uuid}).unique().scalar_one_or_none()
        if instance is None:
            raise HTTPNotFound(f"No {self.title.lower()} has the key {uuid!r}; it may have been deleted.")
        return instance

    @classmethod
    def _instance_query(cls, rows, lock):
        """The select of one record by its key, made once per class: Session.get built its
        statement (and that statement's cache key) anew for every page."""
        queries = cls.__dict__.get("_instance_queries")
        if queries is None:
            queries = cls._instance_queries = {}
        query = queries.get((rows, lock))
        if query is None:
            key = inspect(cls.model).primary_key[0]
            query = select(cls.model).where(key == bindparam("key")).options(
                *(joinedload(getattr(cls.model, name)) for name in rows))
            if lock:  # FOR UPDATE OF the record alone: PostgreSQL locks no outer-joined side;
                # the locked row's values replace any already loaded, as Session.get's lock does
                query = query.with_for_update(of=cls.model).execution_options(populate_existing=True)
            queries[(rows, lock)] = query
        return query

    def row_url(self, row, action=None):
        """URL of a row's page (`action` None) or of its edit/delete page.

        Built from the list's URL: a list page links each row three or four
        times, and route generation per link was a third of its render time.
        """
        if "_row_base" not in self.__dict__:
            self._row_base = site_route_url(self.request, self.route_prefix)
        url = f"{self._row_base}/{row.uuid}"
        return f"{url}/{action}" if action else url

    def route(self, action=None, instance=None, format=None, **query):
        name = self.route_prefix if action is None else f"{self.route_prefix}.{action}"
        if (instance is not None and not query and format is None
                and UUID_PATTERN.match(instance.uuid or "")):
            # The route's URL for a placeholder key, kept per site, with the key put in: form
            # pages link their record two or three times and a save redirects to it, each a
            # route generation (a key of 32 hex digits is the same quoted or not).
            head, _, tail = site_route_url(self.request, name, uuid=_KEY).rpartition(_KEY)
            return head + instance.uuid + tail
        if instance is not None:
            parts = {"uuid": instance.uuid, **({"format": format} if format is not None else {})}
            return self.request.route_url(name, _query=query, **parts)
        # A list page links to its own routes a dozen times (sort, pages, forms, exports):
        # their URLs are kept per site, the query added as Pyramid's route_url adds it.
        base = site_route_url(self.request, name, **({"format": format} if format is not None else {}))
        return base + ("?" + query_string(query) if query else "")

    def page_context(self, **values):
        values.setdefault("master", self)
        values.setdefault("label_of", label_of)  # a record's name, with the fallback label
        if "actions" not in values:  # asked once, and only if the template reads them
            values["actions"] = LazyActions(self)
        return values

    def available_actions(self):
        """The actions this user may take here: templates show only their buttons."""
        actions = ["list", "view", "export"]
        if self.editable():
            actions += ["create", "edit", "delete"]
        if self.has_history():
            actions.append("history")
        return [a for a in actions if self.request.has_permission(f"{self.route_prefix}.{a}")]

    def table_spec(self):
        """This table's TableSpec when it has the checklist (a form: imports, batches), else
        None."""
        spec = catalog.tables(self.request.registry).get(self.route_prefix)
        return spec if spec is not None and spec.editable else None

    def flash(self, message):
        self.request.session.flash(message, "success")

    # -- pages ---------------------------------------------------------------

    def view_page(self):
        instance = self.get_instance()
        return self.page_context(instance=instance, fields=self.view_fields(instance),
                                 sections=self.view_sections(instance))


