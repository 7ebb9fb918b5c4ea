"""List pages as issue 18 found them: the pager's first page, a record filter over a large table
(the form's picker), a filter naming no record, and text filters ignoring case beyond ASCII."""
import pytest

from poser_web.tables.widgets.models import Widget
from tests.helpers import add_widget
from tests.specimens import add_specimen


def names(response):
    return sorted(tr.find("td").get_text(strip=True) for tr in response.html.select("#grid tbody tr"))


def pager(response):
    """{"Previous": href or None, "Next": href or None} of the list's pager."""
    items = response.html.select("nav[aria-label=Pages] .page-item")
    found = {}
    for item in items:
        text = item.get_text(strip=True)
        if text in ("Previous", "Next"):
            link = item.find("a")
            found[text] = link["href"] if link is not None and link.has_attr("href") else None
            if "disabled" in item["class"]:
                assert found[text] is None, f"a disabled {text} still points at {found[text]}"
    return found


def test_the_first_page_has_no_previous_link_and_the_last_no_next(testapp, dbsession):
    for n in range(25):
        add_widget(dbsession, f"W{n:02}")
    first = testapp.get("/widgets", {"per_page": 20})
    links = pager(first)
    assert links["Previous"] is None and links["Next"]
    last = testapp.get(links["Next"])
    assert pager(last)["Next"] is None and pager(last)["Previous"]
    assert names(testapp.get(pager(last)["Previous"])) == names(first)


@pytest.mark.parametrize("page", ["0", "-3"])
def test_page_zero_or_less_is_the_first_page(testapp, dbsession, page):
    add_widget(dbsession, "Only")
    response = testapp.get("/widgets", {"page": page})
    assert names(response) == ["Only"] and "Page 1" in response.text


def test_a_record_filter_over_a_large_table_is_the_forms_picker(testapp, dbsession):
    dbsession.add_all([Widget(description=f"Widget {n:03}") for n in range(101)])
    dbsession.flush()
    chosen = dbsession.query(Widget).filter_by(description="Widget 050").one()
    add_specimen(dbsession, "Held", widget=chosen)
    add_specimen(dbsession, "Loose")
    page = testapp.get("/specimens", {"widget": chosen.uuid})
    assert names(page) == ["Held"]
    fieldset = page.html.select_one("#filter-widget-op").find_parent("fieldset")
    picker = fieldset.select_one(".poser-picker")
    hidden = picker.find("input", attrs={"name": "widget"})
    assert (hidden["type"], hidden["value"]) == ("hidden", chosen.uuid)
    combobox = picker.find("input", attrs={"role": "combobox"})
    assert combobox["value"] == "Widget 050"  # the record's label, not its key
    assert combobox["aria-label"] == fieldset.legend.get_text(strip=True) == "Widget"
    found = testapp.get(picker["data-lookup"], {"q": "GET 09"}).json
    assert [r["label"] for r in found["results"]] == [f"Widget 09{n}" for n in range(10)]


def test_the_filter_lookup_needs_the_right_to_list_only(anonymous_app, dbsession):
    from tests.helpers import add_user, log_in

    add_widget(dbsession, "Findable")
    add_user(dbsession, "reader", permissions=("specimens.list",))
    log_in(anonymous_app, "reader")
    found = anonymous_app.get("/specimens/lookup/widget", {"q": "find"}).json
    assert [r["label"] for r in found["results"]] == ["Findable"]
    anonymous_app.get("/specimens/lookup/name", status=404)  # not a record filter


@pytest.mark.parametrize("url", ["/specimens", "/specimens/export.csv"])
def test_a_filter_naming_no_record_is_a_400_naming_the_filter(testapp, dbsession, url):
    add_widget(dbsession, "Real")
    response = testapp.get(url, {"widget": "0" * 32}, status=400)
    assert "The Widget filter names no widget (it may have been deleted)" in response.text


def test_text_filters_ignore_case_beyond_ascii_on_every_database(testapp, dbsession):
    add_specimen(dbsession, "Émile", notes="ÇA VA")
    add_specimen(dbsession, "emily", notes="ca va")
    assert names(testapp.get("/specimens", {"name": "émile"})) == ["Émile"]
    assert names(testapp.get("/specimens", {"name": "ÉMI"})) == ["Émile"]
    assert names(testapp.get("/specimens", {"notes": "ça"})) == ["Émile"]
    assert names(testapp.get("/specimens", {"name": "EMI"})) == ["emily"]
