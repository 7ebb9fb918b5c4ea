"""A record's version moves with every real change to it or its child rows, however they are
written, and only then: a spurious move refuses a user's save as a conflict, a missed one lets
a save overwrite what another user did (models/versioning.py)."""
from poser_web.tables.widgets.models import Component
from tests import factories


def test_a_child_added_or_deleted_on_its_own_moves_its_parents_version(dbsession):
    """Not through the parent's list (a script, an import): the parent is not touched itself."""
    widget = factories.widget(dbsession, "Sprocket", components=[("A1", "Arm")])
    dbsession.flush()
    assert widget.version == 1
    dbsession.add(Component(widget_uuid=widget.uuid, item_code="B2", description="Bolt",
                            active=True))
    dbsession.flush()
    assert widget.version == 2
    arm = dbsession.query(Component).filter_by(item_code="A1").one()
    dbsession.delete(arm)
    dbsession.flush()
    assert widget.version == 3


def test_a_child_set_to_what_it_holds_leaves_the_version(dbsession):
    widget = factories.widget(dbsession, "Sprocket", components=[("A1", "Arm")])
    dbsession.flush()
    arm = widget.components[0]
    arm.description = "Arm"   # the same: no change to save
    dbsession.flush()
    assert widget.version == 1
    arm.description = "Arm, long"
    dbsession.flush()
    assert widget.version == 2
