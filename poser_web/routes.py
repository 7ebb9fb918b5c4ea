"""URL contract (README): route names are what templates and tests use."""


from pyramid.security import NO_PERMISSION_REQUIRED


def includeme(config):
    public = dict(cache_max_age=3600, permission=NO_PERMISSION_REQUIRED)
    config.add_static_view("static", "poser_web:static", **public)
    # deform's Bootstrap, jQuery and form scripts, served by us: no CDN.
    config.add_static_view("deform-static", "deform:static", **public)
    config.add_route("home", "/")
    config.add_route("login", "/login")
    config.add_route("logout", "/logout")
    config.add_route("password", "/password")
    config.include(".views.widgets")
    config.include(".views.components")
    config.include(".views.users")
    config.include(".views.roles")
    config.include(".views.accounts")  # a temporary password must be changed first
    config.include(".views.batches")
    config.include(".views.datasync")  # the Datasync page and /healthz
