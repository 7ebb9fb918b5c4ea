"""Start-up checks: a master view naming what its model lacks stops the app at include time,
with a message naming the view and the name (as Django's system checks do)."""
import pytest
from pyramid import testing
from pyramid.exceptions import ConfigurationError

from poser_web.batch.actions import Delete, SetValue
from poser_web.views.master import MasterView
from tests.sample.models import Specimen


def broken_view(**declaration):
    attributes = {"model": Specimen, "route_prefix": "broken", "url_prefix": "/broken",
                  "title": "Broken", "title_plural": "Brokens",
                  "columns": ("name", "active"), "form_fields": ("name", "active"), **declaration}
    return type("BrokenView", (MasterView,), attributes)


@pytest.fixture
def config(app_settings):
    config = testing.setUp(settings=app_settings)
    yield config
    testing.tearDown()


@pytest.mark.parametrize("declaration, named", [
    ({"columns": ("name", "wieght")}, "columns names 'wieght'"),
    ({"search": ("name", "parts.cdoe")}, "search names 'parts.cdoe'"),
    ({"filters": ("colour",)}, "filters names 'colour'"),
    ({"form_fields": ("name", "recieved")}, "form_fields names 'recieved'"),
    ({"inlines": {"prats": ("code",)}}, "inlines names 'prats'"),
    ({"inlines": {"parts": ("code", "cuont")}}, "inlines names parts.'cuont'"),
    ({"default_sort": "nmae"}, "default_sort names 'nmae'"),
    ({"bulk_actions": (SetValue("actve", True), Delete())}, "bulk_actions sets 'actve'"),
    ({"bulk_actions": (SetValue("color", "purple"),)}, "bulk_actions sets 'color' to 'purple'"),
    ({"bulk_actions": (SetValue("active", "yes"),)}, "a yes/no field takes True or False"),
    ({"bulk_actions": (Delete(), Delete())}, "two actions are called 'delete'"),
])
def test_a_misspelt_declaration_stops_the_app_naming_the_view_and_the_name(config, declaration,
                                                                            named):
    with pytest.raises(ConfigurationError) as refused:
        broken_view(**declaration).include(config)
    message = str(refused.value)
    assert "BrokenView" in message and named in message


def test_a_correct_declaration_passes(config):
    view = broken_view(search=("name", "parts.code", "widget"), filters=("color", "widget"),
                       inlines={"parts": ("code", "count")}, default_sort="name",
                       bulk_actions=(SetValue("color", "red"), SetValue("active", False), Delete()))
    view.include(config)  # no error
