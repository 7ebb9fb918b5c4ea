"""A failed form, for everyone: a summary naming and linking each error (inline rows by number),
each error tied to its field (aria-invalid, aria-describedby), "Error:" in the page title,
one autofocus at most, Remove buttons named per row, and Cancel beside Save."""
import pytest

from tests.helpers import add_widget, csrf_token, widget_form


@pytest.fixture
def token(testapp):
    return csrf_token(testapp)


def test_error_summary_names_and_links_each_error_with_its_row(testapp, token):
    components = [{"item_code": f"C-{n}", "description": f"row {n}"} for n in range(1, 28)]
    components.append({"item_code": "", "description": "row 28 misses its code"})
    response = testapp.post("/widgets/new", widget_form(token, "", components=components), status=400)
    html = response.html
    assert html.title.get_text().startswith("Error: New widget")
    summary = html.select_one(".poser-error-summary")
    assert summary["tabindex"] == "-1"  # poser.js moves the focus here
    assert "The form was not saved." in summary.get_text()
    links = summary.select("a")
    texts = [" ".join(a.get_text().split()) for a in links]
    assert texts[0].startswith("Description")
    assert texts[1] == "Component row 28: Item Code is required."
    for link in links:
        field = html.find(id=link["href"][1:])
        assert field is not None and field.name in ("input", "select", "textarea"), link
        assert field["aria-invalid"] == "true"
        for error_id in field["aria-describedby"].split():
            assert html.find(id=error_id) is not None
        described = " ".join(html.find(id=i).get_text() for i in field["aria-describedby"].split())
        assert link.get_text().split(": ")[-1].strip() in " ".join(described.split())
    # The summary takes the focus: no field asks for it.
    assert not html.select("[autofocus]")
    # Fields without errors are not marked.
    assert len(html.select("[aria-invalid]")) == len(links)


def test_form_has_one_autofocus_named_remove_buttons_and_cancel(testapp, dbsession):
    widget = add_widget(dbsession, "Focus", components=[("A", "one"), ("B", "two"), ("C", "three")])
    html = testapp.get(f"/widgets/{widget.uuid}/edit").html
    focused = html.select("[autofocus]")
    assert [f["id"] for f in focused] == [html.find("label", string="Description")["for"]]
    names = [b["aria-label"] for b in html.select(".deform-seq-item .poser-seq-remove")]
    assert names == ["Remove component row 1", "Remove component row 2", "Remove component row 3"]
    counter = html.select_one(".poser-row-count").parent
    assert counter["aria-live"] == "polite"
    cancel = html.find("a", string="Cancel")
    assert cancel["href"].endswith(f"/widgets/{widget.uuid}")
    assert testapp.get("/widgets/new").html.find("a", string="Cancel")["href"].endswith("/widgets")


def test_skip_link_leads_to_main(testapp):
    html = testapp.get("/widgets").html
    skip = html.find("a", string="Skip to main content")
    assert skip["href"] == "#main" and html.find(id="main").name == "main"


@pytest.mark.parametrize("path, back", [("/users/new", "/users"), ("/roles/new", "/roles")])
def test_account_forms_have_cancel(testapp, path, back):
    assert testapp.get(path).html.find("a", string="Cancel")["href"].endswith(back)
