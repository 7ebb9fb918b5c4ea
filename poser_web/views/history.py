"""History pages of a master view whose model is Audited (models/mixins.py).

`/widgets/{uuid}/history` works for deleted widgets too (their changes stay);
`/widgets/changes` lists the latest changes of every widget, deleted ones included.
MasterView.include adds them for any Audited model: nothing to wire by hand.
"""
import json

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from sqlalchemy import func, inspect, select

from ..auth.permissions import register as register_permission
from ..display.labels import label_of
from ..forms.derive import field_titles
from ..models import Change

PAGE_SIZE = 50


class HistoryPages:
    """Part of every MasterView; its pages exist when the model is Audited."""

    @property
    def history_entity(self):
        """The Change.entity of this table, e.g. "widget"."""
        return self.model.audit_entity()

    @classmethod
    def include_history(cls, config):
        prefix, url = cls.route_prefix, cls.url_prefix
        permission = f"{prefix}.history"
        register_permission(config, permission, f"See the history of {cls.title_plural.lower()}")
        pages = (("changes", f"{url}/changes", "recent_changes_page", "master/changes.pt"),
                 ("history", url + "/{uuid}/history", "history_page", "master/history.pt"),
                 ("change", url + "/{uuid}/history/{change}", "change_page", "master/change.pt"))
        for name, pattern, attr, template in pages:
            config.add_route(f"{prefix}.{name}", pattern)
            config.add_view(cls, attr=attr, route_name=f"{prefix}.{name}", request_method="GET",
                            renderer=f"poser_web:templates/{template}", permission=permission)

    def _changes(self, *conditions):
        page = self.request.GET.get("page", "1")
        if not (page.isascii() and page.isdigit()) or not 1 <= int(page) <= 100_000:
            raise HTTPBadRequest("page must be a whole number from 1.")
        page = int(page)
        query = select(Change).where(Change.entity.in_(self.history_entities), *conditions)
        changes = list(self.db.scalars(query.order_by(Change.changed_at.desc(), Change.uuid.desc())
                                       .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)))
        return changes[:PAGE_SIZE], page, len(changes) > PAGE_SIZE

    @property
    def history_entities(self):
        """This table's records, and the command-line exports of it."""
        return (self.history_entity, f"{self.history_entity}-export")

    def recent_changes_page(self):
        changes, page, more = self._changes()
        return self.page_context(changes=changes, page=page, more=more)

    def history_page(self):
        uuid = self.request.matchdict["uuid"]
        changes, page, more = self._changes(Change.entity_uuid == uuid)
        if not changes and page == 1:
            raise HTTPNotFound(f"There is no history for {uuid!r}.")
        instance = self.db.get(self.model, uuid)
        label = label_of(instance) if instance is not None else changes[0].entity_label
        return self.page_context(changes=changes, page=page, more=more, instance=instance,
                                 label=label, uuid=uuid)

    def change_page(self):
        uuid = self.request.matchdict["uuid"]
        change = self.db.get(Change, self.request.matchdict["change"])
        if change is None or change.entity_uuid != uuid or change.entity not in self.history_entities:
            raise HTTPNotFound("There is no such change.")
        # An export's record holds counts, not differences: its summary says it all.
        diff = json.loads(change.diff) if change.action != "export" else {}
        total = self.db.scalar(select(func.count()).select_from(Change)
                               .where(Change.entity_uuid == uuid))
        titles = self.history_field_titles
        if diff.get("fields"):  # in the declaration's order (stored sorted by name)
            order = {name: i for i, name in enumerate(titles)}
            diff["fields"] = dict(sorted(diff["fields"].items(),
                                         key=lambda item: order.get(item[0], len(order))))
        return self.page_context(change=change, diff=diff, uuid=uuid, total=total,
                                 instance=self.db.get(self.model, uuid), field_titles=titles,
                                 child_sections=self.child_sections(diff),
                                 shown=self.shown_value)

    def shown_value(self, value, field=None):
        """A recorded value as the change page shows it: a related row by its label."""
        target = self._references().get(field)
        if target is not None and isinstance(value, str):
            row = self.db.get(target, value)
            if row is not None:
                return label_of(row)
        return shown(value)

    def _references(self):
        """{key column: related model} of the model's many-to-one relationships."""
        mapper = inspect(self.model)
        references = {}
        for relationship in mapper.relationships:
            if relationship.direction.name == "MANYTOONE" and len(relationship.local_columns) == 1:
                [column] = relationship.local_columns
                references[mapper.get_property_by_column(column).key] = relationship.mapper.class_
        return references

    @property
    def history_field_titles(self):
        """{field: title} of the model's columns (from the declaration)."""
        return field_titles(self.model)

    def child_sections(self, diff):
        """Tables of child rows added / removed / changed, from a change's diff."""
        mapper = inspect(self.model)
        sections = []
        for name in getattr(self.model, "__audit_children__", ()):
            rows = diff.get(name)
            if not rows or name not in mapper.relationships:
                continue
            child = mapper.relationships[name].mapper.class_
            titles = field_titles(child)
            title = name.replace("_", " ").capitalize()
            for kind in ("added", "removed"):
                if rows.get(kind):
                    columns = [(k, titles.get(k, k)) for k in rows[kind][0] if k != "uuid"]
                    sections.append({"id": f"{name}-{kind}", "title": f"{title} {kind}",
                                     "kind": kind, "columns": columns, "rows": rows[kind]})
            if rows.get("changed"):
                first = next(k for k in rows["changed"][0] if k not in ("uuid", "fields"))
                sections.append({"id": f"{name}-changed", "title": f"{title} changed",
                                 "kind": "changed", "first": (first, titles.get(first, first)),
                                 "titles": titles, "rows": rows["changed"]})
        return sections


def shown(value):
    """A recorded value as the change page shows it."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return "" if value is None else value
