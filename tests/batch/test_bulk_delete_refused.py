"""A bulk delete of records other tables still refer to says which records refer to them, once,
instead of the database's IntegrityError text (issue 18)."""
from sqlalchemy import select

from poser_web.tables.widgets.models import Widget
from tests.batch.test_batch_bulk import make_bulk, newest, token_of
from tests.helpers import add_widget, create_record
from tests.sample.models import Specimen


def test_bulk_delete_of_referenced_widgets_names_the_referrers(testapp, dbsession):
    used = add_widget(dbsession, "Old used")
    spare = add_widget(dbsession, "Old spare", components=[("SP", "A spare")])
    add_widget(dbsession, "Old free")
    for n in range(6):
        create_record(dbsession, Specimen, name=f"Holder {n}", widget=used)
    create_record(dbsession, Specimen, name="Spare keeper", spare_part=spare.components[0])
    make_bulk(testapp, "delete", q="old")
    batch = newest(dbsession)
    refused = testapp.post(f"/batches/{batch.uuid}/execute",
                           {"csrf_token": token_of(testapp, f"/batches/{batch.uuid}")}, status=409)
    page = refused.html.find("main").get_text(" ", strip=True)
    expected = ("Execution failed and nothing was changed: Widgets that others refer to cannot be "
                "deleted. Still used by 6 specimens (“Holder 0”, “Holder 1”, “Holder 2”, "
                "“Holder 3”, “Holder 4” and 1 more) and 1 specimen (“Spare keeper”). Change or "
                "delete those first.")
    assert page.count(expected) == 1, page
    assert "IntegrityError" not in refused.text and "FOREIGN KEY" not in refused.text
    dbsession.expire_all()
    assert newest(dbsession).state == "failed" and newest(dbsession).message == expected
    assert len(dbsession.scalars(select(Widget)).all()) == 3  # nothing deleted
    again = testapp.get(f"/batches/{batch.uuid}").html.find("main").get_text(" ", strip=True)
    assert again.count(expected) == 1
