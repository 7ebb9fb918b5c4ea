"""The Specimen master view: declared, nothing wired by hand.

Included into the test app by the `poser.includes` setting (tests/conftest.py).
"""
from poser_web.views.master import MasterView
from tests.sample.models import Specimen


class SpecimenView(MasterView):
    model = Specimen
    route_prefix, url_prefix = "specimens", "/specimens"
    title, title_plural = "Specimen", "Specimens"
    columns = ("name", "notes", "quantity", "weight", "active", "received", "checked_at",
               "color", "size", "widget")
    search = ("name", "notes", "widget", "parts.code")
    filters = ("name", "notes", "quantity", "weight", "active", "received", "checked_at",
               "color", "size", "widget")
    form_fields = ("name", "notes", "quantity", "weight", "active", "received", "checked_at",
                   "color", "size", "widget")
    # Issue 18's rules, and a foreign key named otherwise than its table (one label everywhere).
    form_fields += ("reference", "lot", "serial", "rating", "price", "grade", "spare_part")
    columns += ("spare_part",)
    inlines = {"parts": ("code", "count")}


def includeme(config):
    SpecimenView.include(config)
