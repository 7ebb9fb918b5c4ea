"""Permission names: one per view action, e.g. `widgets.list`, `widgets.edit`.

Master views register theirs as they are included; the catalogue is what the
command line offers when granting permissions to a role.
"""
# Any logged-in user has this one (the start page, changing one's password).
AUTHENTICATED = "authenticated"

REGISTRY_KEY = "poser.permissions"


def register(config, name, description):
    config.registry.setdefault(REGISTRY_KEY, {})[name] = description


def catalogue(registry):
    """{permission name: description}, sorted by name."""
    return dict(sorted(registry.get(REGISTRY_KEY, {}).items()))
