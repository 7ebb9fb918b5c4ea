"""Names `poser scaffold` refuses before writing anything: ones that are not identifiers, that
the app uses already (pages, modules, the names the written code imports) or that
PostgreSQL would cut (63 characters) once prefixed."""
import keyword
import re

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
# PostgreSQL keeps this many characters of a name: longer ones are cut, and autogenerate would
# compare the cut name with the model's forever.
MAX_IDENTIFIER = 63
MAX_NAME = 40  # a table's name and plural: file names, class names, URLs stay sane

# The first segment of the app's own URLs and its route names (tests/cli/test_scaffold.py
# checks this against the app's routes): a table's pages there would shadow them or clash.
RESERVED_PAGES = {
    "home", "login", "logout", "password", "healthz", "users", "roles", "accounts", "batches",
    "datasync", "static", "deform-static", "api", "admin", "changes", "lookup", "export",
    "new", "favicon.ico", "robots.txt",
}
# Package and module names of the framework a table package must not take (or shadow).
RESERVED_MODULES = {
    "models", "views", "tables", "base", "meta", "mixins", "audit", "audited", "versioned",
    "versioning", "rules", "schema", "forms", "grid", "display", "db", "web", "auth", "cli",
    "batch", "transfer", "datasync", "scaffold", "static", "templates", "routes", "settings",
    "test", "tests", "conftest", "helpers",
}
# Names the written modules import or define: a class of one of these names would rebind it
# (NAME audited gives class Audited, which would replace the history mixin).
RESERVED_CLASSES = {
    "Audited", "Base", "Versioned", "Mapped", "Decimal", "Change", "MasterView", "String",
    "Text", "Integer", "Numeric", "Boolean", "Date", "DateTime", "ForeignKey", "None",
    "True", "False",
}
# Field names the model's attributes or the pages' parameters use.
RESERVED_FIELDS = {
    "uuid", "version", "metadata", "registry", "query", "type",
    "q", "sort", "dir", "page", "per_page", "after", "before", "format",  # list parameters
    "csrf_token", "save", "save_add", "save_continue", "_charset_",  # form parameters
}
# Names the model module imports: a field of that name would hide them in the class body.
SHADOWING = {"date", "datetime", "true", "false", "relationship", "mapped_column", "uuid_column",
             "utcnow"}


class SpecError(ValueError):
    """A spec the scaffold cannot use; the message says what to write instead."""


def camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def check_name(name, what="NAME"):
    """A table's name (or --plural): an identifier the app does not use already."""
    _identifier(name, what)
    if len(name) > MAX_NAME:
        raise SpecError(f"{what} {name!r} is {len(name)} characters; use at most {MAX_NAME}")
    if name.startswith("poser_"):
        raise SpecError(f"{what} {name!r}: leave out the poser_ prefix (it is added)")
    if what == "NAME":
        _check_model(name)
    if name in RESERVED_MODULES:
        raise SpecError(f"{what} {name!r} is the name of a module of the app; choose another")
    return name


def _check_model(name):
    """The model's class and table names are free: not imported by the written code, not a
    table of the framework's (tables of table packages are project.py's business)."""
    from ..models import Base

    if camel(name) in RESERVED_CLASSES or f"{camel(name)}View" == "MasterView":
        raise SpecError(f"NAME {name!r} would name the model {camel(name)}, which the written "
                        "code imports already; choose another")
    framework = {m.local_table.name for m in Base.registry.mappers
                 if not m.class_.__module__.startswith("poser_web.tables.")}
    if f"poser_{name}" in framework:
        raise SpecError(f"NAME {name!r}: the app's table poser_{name} exists already; "
                        "choose another")


def check_pages(plural, what):
    """The table's package (`plural`), route prefix and URL (/<plural with dashes>) are free."""
    if plural in RESERVED_PAGES or plural.replace("_", "-") in RESERVED_PAGES:
        raise SpecError(f"{what} {plural!r}: the app has pages at /{plural.replace('_', '-')} "
                        "already; choose another (or --plural)")
    if plural in RESERVED_MODULES:
        raise SpecError(f"{what} {plural!r}: its package would be named as a module of the app; "
                        "choose another (or --plural)")


def check_field_name(name):
    _identifier(name, "field name")
    if name in RESERVED_FIELDS:
        raise SpecError(f"field name {name!r} is reserved; choose another name")
    if name in SHADOWING:
        raise SpecError(f"field name {name!r} would hide {name} in the model's code; "
                        f"call it e.g. {name}_on or when_{name}")
    if name.startswith("poser_"):
        raise SpecError(f"field name {name!r}: leave out the poser_ prefix")
    return name


def _identifier(name, what):
    if not NAME.match(name) or not name.isascii():
        raise SpecError(f"{what} {name!r}: use lowercase letters, digits and _, starting with a "
                        "letter (e.g. gizmo, purchase_order)")
    if keyword.iskeyword(name) or (
            what == "NAME" and name in ("uuid", "version")):
        raise SpecError(f"{what} {name!r} is reserved; choose another name")


def check_identifiers(names):
    """Every database name the new table gets fits PostgreSQL's 63 characters."""
    too_long = [n for n in names if len(n) > MAX_IDENTIFIER]
    if too_long:
        longest = max(too_long, key=len)
        raise SpecError(f"{longest} would be {len(longest)} characters long; PostgreSQL keeps "
                        f"{MAX_IDENTIFIER} (and would cut it): shorten NAME or that field's name")
