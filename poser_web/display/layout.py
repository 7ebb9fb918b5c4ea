"""The markup around every page's own content, written in Python: templates/layout.pt puts
its four slots (title, breadcrumbs, content, scripts) between these pieces, and the busiest
pages (master/form.pt, list.pt, view.pt) put their parts between them directly, without
layout.pt's macro.

Through METAL, the macro and its four slots cost six copies of the template's variables
(Chameleon's Scope.copy walks them in Python: ~85,000 instructions each), half of an edit
page's template rendering; the chrome's markup itself is the same on every page but for the
title's error prefix, the navbar (views/navbar.py, kept) and the flash messages.

The chrome's own markup is ASCII, characters past it written as references (&#183;; the
templates' own text too: list.pt's &#8211; and &#9650;): a page's string with one character
past ASCII is encoded to UTF-8 character by character (the edit page: 0.13 M instructions, the
list page 0.6 M), an ASCII one is copied (a tenth of that). Flash messages keep their
characters (“…”), as the pages and their tests have them.
"""
from ..views.navbar import navbar
from ..web.site_urls import route_url, static_url

# Pages that say their form was not saved: a refused form (400) or a newer version met (409).
_ERROR_STATUSES = (400, 409)
_STYLESHEETS = ("deform:static/css/bootstrap.min.css", "deform:static/css/form.css",
                "poser_web:static/poser.css")
_BOOTSTRAP = "deform:static/scripts/bootstrap.bundle.min.js"


def _text(value):
    """`value` as Chameleon's ${value} writes it in an element's text (&, <, > escaped, quotes
    not; markup as it is)."""
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    text = value if isinstance(value, str) else str(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text.replace("\x00", "&#0;")


def _attribute(url):
    """A URL as Chameleon writes it in a double-quoted attribute."""
    return _text(url).replace('"', "&quot;")


def head(request):
    """From the doctype to the <title>'s text: the page's title goes next."""
    error = "Error: " if request.response.status_int in _ERROR_STATUSES else ""
    return ('<!DOCTYPE html>\n<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
            '  <meta name="viewport" content="width=device-width, initial-scale=1">\n  \n'
            f'  <title>{error}')


def after_title(request):
    """From the end of the title to the breadcrumbs' Home: the page's breadcrumbs go next."""
    css = [_attribute(static_url(request, spec)) for spec in _STYLESHEETS]
    return (' &#183; Poser</title>\n  <link rel="icon" href="data:,">\n'
            + "".join(f'  <link rel="stylesheet" href="{href}">\n' for href in css)
            + '</head>\n<body>\n  <a class="poser-skip btn btn-light" href="#main">Skip to main content</a>\n'
            f'  \n  {navbar(request)}\n  <div class="container-fluid">\n'
            '    <nav aria-label="breadcrumb">\n      <ol class="breadcrumb">\n'
            f'        <li class="breadcrumb-item"><a href="{_attribute(route_url(request, "home"))}">Home</a></li>\n'
            '        ')


def after_breadcrumbs(request):
    """The end of the breadcrumbs, the flash messages (shown once: taken from the session)
    and the start of <main>: the page's content goes next."""
    messages = request.session.pop_flash("success")
    flashes = "\n    ".join(f'<div class="alert alert-success" role="status">{_text(m)}</div>'
                            for m in messages)
    return f'\n      </ol>\n    </nav>\n    {flashes}\n    <main id="main" tabindex="-1">\n      '


def after_content(request):
    """The end of <main> and the script every page loads: the page's own scripts go next."""
    return ('\n    </main>\n  </div>\n'
            f'  <script src="{_attribute(static_url(request, _BOOTSTRAP))}" defer></script>\n  ')


# The end of the page, after its own scripts (the template adds the last newlines).
END = "\n</body>\n</html>"
