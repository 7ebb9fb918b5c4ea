"""The landing page."""
from pyramid.view import view_config
from sqlalchemy import func, select

from ..models import Component, Widget


@view_config(route_name="home", renderer="poser_web:templates/home.pt")
def home(request):
    db = request.dbsession
    return {
        "widget_count": db.scalar(select(func.count()).select_from(Widget)),
        "component_count": db.scalar(select(func.count()).select_from(Component)),
    }
