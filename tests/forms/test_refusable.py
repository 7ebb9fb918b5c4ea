"""Which saves the database could refuse (an IntegrityError): those are written in a SAVEPOINT
(a refusal is a message, nothing saved); the rest are not (views/master_forms.FormPages.save)."""
from pyramid import testing

from poser_web.models.violations import refusable_keys
from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from tests.helpers import add_widget
from tests.sample.models import Specimen, SpecimenPart


def test_refusable_columns_are_those_a_constraint_covers():
    assert refusable_keys(Widget) == frozenset()
    assert refusable_keys(Component) == {"widget_uuid"}
    assert refusable_keys(SpecimenPart) == {"specimen_uuid"}
    # unique, unique (lot, serial), ranges, a CHECK written by hand, foreign keys
    assert refusable_keys(Specimen) == {"reference", "lot", "serial", "rating", "price",
                                        "widget_uuid", "spare_part_uuid"}


def rows(widget, **changed):
    return [{"uuid": c.uuid, "item_code": c.item_code, "description": c.description,
             "active": c.active, **changed} for c in widget.components]


def test_a_widget_save_is_refusable_only_when_it_adds_or_removes_rows(dbsession):
    widget = add_widget(dbsession, "W", components=[("A", "a"), ("B", "b")])
    view = WidgetView(testing.DummyRequest(dbsession=dbsession))
    same = {"description": "Renamed", "active": False}
    assert view.refusable({**same, "components": rows(widget)}, None)  # a new record
    assert not view.refusable({**same, "components": rows(widget)}, widget)
    assert not view.refusable({**same, "components": rows(widget, description="x")}, widget)
    assert view.refusable({**same, "components": rows(widget)[:1]}, widget)  # one removed
    added = rows(widget) + [{"uuid": None, "item_code": "C", "description": "c", "active": True}]
    assert view.refusable({**same, "components": added}, widget)
    assert view.refusable({**same, "components": rows(widget)[::-1]}, widget)  # reordered
    assert view.refusable({"description": None, "components": rows(widget)}, widget)  # NOT NULL
