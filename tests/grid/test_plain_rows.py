"""A list page whose cells are all columns of the listed row reads plain records, not ORM
entities (grid/plain.py): the same cells, keys and cursors; a related cell keeps entities."""
from sqlalchemy import inspect, select

from poser_web.grid import Column, Grid
from poser_web.tables.widgets.models import Component, Widget
from tests.factories import widget


def _widget_grid():
    return Grid(select(Widget), inspect(Widget).primary_key[0], [
        Column("description", sort=Widget.description, link="view"),
        Column("active", sort=Widget.active),
        Column("components", value=Widget.component_count, sort=Widget.component_count)])


def test_plain_page_shows_what_the_entities_show(dbsession):
    for n, description in enumerate(["Cog", "Anvil", "Bolt", "Drum"]):
        widget(dbsession, description, active=n % 2 == 0, components=[(f"c{i}", "x") for i in range(n)])
    grid = _widget_grid()
    state = grid.parse({"sort": "description", "per_page": "20"})

    plain, entities = grid.page(dbsession, state, plain=True), grid.page(dbsession, state)

    assert [values for _, values in plain.rows] == [values for _, values in entities.rows] == [
        ["Anvil", False, 1], ["Bolt", True, 2], ["Cog", True, 0], ["Drum", False, 3]]
    assert [row.uuid for row, _ in plain.rows] == [row.uuid for row, _ in entities.rows]
    assert (plain.prev_cursor, plain.next_cursor) == (entities.prev_cursor, entities.next_cursor)
    assert not any(isinstance(row, Widget) for row, _ in plain.rows)  # no entity loaded
    # Next from the plain page's cursor continues where the entity page would.
    after = grid.parse({"sort": "description", "per_page": "20", "after": plain.prev_cursor})
    assert [v[0] for _, v in grid.page(dbsession, after, plain=True).rows] == ["Bolt", "Cog", "Drum"]


def test_a_related_cell_keeps_the_entities(dbsession):
    widget(dbsession, "Anvil", components=[("A1", "first")])
    grid = Grid(select(Component), inspect(Component).primary_key[0], [
        Column("item_code", sort=Component.item_code),
        Column("widget.description", sort=Component.item_code)])
    page = grid.page(dbsession, grid.parse({}), plain=True)
    assert grid.plain is None
    assert [(type(row), values) for row, values in page.rows] == [(Component, ["A1", "Anvil"])]


def test_a_column_named_like_a_row_method_still_reads_as_its_value(dbsession):
    """A parts table's `count` column, a computed value named `tuple`: each reads as its value
    on the row, not as the result row's method."""
    from tests.factories import specimen
    from tests.sample.models import SpecimenPart

    specimen(dbsession, "S", parts=[("P1", 7), ("P2", None)])
    grid = Grid(select(SpecimenPart), inspect(SpecimenPart).primary_key[0], [
        Column("code", sort=SpecimenPart.code, link="view"), Column("count", sort=SpecimenPart.count),
        Column("tuple", value=SpecimenPart.count * 2, sort=SpecimenPart.count)])
    page = grid.page(dbsession, grid.parse({}), plain=True)
    assert grid.plain is not None
    assert [(row.code, row.count, row.tuple) for row, _ in page.rows] == [("P1", 7, 14),
                                                                          ("P2", None, None)]
