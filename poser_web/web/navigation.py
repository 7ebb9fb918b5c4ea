"""The navbar and the home page, from the master views that were included.

`MasterView.include` adds an entry per table (its `menu` group, by default an
entry of its own); the layout shows the entries the user may list.
"""
from sqlalchemy import func, select

REGISTRY_KEY = "poser.menu"
# The home page counts rows up to here, and says "more than" above: a count
# that stops early costs the same for a thousand rows as for a million.
HOME_COUNT_LIMIT = 10_000


class MenuEntry:
    def __init__(self, group, title, route_name, permission, model):
        self.group, self.title, self.route_name = group, title, route_name
        self.permission, self.model = permission, model


def add_menu_entry(config, group, title, route_name, permission, model=None):
    config.registry.setdefault(REGISTRY_KEY, []).append(
        MenuEntry(group, title, route_name, permission, model))


def entries(request):
    """The entries this user may open, in the order the views were included."""
    return [e for e in request.registry.get(REGISTRY_KEY, ())
            if request.has_permission(e.permission)]


def is_current(request, entry):
    route = request.matched_route
    return route is not None and (route.name == entry.route_name
                                  or route.name.startswith(entry.route_name + "."))


def menu(request):
    """[(group, [entries], current)] of the user's entries, groups in first-seen order."""
    groups = {}
    for entry in entries(request):
        groups.setdefault(entry.group, []).append(entry)
    return [(group, items, any(is_current(request, e) for e in items))
            for group, items in groups.items()]


def capped_count(db, model, limit=HOME_COUNT_LIMIT):
    """(count, exact): rows of `model`, counted no further than `limit`."""
    count = db.scalar(select(func.count()).select_from(
        select(1).select_from(model).limit(limit + 1).subquery()))
    return min(count, limit), count <= limit
