"""The documented models and upstream's usage snippet."""
import pytest
from sqlalchemy import func, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from poser_web.pshell import model_namespace

model = model_namespace()


def count(session, cls):
    return session.scalar(select(func.count()).select_from(cls))


def test_upstream_snippet_counts_one_and_one(dbsession):
    session = dbsession
    widget = model.Widget(description="First Widget")
    session.add(widget)
    widget.components.append(model.Component(item_code="42", description="Basic Component"))
    session.commit()
    assert session.query(model.Widget).count() == 1
    assert session.query(model.Component).count() == 1
    assert len(widget.uuid) == 32 and widget.active is True
    assert widget.components[0].widget_uuid == widget.uuid
    assert str(widget) == "First Widget"
    assert str(widget.components[0]) == "Basic Component"


def test_deleting_widget_deletes_its_components(dbsession):
    widget = model.Widget(description="Doomed")
    widget.components = [model.Component(item_code=str(i), description=f"c{i}") for i in range(3)]
    dbsession.add(widget)
    dbsession.commit()
    dbsession.delete(widget)
    dbsession.commit()
    assert count(dbsession, model.Widget) == 0
    assert count(dbsession, model.Component) == 0


def test_removing_component_from_list_deletes_the_row(dbsession):
    widget = model.Widget(description="Keeper")
    widget.components = [model.Component(item_code="A", description="a"),
                         model.Component(item_code="B", description="b")]
    dbsession.add(widget)
    dbsession.commit()
    removed = widget.components.pop(0)
    dbsession.commit()
    assert count(dbsession, model.Component) == 1
    assert dbsession.get(model.Component, removed.uuid) is None
    assert [c.item_code for c in widget.components] == ["B"]


def test_components_are_ordered_by_item_code(dbsession):
    widget = model.Widget(description="Ordered")
    widget.components = [model.Component(item_code=code, description=code) for code in "CAB"]
    dbsession.add(widget)
    dbsession.commit()
    dbsession.expire_all()
    assert [c.item_code for c in widget.components] == ["A", "B", "C"]


def test_foreign_key_is_named_and_enforced(dbsession):
    fks = inspect(dbsession.connection()).get_foreign_keys("poser_component")
    assert [fk["name"] for fk in fks] == ["poser_component_fk_widget"]
    # Enforced by the database itself (SQLite only with PRAGMA foreign_keys=ON): a component
    # naming no widget is refused, written past the ORM.
    savepoint = dbsession.begin_nested()
    with pytest.raises(IntegrityError):
        dbsession.execute(insert(model.Component).values(
            uuid="f" * 32, widget_uuid="0" * 32, item_code="X", description="orphan"))
    savepoint.rollback()
    assert count(dbsession, model.Component) == 0


def test_columns_are_documented():
    for cls in (model.Widget, model.Component):
        for column in inspect(cls).column_attrs:
            if column.key != "uuid":
                assert column.doc, f"{cls.__name__}.{column.key} has no doc"
