"""Request methods and properties live on one request class made at start-up
(web/request_class.py): every request is an instance of it, with everything
`add_request_method` registered, the app's own and an included package's."""
import webtest
from pyramid.interfaces import IRequestExtensions
from pyramid.response import Response
from pyramid.security import NO_PERMISSION_REQUIRED

from poser_web import configure


def _app(app_settings):
    """The app with a package's request method and property, and a page showing them."""
    config = configure(app_settings)
    config.add_request_method(lambda request: "hello", "greeting", reify=True)
    config.add_request_method(lambda request, name: f"hi {name}", "greet")
    seen = []

    def page(request):
        seen.append(type(request))
        return Response(f"{request.greeting} / {request.greet('you')} / "
                        f"{request.dbsession is request.dbsession} / {request.tm is not None}")

    config.add_route("greeting_page", "/greeting-page")
    config.add_view(page, route_name="greeting_page", permission=NO_PERMISSION_REQUIRED)
    return config.make_wsgi_app(), seen


def test_every_request_has_the_registered_methods_on_one_class(app_settings):
    app, seen = _app(app_settings)
    try:
        client = webtest.TestApp(app, extra_environ={"HTTP_HOST": "example.com"})
        for _ in range(2):
            assert client.get("/greeting-page").text == "hello / hi you / True / True"
        assert seen[0] is seen[1] is app.request_factory  # no class made per request
        assert app.registry.queryUtility(IRequestExtensions).descriptors == {}
    finally:
        app.registry["db_engine"].dispose()


def test_a_reified_property_is_computed_once_per_request(app_settings):
    app, _ = _app(app_settings)
    try:
        request = app.request_factory.blank("/")
        request.registry = app.registry
        assert request.greeting == "hello"
        assert "greeting" in request.__dict__  # reify kept it on this request only
        assert "greeting" not in app.request_factory.blank("/").__dict__
    finally:
        app.registry["db_engine"].dispose()
