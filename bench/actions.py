"""Widget create / edit / delete through the app's own HTML forms, as a browser does:
GET the form page, read every input (csrf_token, deform markers, the components
sequence and its prototype), fill it, POST it. Used by run.py and resilience.py."""
import re
import urllib.parse

from . import forms

UUID_RE = re.compile(r"/widgets/([0-9a-f]{32})(?:[/?#]|$)")


class FormUnavailable(Exception):
    """The page or form needed for a write is not there (yet): the reason says why."""


def _path(base_path, action):
    """The request path a form's action resolves to (same server)."""
    target = urllib.parse.urlsplit(urllib.parse.urljoin(base_path, action or base_path))
    return target.path + (f"?{target.query}" if target.query else "")


def load_form(http_, page, field_name="description"):
    """(form, post path) of the data form on `page`; raises FormUnavailable.

    Prefers a POST form whose action is the page itself (a layout's logout form
    is not it), then one with a `field_name` field.
    """
    status, _, body = http_.get(page)
    if status != 200:
        raise FormUnavailable(f"GET {page} answered {status}")
    posts = [f for f in forms.parse_forms(body.decode("utf-8", "replace")) if f.method == "post"]
    here = page.split("?")[0]
    same = [f for f in posts if _path(page, f.action).split("?")[0] == here]
    wanted = [f for f in same + posts if field_name is None or field_name in f.names()]
    if not wanted:
        raise FormUnavailable(f"GET {page}: no POST form" + (f" with a {field_name!r} field" if field_name else ""))
    return wanted[0], _path(page, wanted[0].action)


def component_rows(k, tag):
    """k component rows (fill() reuses the form's existing rows first, keeping their uuid)."""
    rows = []
    for j in range(k):
        rows.append({"item_code": f"{tag[:14]}-{j:02d}"[:20], "description": f"{tag} part {j + 1}/{k}",
                     "active": j % 5 != 4})
    return rows


def save_widget(http_, page, description=None, active=None, rows=None, sequence="components"):
    """GET `page` (…/new or …/edit), fill and POST it; returns (status, headers, post path, seconds).

    None for description/active keeps what the form shows; rows=None leaves the
    components as they are.
    """
    import time

    form, post_path = load_form(http_, page)
    values = {}
    if description is not None:
        values["description"] = description
    if active is not None:
        values["active"] = active
    try:
        body = forms.fill(form, values, {sequence: rows} if rows is not None else None, submit="save")
    except ValueError as error:
        raise FormUnavailable(f"{page}: {error}") from None
    start = time.perf_counter()
    status, headers, _ = http_.post(post_path, body)
    return status, headers, post_path, time.perf_counter() - start


def delete_widget(http_, uuid):
    """GET the confirm page, POST its form; returns the POST's status."""
    form, post_path = load_form(http_, f"/widgets/{uuid}/delete", field_name=None)
    status, _, _ = http_.post(post_path, forms.fill(form, submit="delete"))
    return status


def uuid_from_location(headers):
    match = UUID_RE.search(urllib.parse.urlsplit(headers.get("location", "")).path + "/")
    return match.group(1) if match else None


def save_cycle(http_, page, values, submit):
    """A browser's save: GET the edit page, POST its form back with `values` changed and every
    other field (inline rows included) as shown. Works for any server's HTML form (poser_web's
    deform form, Django admin's change form). Returns (status, seconds for GET + POST); the status reads
    "303→/login" when the POST was sent to a login page instead of saving."""
    import time

    start = time.perf_counter()
    form, post_path = load_form(http_, page)
    status, headers, _ = http_.post(post_path, forms.fill(form, values, submit=submit))
    seconds = time.perf_counter() - start
    if status in (302, 303) and "/login" in headers.get("location", ""):
        status = f"{status}→/login"
    return status, seconds
