"""History pages for a master view: a record's changes, one change, recent changes.

`/widgets/{uuid}/history` works for deleted widgets too (their changes stay);
`/widgets/changes` lists the latest changes of every widget, deleted ones included.
"""
import json

from pyramid.httpexceptions import HTTPBadRequest, HTTPNotFound
from sqlalchemy import func, select

from ..models import Change
from ..permissions import register as register_permission

PAGE_SIZE = 50


class HistoryPages:
    """Mixed into a MasterView whose model is recorded by models/audit.py."""

    history_entity = None  # the Change.entity of this table, e.g. "widget"

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
        label = str(instance) if instance is not None else changes[0].entity_label
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
        return self.page_context(change=change, diff=diff, uuid=uuid, total=total,
                                 instance=self.db.get(self.model, uuid),
                                 field_titles=self.history_field_titles)

    history_field_titles = {"description": "Description", "active": "Active",
                            "item_code": "Item Code"}
