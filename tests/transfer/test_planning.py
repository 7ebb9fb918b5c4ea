"""planning: a record compared with the database, into a Plan that is written or only compared."""
from poser_web.tables.widgets.views import WidgetView
from poser_web.transfer import engine
from poser_web.transfer.layout import ChildRow, Record
from tests.factories import widget


def outcomes(connection, spec, records, plan_class):
    snapshot = engine.Snapshot.of(connection, spec, records)
    plan, tally = plan_class(), engine.Tally(spec)
    found = [engine.plan_record(plan, spec, record, snapshot, tally, engine.Who("tester"))
             for record in records]
    return found, plan


def test_a_comparison_has_the_outcomes_of_a_written_plan_and_no_history(dbsession):
    spec = WidgetView.describe()
    existing = widget(dbsession, "Old name", components=[("A-1", "axle")])
    [component] = existing.components
    records = [
        Record(1, existing.uuid, ("New name", True), {"components": [
            ChildRow(2, component.uuid, ("A-1", "axle, longer", True))]}),
        # New keys given, as populate gives them before comparing.
        Record(3, "a" * 32, ("Brand new", False), {"components": [
            ChildRow(4, "b" * 32, ("B-1", "bolt", True))]}),
    ]
    connection = dbsession.connection()
    written, plan = outcomes(connection, spec, records, engine.Plan)
    compared, comparison = outcomes(connection, spec, records, engine.Comparison)

    assert [(o.action, o.diff) for o in compared] == [(o.action, o.diff) for o in written]
    assert [o.action for o in compared] == ["update", "create"]
    assert compared[0].diff["fields"] == {"description": ["Old name", "New name"]}
    assert len(plan.changes) == 2  # what execute and `poser import` write as history
    assert comparison.changes == []
