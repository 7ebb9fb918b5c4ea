"""URL contract (README): route names are what templates and tests use."""


def includeme(config):
    # Ours and deform's Bootstrap, jQuery and form scripts, served by us (no CDN),
    # under versioned URLs cached for a year (assets.py).
    config.include(".web.assets")
    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("password", "/password")
    # Before the tables: /api and /api/openapi.json are not tables' routes.
    config.include(".api")
    # The project's tables first (the navbar follows this order): every package under
    # poser_web/tables/ (tables/__init__.py).
    config.include(".tables")
    config.include(".views.users")
    config.include(".views.roles")
    config.include(".views.accounts")  # a temporary password must be changed first
    config.include(".views.batches")
    config.include(".views.datasync")  # the Datasync page and /healthz
