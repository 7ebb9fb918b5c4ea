"""Widget pages: a MasterView with components edited inline."""
from ..forms.widgets import widget_schema
from ..grids import Column, Contains, RelatedContains, YesNoFilter
from ..models import Component, Widget
from .master import MasterView


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


def includeme(config):
    WidgetView.include(config)
