"""The API's writes: create (POST), update named fields (PATCH), delete (DELETE) — through the
table's own form: its schema validates (the same messages, its declared rules), its `save`
writes (child rows updated in place by their keys), its history records the user with the
source `api`. A write must name the version it is based on (`If-Match: "<version>"`, the
record's ETag): without it 428, a stale one 412. Refusals are JSON: 422
{"errors": {field: [messages]}} for values, 409 for a delete others still refer to.
"""
from datetime import datetime, timezone

import colander
from pyramid.csrf import check_csrf_token
from pyramid.httpexceptions import (
    HTTPBadRequest,
    HTTPConflict,
    HTTPCreated,
    HTTPNoContent,
    HTTPPreconditionFailed,
    HTTPPreconditionRequired,
)
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from ..display.values import display_timezone
from ..forms import bound_schema
from ..models.violations import explain
from .records import record_json
from .views import TableApi, etag

READ_ONLY = ("version",)


class Refused(Exception):
    """Values the form refuses: {api field: [messages]}."""

    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


class TableWrites(TableApi):
    def __init__(self, request):
        super().__init__(request)
        # Who wrote what: the history's source (models/audit.py) says "api".
        request.environ["poser.source"] = "api"
        if not request.environ.get("poser.via_token"):
            check_csrf_token(request)  # a browser session writes with its CSRF token

    # -- requests ------------------------------------------------------------------------

    def create(self):
        try:
            instance = self._write(self._body(), None)
        except Refused as refused:
            return self._unprocessable(refused.errors)
        body = record_json(self.spec, instance, children=True)
        location = self.request.route_url(f"api.{self.spec.name}.record",
                                          uuid=getattr(instance, self.spec.key.key))
        return HTTPCreated(json_body=body, location=location, headers=self._etag(instance))

    def update(self):
        instance = self.master.get_instance()
        self._check_version(instance)
        try:
            instance = self._write(self._body(), instance)
        except Refused as refused:
            return self._unprocessable(refused.errors)
        self.request.response.headers.update(self._etag(instance))
        return record_json(self.spec, instance, children=True)

    def delete(self):
        instance = self.master.get_instance()
        self._check_version(instance)
        try:
            with self.request.dbsession.begin_nested():
                self.request.dbsession.delete(instance)
                self.request.dbsession.flush()
        except IntegrityError as error:
            refused = self.master.refused_delete(instance, error)
            message = refused["message"] or "Other records still refer to it: " + "; ".join(
                f"{what} ({', '.join(label for label, _ in records)}{' ' + more if more else ''})"
                for what, records, more in refused["referrers"])
            raise HTTPConflict(message + " Nothing was deleted.") from None
        return HTTPNoContent()

    # -- helpers -------------------------------------------------------------------------

    def _etag(self, instance):
        tag = etag(self.spec, instance)
        return {"ETag": tag} if tag else {}

    def _check_version(self, instance):
        """If-Match must name the record's current version (its ETag)."""
        if not self.spec.versioned:
            return
        header = self.request.headers.get("If-Match")
        if not header:
            raise HTTPPreconditionRequired(
                f"Send If-Match with the version your change is based on (the record's ETag, "
                f"now {etag(self.spec, instance)}): without it a change could overwrite "
                "someone else's.")
        tags = {tag.strip().removeprefix("W/") for tag in header.split(",")}
        if etag(self.spec, instance) not in tags:
            raise HTTPPreconditionFailed(
                f"The {self.spec.title.lower()} changed since your copy (If-Match {header.strip()}; "
                f"it is now version {instance.version}). Read it again; nothing was saved.")

    def _body(self):
        try:
            body = self.request.json_body
        except (ValueError, UnicodeDecodeError):
            raise HTTPBadRequest("The body must be a JSON object (Content-Type: "
                                 "application/json).") from None
        if not isinstance(body, dict):
            raise HTTPBadRequest("The body must be a JSON object of field names and values.")
        return body

    def _unprocessable(self, errors):
        self.request.response.status = 422
        return {"error": "Some values cannot be saved; nothing was saved.", "errors": errors}

    def _write(self, body, instance):
        """Validate `body` (with what `instance` holds now, for an update) through the form's
        schema and save it; the saved record. Refused for values the form refuses."""
        master = self.master
        schema = bound_schema(master.get_schema(), self.request, instance, master.model,
                              master.record_url, csrf=False)
        names = self._node_names(schema)
        errors = {name: ["Not a field of this table (or not editable)."] for name in body
                  if name not in names and name not in READ_ONLY and name != self.spec.key.key}
        key = body.get(self.spec.key.key)
        if key is not None and (instance is None or key != getattr(instance, self.spec.key.key)):
            errors[self.spec.key.key] = ["The key is given by the address (or made): leave it out."]
        cstruct = schema.serialize(self._current(schema, instance)) if instance is not None else {}
        for name, value in body.items():
            if name in names:
                try:
                    cstruct[names[name]] = self._cstruct(schema[names[name]], name, value)
                except Refused as refused:
                    errors.update(refused.errors)
        if errors:
            raise Refused(errors)
        if instance is not None and "version" in schema:
            cstruct["version"] = str(instance.version)
        try:
            appstruct = schema.deserialize(cstruct)
        except colander.Invalid as invalid:
            back = {node: api for api, node in names.items()}
            raise Refused(_errors(invalid, back)) from None
        try:
            return master.save(appstruct, instance)
        except IntegrityError as error:
            violation = explain(error, master.model)
            field = next((k for k in violation.keys), None)
            raise Refused({field or "": [violation.message]}) from None

    def _current(self, schema, instance):
        values = self.master.to_appstruct(instance, schema)
        if "version" in schema:
            values["version"] = instance.version
        return values

    def _node_names(self, schema):
        """{API field name: form node name} of what the form edits (a foreign key's column is
        its relationship's node)."""
        names = {}
        relationships = inspect(self.spec.model).relationships
        for field in self.spec.fields:
            if field.name in schema:
                names[field.name] = field.name
            elif field.target is not None:
                for relationship in relationships:
                    if field.column in relationship.local_columns and relationship.key in schema:
                        names[field.name] = relationship.key
        for child in self.spec.children:
            if child.name in schema:
                names[child.name] = child.name
        return names

    def _cstruct(self, node, name, value):
        """A JSON value as the form's field would have posted it."""
        if isinstance(node.typ, colander.Sequence):
            if value is None:
                return []
            if not isinstance(value, list):
                raise Refused({name: ["Give a list of rows."]})
            [row] = node.children
            return [self._row(row, f"{name}.{index}", item) for index, item in enumerate(value)]
        return _scalar(node, name, value, self.spec, display_timezone(self.request))

    def _row(self, node, where, item):
        if not isinstance(item, dict):
            raise Refused({where: ["Give each row as an object."]})
        unknown = [key for key in item if key not in node]
        if unknown:
            raise Refused({f"{where}.{key}": ["Not a field of these rows."] for key in unknown})
        return {child.name: _scalar(child, f"{where}.{child.name}", item.get(child.name),
                                    None, None) for child in node.children}


