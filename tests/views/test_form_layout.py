"""The create and edit pages put the layout's markup around their parts without layout.pt's
macro (display/layout.py): the same page chrome as every other page, flash messages escaped
as the template escaped them, and the actions' permissions checked only if a template reads
them."""
import re

from poser_web.display import layout
from poser_web.views.lazy_actions import LazyActions
from poser_web.views.master import MasterView
from tests.helpers import add_widget, csrf_token, widget_form


def _chrome(html):
    """A page without its own parts: its title's text, breadcrumbs after Home, content and
    scripts after Bootstrap's."""
    html = re.sub(r"<title>.*?</title>", "<title/>", html, flags=re.DOTALL)
    html = re.sub(r"(Home</a></li>).*?(</ol>)", r"\1\2", html, flags=re.DOTALL)
    html = re.sub(r'(<main id="main" tabindex="-1">).*?(</main>)', r"\1\2", html, flags=re.DOTALL)
    return re.sub(r"(bootstrap\.bundle\.min\.js\" defer></script>).*?(</body>)", r"\1\2", html,
                  flags=re.DOTALL)


def test_edit_and_create_pages_have_the_chrome_of_every_page(testapp, dbsession):
    widget = add_widget(dbsession, "Chrome", components=[("A", "one")])
    view = testapp.get(f"/widgets/{widget.uuid}")
    edit = testapp.get(f"/widgets/{widget.uuid}/edit")
    create = testapp.get("/widgets/new")
    # The navbar marks the current page's menu entry: all three are under Widgets.
    assert _chrome(edit.text) == _chrome(view.text) == _chrome(create.text)
    for page in (edit, create):
        assert page.text.startswith("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n")
        assert page.text.endswith("</script>\n  \n</body>\n</html>\n\n")
        assert page.html.find("a", string="Skip to main content")["href"] == "#main"
        scripts = [s["src"].rsplit("/", 1)[1] for s in page.html.find_all("script")]
        assert scripts == ["bootstrap.bundle.min.js", "jquery-2.0.3.min.js", "deform.js", "poser.js"]
    assert edit.html.title.get_text() == "Edit Chrome · Poser"
    assert create.html.title.get_text() == "New widget · Poser"
    crumbs = [li.get_text() for li in edit.html.select(".breadcrumb-item")]
    assert crumbs == ["Home", "Widgets", "Chrome", "Edit"]


def test_a_refused_form_says_error_in_its_title(testapp):
    token = csrf_token(testapp)
    refused = testapp.post("/widgets/new", widget_form(token, ""), status=400)
    assert refused.html.title.get_text() == "Error: New widget · Poser"


def test_flash_messages_on_the_edit_page_are_escaped_as_text(testapp, dbsession):
    widget = add_widget(dbsession, "Plain", components=[("A", "one")])
    token = csrf_token(testapp)
    name = '<b>"Tom" & \'Jerry\'</b>'
    saved = testapp.post(f"/widgets/{widget.uuid}/edit",
                         widget_form(token, name, version=1, button="save_continue"), status=303)
    edit = saved.follow()
    # As Chameleon writes ${message}: &, <, > escaped, quotes kept.
    assert ('\n    </nav>\n    <div class="alert alert-success" role="status">Saved widget '
            '“&lt;b&gt;"Tom" &amp; \'Jerry\'&lt;/b&gt;”.</div>\n    <main id="main"') in edit.text
    # Shown once: the next page has none, and the space where they were stays as it was.
    again = testapp.get(f"/widgets/{widget.uuid}/edit")
    assert "alert-success" not in again.text
    assert '\n    </nav>\n    \n    <main id="main" tabindex="-1">' in again.text


def test_text_escapes_as_chameleon_does():
    assert layout._text('a & <b> "c"') == 'a &amp; &lt;b&gt; "c"'
    assert layout._text("\x00") == "&#0;"
    assert layout._text(None) == ""
    assert layout._text(3) == "3"
    assert layout._attribute('https://x/"y"') == "https://x/&quot;y&quot;"


class _Counting:
    def __init__(self):
        self.asked = 0

    def available_actions(self):
        self.asked += 1
        return ["list", "view", "edit"]


def test_form_page_actions_are_worked_out_only_when_read():
    view = _Counting()
    actions = LazyActions(view)
    assert view.asked == 0
    assert "edit" in actions and "delete" not in actions
    assert list(actions) == ["list", "view", "edit"] and len(actions) == 3
    assert actions == ["list", "view", "edit"] and actions[0] == "list"
    assert view.asked == 1  # asked once, then kept


def test_edit_page_checks_no_action_permissions(testapp, dbsession, monkeypatch):
    widget = add_widget(dbsession, "Quiet", components=[("A", "one")])
    asked = []
    original = MasterView.available_actions

    def counting(self):
        asked.append(self.request.path)
        return original(self)

    monkeypatch.setattr(MasterView, "available_actions", counting)
    testapp.get(f"/widgets/{widget.uuid}/edit")
    testapp.get("/widgets/new")
    assert asked == []
    testapp.get(f"/widgets/{widget.uuid}")  # the view page shows its action buttons
    assert asked == [f"/widgets/{widget.uuid}"]
