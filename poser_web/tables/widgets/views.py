"""Widget and component pages: widgets with their components edited inline; components
read-only (they are edited through their widget)."""
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ...batch.actions import Delete, SetValue
from ...grid import Column, Contains, RelatedContains, YesNoFilter
from ...views.master import MasterView
from .models import Component, Widget
from .schema import widget_schema


class WidgetView(MasterView):
    model = Widget
    route_prefix = "widgets"
    url_prefix = "/widgets"
    title = "Widget"
    title_plural = "Widgets"

    columns = (
        Column("description", "Description", sort=Widget.description, link="view"),
        Column("active", "Active", sort=Widget.active),
        # Selected with the rows, not read off the instance: the stored count is
        # kept by database triggers, which a loaded Widget would not see.
        Column("components", "Components", sort=Widget.component_count,
               value=Widget.component_count, numeric=True),
    )
    search = (Contains(Widget.description), RelatedContains(Widget.components, Component.item_code))
    search_placeholder = "Description or component item code"
    filters = (YesNoFilter("active", "Active", Widget.active),)
    default_sort = "description"

    schema = staticmethod(widget_schema)
    inlines = {"components": Component}
    bulk_actions = (SetValue("active", True, "Set active", key="activate"),
                    SetValue("active", False, "Set inactive", key="deactivate"), Delete())

    def view_sections(self, widget):
        return [{
            "title": "Components",
            "columns": [("item_code", "Item Code"), ("description", "Description"), ("active", "Active")],
            "rows": widget.components,
            "empty": "This widget has no components.",
        }]

    def delete_summary(self, widget):
        count = len(widget.components)
        if count == 0:
            return ""
        return f"and its {count} component{'s' if count != 1 else ''}"


def widget_url(request, component):
    return request.route_url("widgets.view", uuid=component.widget_uuid)


class ComponentView(MasterView):
    model = Component
    route_prefix = "components"
    url_prefix = "/components"
    title = "Component"
    title_plural = "Components"

    columns = (
        Column("item_code", "Item Code", sort=Component.item_code, link="view"),
        Column("description", "Description", sort=Component.description),
        Column("widget.description", "Widget", sort=Widget.description, link=widget_url),
        Column("active", "Active", sort=Component.active),
    )
    search = (Contains(Component.item_code), Contains(Component.description))
    search_placeholder = "Item code or description"
    filters = (YesNoFilter("active", "Active", Component.active),)
    default_sort = "item_code"

    def get_query(self):
        return select(Component).join(Component.widget).options(contains_eager(Component.widget))

    def view_fields(self, component):
        return super().view_fields(component) + [
            ("Widget", component.widget.description, widget_url(self.request, component)),
        ]


def includeme(config):
    WidgetView.include(config)
    ComponentView.include(config)
