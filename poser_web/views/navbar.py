"""The layout's navbar as HTML, built once per (site, permissions, page) and kept.

Rendered by layout.pt on every page, the navbar cost a tenth of a list request: a
permission check and a route_url per menu entry and Chameleon's look-ups around them. What
it shows depends only on the user's permissions (the security policy reads nothing else),
the page's route (which entry is current) and the site's URL; the username and the CSRF
token are the only per-user parts, put in each time. The markup is layout.pt's as it was.
"""
from pyramid.csrf import get_csrf_token

from ..web import navigation
from ..web.html import escape
from ..web.kept import kept, site_url

# Kept navbars, per app (on its registry, web/kept.py): one per permission set, route and site URL.
REGISTRY_KEY = "poser.navbars"
# Where the per-user parts go in a kept navbar.
_USERNAME, _CSRF = "\x00username\x00", "\x00csrf\x00"


def navbar(request):
    """The <nav> of the layout for this request (the brand alone when nobody is logged in)."""
    identity = request.identity
    route = request.matched_route.name if request.matched_route is not None else None
    # The menu's entries are in the key too: fixed once the app is made, but a test adds some.
    key = (site_url(request), route, identity is not None and identity.all_permissions,
           identity.permissions if identity is not None else None,
           tuple(request.registry.get(navigation.REGISTRY_KEY, ())))
    parts = kept(request, REGISTRY_KEY, key,
                 lambda: _parts(_build(request, identity is not None, route), identity is None))
    if identity is None:
        return parts[0]
    head, middle, tail = parts
    return "".join((head, escape(identity.username), middle, escape(get_csrf_token(request)), tail))


def _parts(html, anonymous):
    """The kept navbar cut where the username and the CSRF token go."""
    head, _, rest = html.partition(_USERNAME)
    middle, _, tail = rest.partition(_CSRF)
    return (head,) if anonymous else (head, middle, tail)


def _build(request, logged_in, route):
    home = escape(request.route_url("home"))
    if not logged_in:
        return _NAV.format(home=home, account="", menu="")
    current = ' aria-current="page"' if route == "password" else ""
    account = _ACCOUNT.format(url=escape(request.route_url("password")), current=current)
    groups = "".join(_group(request, *group) for group in navigation.menu(request))
    menu = _MENU.format(groups=groups, logout=escape(request.route_url("logout")))
    return _NAV.format(home=home, account=account, menu=menu)


def _group(request, title, entries, current):
    if len(entries) == 1 and entries[0].title == title:
        attribute = ' aria-current="page"' if current else ""
        return _ENTRY.format(url=escape(request.route_url(entries[0].route_name)),
                             current=attribute, title=escape(entries[0].title))
    items = "".join(_ITEM.format(
        url=escape(request.route_url(entry.route_name)), title=escape(entry.title),
        current=' aria-current="page"' if navigation.is_current(request, entry) else "")
        for entry in entries)
    attribute = ' aria-current="true"' if current else ""
    return _DROPDOWN.format(title=escape(title), current=attribute, items=items)


_NAV = """<nav class="navbar navbar-expand-md navbar-dark bg-dark mb-3" aria-label="Main">
    <div class="container-fluid">
      <a class="navbar-brand" href="{home}">Poser</a>{account}{menu}
    </div>
  </nav>"""

# The account link stays in sight on a phone (outside the collapsing menu).
_ACCOUNT = """
      <a class="navbar-text text-light ms-auto me-2 order-md-last text-truncate poser-account" \
href="{url}" title="Change password"{current}><span
         class="visually-hidden">Account: </span>""" + _USERNAME + """</a>
      <button class="navbar-toggler" type="button"
              data-bs-toggle="collapse" data-bs-target="#poser-navbar"
              aria-controls="poser-navbar" aria-expanded="false" aria-label="Menu">
        <span class="navbar-toggler-icon"></span>
      </button>"""

_MENU = """
      <div class="collapse navbar-collapse" id="poser-navbar">
        <ul class="navbar-nav me-auto">{groups}
        </ul>
        <div class="d-flex align-items-center gap-2 py-2 py-md-0">
          <form method="post" action="{logout}" class="d-inline">
            <input type="hidden" name="csrf_token" value=\"""" + _CSRF + """\">
            <button type="submit" class="btn btn-sm btn-outline-light">Log out</button>
          </form>
        </div>
      </div>"""

_ENTRY = """
            <li class="nav-item"><a class="nav-link" href="{url}"{current}>{title}</a></li>"""

_DROPDOWN = """
            <li class="nav-item dropdown">
              <a class="nav-link dropdown-toggle" href="#" role="button" data-bs-toggle="dropdown"
                 aria-expanded="false"{current}>{title}</a>
              <ul class="dropdown-menu dropdown-menu-dark">{items}
              </ul>
            </li>"""

_ITEM = """
                <li><a class="dropdown-item" href="{url}"{current}>{title}</a></li>"""
