"""The Specimen master view: declared, nothing wired by hand.

Included into the test app by the `poser.includes` setting (tests/conftest.py).
"""
from poser_web.grids import Column
from poser_web.views.master import MasterView

from .models import Specimen


class SpecimenView(MasterView):
    model = Specimen
    route_prefix, url_prefix = "specimens", "/specimens"
    title, title_plural = "Specimen", "Specimens"
    columns = (Column("name", "Name", sort=Specimen.name, link="view"),)
    form_fields = ("name", "notes", "quantity", "weight", "active", "received", "checked_at",
                   "color", "size", "widget")
    inlines = {"parts": ("code", "count")}


def includeme(config):
    SpecimenView.include(config)
