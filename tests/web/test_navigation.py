"""The navbar from registered views: groups, permissions, the current section; declaration checks."""
import pytest
from pyramid import testing
from pyramid.exceptions import ConfigurationError

from poser_web.views.master import MasterView
from poser_web.web.navigation import add_menu_entry, menu
from tests.sample.models import Specimen


class FakeRequest(testing.DummyRequest):
    def __init__(self, registry, allowed, route_name):
        super().__init__()
        self.registry = registry
        self.allowed = allowed
        self.matched_route = type("Route", (), {"name": route_name})()

    def has_permission(self, permission, context=None):
        return permission in self.allowed


def test_entries_group_under_their_menu_and_hide_without_permission():
    config = testing.setUp()
    try:
        add_menu_entry(config, "Widgets", "Widgets", "widgets", "widgets.list")
        add_menu_entry(config, "Widgets", "Components", "components", "components.list")
        add_menu_entry(config, "Gizmos", "Gizmos", "gizmos", "gizmos.list")
        request = FakeRequest(config.registry, {"widgets.list", "components.list"},
                              "components.view")
        [(group, entries, current)] = menu(request)
        assert (group, [e.title for e in entries], current) == ("Widgets", ["Widgets", "Components"],
                                                                True)
        request.allowed = {"gizmos.list"}
        assert [(g, [e.title for e in es], c) for g, es, c in menu(request)] == [
            ("Gizmos", ["Gizmos"], False)]
    finally:
        testing.tearDown()


def test_a_misspelt_form_field_fails_at_start_up():
    class Broken(MasterView):
        model = Specimen
        route_prefix, url_prefix, title, title_plural = "broken", "/broken", "Broken", "Broken"
        form_fields = ("name", "wieght")
        inlines = {"parts": ("code", "cuont")}

    config = testing.setUp()
    try:
        with pytest.raises(ConfigurationError, match=r"'wieght'(.|\n)*parts.'cuont'"):
            Broken.include(config)
    finally:
        testing.tearDown()


def test_a_group_of_entries_is_a_dropdown(app, testapp):
    from poser_web.web.navigation import REGISTRY_KEY, MenuEntry

    entries = app.registry[REGISTRY_KEY]
    extra = MenuEntry("Samples", "More specimens", "specimens", "specimens.list", None)
    entries.append(extra)
    try:
        page = testapp.get("/specimens")
    finally:
        entries.remove(extra)
    [toggle] = [t for t in page.html.select("#poser-navbar .dropdown-toggle")
                if t.get_text(strip=True) == "Samples"]
    assert toggle["aria-expanded"] == "false"
    items = toggle.find_parent("li").select(".dropdown-menu a")
    assert [(a.get_text(strip=True), a.get("aria-current")) for a in items] == [
        ("More specimens", "page")]


def test_names_default_from_the_table_and_the_class():
    from sqlalchemy import Column, String
    from sqlalchemy.orm import DeclarativeBase

    from poser_web.display.labels import plural

    class Base(DeclarativeBase):
        pass

    class BoxEntry(Base):
        __tablename__ = "poser_box_entry"
        uuid = Column(String(32), primary_key=True)
        name = Column(String(10))

    class BoxEntryView(MasterView):
        model = BoxEntry
        form_fields = ("name",)

    config = testing.setUp()
    try:
        BoxEntryView.include(config)
        assert (BoxEntryView.route_prefix, BoxEntryView.url_prefix) == ("box_entries", "/box-entries")
        assert (BoxEntryView.title, BoxEntryView.title_plural) == ("Box Entry", "Box Entries")
        assert config.get_routes_mapper().get_route("box_entries.edit").pattern == \
            "/box-entries/{uuid}/edit"
    finally:
        testing.tearDown()
    assert [plural(w) for w in ("gizmo", "day", "box", "Widget")] == ["gizmos", "days", "boxes", "Widgets"]
