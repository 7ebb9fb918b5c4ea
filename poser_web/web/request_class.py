"""One request class holding the app's request methods and properties, made at start-up.

Pyramid applies `config.add_request_method(..., reify=True)` (pyramid_tm's `request.tm`,
our `request.dbsession`) by making a new class for every request
(`InstancePropertyHelper.apply_properties`): a `type()` call per request, attribute caches
that start cold on each new class, and a class cycle left for the garbage collector.
Once every `add_request_method` has run, this puts them on one subclass of the request
factory, registers it as the factory and leaves Pyramid nothing to apply per request.
What a request can reach is unchanged; `pyramid.scripting.prepare` (pshell) uses the
same factory.
"""
from pyramid.config.factories import _RequestExtensions
from pyramid.interfaces import PHASE3_CONFIG, IRequestExtensions, IRequestFactory
from pyramid.request import Request

# After every action of the default order (add_request_method registers at PHASE3_CONFIG).
BAKE_ORDER = PHASE3_CONFIG + 10


def bake(registry):
    """Register a request factory class with the registered extensions as class attributes."""
    extensions = registry.queryUtility(IRequestExtensions)
    if extensions is None or not (extensions.methods or extensions.descriptors):
        return None
    base = registry.queryUtility(IRequestFactory, default=Request)
    attributes = {**extensions.methods, **extensions.descriptors, "__module__": base.__module__}
    baked = type(base.__name__, (base,), attributes)
    registry.registerUtility(baked, IRequestFactory)
    registry.registerUtility(_RequestExtensions(), IRequestExtensions)
    return baked


def includeme(config):
    config.action(("poser", "request class"), lambda: bake(config.registry), order=BAKE_ORDER)
