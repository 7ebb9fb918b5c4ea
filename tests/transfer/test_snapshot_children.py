"""The snapshot reads the child rows of a chunk's records (one index probe a parent key on
PostgreSQL) in the child's order, and bulk writes leave the connection's JIT setting as found."""
import pytest
from sqlalchemy import text

from poser_web.tables.widgets.models import Component, Widget
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer.snapshot import Snapshot
from poser_web.transfer.writer import bulk_writes

WIDGETS = WidgetView.describe()


def test_child_rows_come_under_their_record_in_the_childs_order(dbsession):
    w1, w2, w3 = ("a1" * 16), ("b2" * 16), ("c3" * 16)
    dbsession.add_all([Widget(uuid=w1, description="One"), Widget(uuid=w2, description="Two"),
                       Widget(uuid=w3, description="Three, no components")])
    dbsession.flush()
    dbsession.add_all([  # item codes out of key order, a tie broken by the key
        Component(uuid="03" * 16, widget_uuid=w1, item_code="B", description="b"),
        Component(uuid="01" * 16, widget_uuid=w1, item_code="C", description="c"),
        Component(uuid="04" * 16, widget_uuid=w1, item_code="A", description="a2"),
        Component(uuid="02" * 16, widget_uuid=w1, item_code="A", description="a1"),
        Component(uuid="05" * 16, widget_uuid=w2, item_code="Z", description="z"),
        Component(uuid="06" * 16, widget_uuid=w2, item_code="Y", description="y"),
    ])
    dbsession.flush()
    snapshot = Snapshot(dbsession.connection(), WIDGETS, [w1, w2, w3, "ff" * 16])
    [child] = WIDGETS.children
    assert snapshot.by_parent[child.name] == {
        w1: ["02" * 16, "04" * 16, "03" * 16, "01" * 16], w2: ["06" * 16, "05" * 16]}
    assert snapshot.children[child.name]["05" * 16] == (w2, ("Z", "z", True))


def test_bulk_writes_turn_jit_off_and_leave_it_as_found(dbsession):
    connection = dbsession.connection()
    if connection.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's JIT")
    connection.execute(text("SET LOCAL jit = on"))
    with bulk_writes(connection):
        assert connection.execute(text("SHOW jit")).scalar() == "off"
    assert connection.execute(text("SHOW jit")).scalar() == "on"
