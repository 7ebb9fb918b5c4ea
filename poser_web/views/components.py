"""Components list: read-only (components are edited through their widget)."""
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..grids import Column, Contains, YesNoFilter
from ..models import Component, Widget
from .master import MasterView


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
    ComponentView.include(config)
