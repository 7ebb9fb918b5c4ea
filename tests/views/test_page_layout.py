"""The list and view pages put the layout's markup around their parts without layout.pt's macro
(display/layout.py), as the form pages do: the same page chrome as a page still on the macro,
their own scripts after Bootstrap's, flash messages escaped as the template escaped them."""
from tests.helpers import add_widget, csrf_token, widget_form
from tests.views.test_form_layout import _chrome

_END = "\n</body>\n</html>\n\n"


def test_list_and_view_pages_have_the_chrome_of_a_macro_page(testapp, dbsession):
    widget = add_widget(dbsession, "Chrome", components=[("A", "one")])
    history = testapp.get(f"/widgets/{widget.uuid}/history")  # still through layout.pt's macro
    listed = testapp.get("/widgets")
    view = testapp.get(f"/widgets/{widget.uuid}")
    assert _chrome(listed.text) == _chrome(view.text) == _chrome(history.text)
    for page in (listed, view):
        assert page.text.startswith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n")
        assert page.html.find("a", string="Skip to main content")["href"] == "#main"
    assert listed.html.title.get_text() == "Widgets · Poser"
    assert view.html.title.get_text() == "Chrome · Poser"
    assert [li.get_text() for li in listed.html.select(".breadcrumb-item")] == ["Home", "Widgets"]
    assert [li.get_text() for li in view.html.select(".breadcrumb-item")] == ["Home", "Widgets", "Chrome"]
    assert view.text.endswith("bootstrap.bundle.min.js\" defer></script>\n  " + _END)


def test_a_list_with_a_choice_filter_loads_its_script_after_bootstrap(testapp):
    with_script = testapp.get("/batches")  # a choice filter: poser.js makes its picker
    scripts = [s["src"].rsplit("/", 1)[1] for s in with_script.html.find_all("script")]
    assert scripts == ["bootstrap.bundle.min.js", "poser.js"]
    assert with_script.text.endswith("poser.js\"></script>\n  " + _END)
    plain = testapp.get("/widgets")  # yes/no filters only: no script of its own
    assert [s["src"].rsplit("/", 1)[1] for s in plain.html.find_all("script")] == ["bootstrap.bundle.min.js"]


def test_flash_messages_on_the_view_page_are_escaped_and_shown_once(testapp, dbsession):
    widget = add_widget(dbsession, "Plain", components=[("A", "one")])
    token = csrf_token(testapp)
    name = '<b>"Tom" & \'Jerry\'</b>'
    saved = testapp.post(f"/widgets/{widget.uuid}/edit", widget_form(token, name, version=1), status=303)
    view = saved.follow()
    assert view.request.path == f"/widgets/{widget.uuid}"
    assert ('\n    </nav>\n    <div class="alert alert-success" role="status">Saved widget '
            '“&lt;b&gt;"Tom" &amp; \'Jerry\'&lt;/b&gt;”.</div>\n    <main id="main"') in view.text
    again = testapp.get("/widgets")
    assert "alert-success" not in again.text
    assert '\n    </nav>\n    \n    <main id="main" tabindex="-1">' in again.text


def test_pages_of_ascii_records_are_ascii(testapp, dbsession):
    """Their UTF-8 encoding is then a copy (display/layout.py): the chrome and the list's own text
    write their characters past ASCII as references, the same text to the reader."""
    widget = add_widget(dbsession, "Plain", components=[("A", "one")])
    listed = testapp.get("/widgets", {"sort": "description", "dir": "desc"})
    assert listed.html.title.get_text() == "Widgets · Poser"
    assert listed.html.select_one("th[aria-sort] span").get_text() == " ▼"
    assert " ".join(listed.html.find(id="grid-range").get_text().split()) == "1–1 of 1"
    assert "use “Bulk change” above" in listed.html.find(id="grid-selection").get_text()
    ascending = testapp.get("/widgets", {"sort": "description", "dir": "asc"})
    assert ascending.html.select_one("th[aria-sort] span").get_text() == " ▲"
    pages = [listed, ascending, testapp.get(f"/widgets/{widget.uuid}"),
             testapp.get(f"/widgets/{widget.uuid}/edit"), testapp.get("/widgets/new")]
    assert all(page.text.isascii() for page in pages)