def _scalar(node, name, value, spec, zone):
    """One field's JSON value as the text a browser would post."""
    if value is None:
        return colander.null
    if isinstance(value, (dict, list)):
        raise Refused({name: ["Give a single value."]})
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value != value:  # NaN
        raise Refused({name: ["Not a number."]})
    text = str(value)
    if type(node.typ).__name__ == "LocalDateTime" and isinstance(value, str):
        text = _in_zone(name, value, zone)
    enum_class = getattr(node.typ, "enum_class", None)
    if enum_class is not None and text in enum_class.__members__:
        text = str(enum_class[text].value)  # the API shows a choice as stored: its name
    return text


def _in_zone(name, value, zone):
    """An ISO 8601 date-time (with its offset; without one, UTC) as the display zone's local
    time, which the form's field reads."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Refused({name: ["Give a date and time in ISO 8601, like "
                              "2026-12-04T13:05:00+00:00."]}) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(zone or timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _errors(invalid, back):
    """colander's errors as {API field: [messages]} (rows as name.index.field)."""
    errors = {}
    for path, message in invalid.asdict().items():
        head, _, rest = path.partition(".")
        name = back.get(head, head) + (f".{rest}" if rest else "")
        errors.setdefault(name, []).extend(str(message).split("; "))
    return errors


def add_write_routes(config, view):
    """POST /api/<table>, PATCH and DELETE /api/<table>/{uuid}, with the pages' permissions;
    the CSRF check is TableWrites' own (a token request needs none)."""
    prefix = view.route_prefix
    for route, attr, method, action in (
            (f"api.{prefix}", "create", "POST", "create"),
            (f"api.{prefix}.record", "update", "PATCH", "edit"),
            (f"api.{prefix}.record", "delete", "DELETE", "delete")):
        config.add_view(TableWrites, attr=attr, route_name=route, request_method=method,
                        renderer="json", permission=view.permission_name(action),
                        require_csrf=False)
