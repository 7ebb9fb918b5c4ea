"""Widget pages."""
from pyramid.view import view_config
from sqlalchemy import select

from ..models import Widget


@view_config(route_name="widgets", renderer="poser_web:templates/widgets.pt")
def widget_list(request):
    widgets = request.dbsession.scalars(select(Widget).order_by(Widget.description, Widget.uuid).limit(200))
    return {"widgets": list(widgets)}
