"""The OpenAPI 3.1 document of the API, generated from the tables' declarations: each table's
record schema (types, limits, choices, nullability from the mapper), its list parameters (search,
every filter with its operators, sort, cursors) and its operations."""
from datetime import timezone

from ..grid.core import PAGE_SIZES
from ..grid.declared import make_filters
from ..models import catalog
from .values import json_schema

ERROR = {"$ref": "#/components/schemas/Error"}


def document(request):
    tables = catalog.tables(request.registry)
    paths, schemas = {}, {"Error": {
        "type": "object", "required": ["error"],
        "properties": {"error": {"type": "string"}, "errors": {
            "type": "object", "additionalProperties": {"type": "array",
                                                       "items": {"type": "string"}}}}}}
    for spec in tables.values():
        name = _schema_name(spec)
        schemas[name] = record_schema(spec, children=True)
        schemas[f"{name}List"] = list_schema(name)
        base = "/api" + spec.view.url_prefix
        paths[base] = list_path(spec, name)
        paths[base + "/{uuid}"] = record_path(spec, name)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Poser API", "version": "1",
                 "description": "Every table of the admin, from its declaration. Authenticate "
                                "with `Authorization: Bearer <token>` (a user's API token) or "
                                "a browser session (writes send its X-CSRF-Token)."},
        "servers": [{"url": request.application_url}],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer"},
            "session": {"type": "apiKey", "in": "cookie", "name": "poser_session"}}},
        "security": [{"token": []}, {"session": []}],
    }


def _schema_name(spec):
    return "".join(part.capitalize() for part in spec.entity.split("_"))


def record_schema(spec, children=False, writing=False):
    properties = {spec.key.key: {"type": "string", "pattern": "^[0-9a-f]{32}$",
                                 "readOnly": True, "description": "The record's key."}}
    if spec.versioned:
        properties["version"] = {"type": "integer", "readOnly": True,
                                 "description": "Goes up with each saved change (the ETag)."}
    for field in spec.fields:
        properties[field.name] = json_schema(field)
    for child in spec.children if children else ():
        row = {child.key.key: {"type": ["string", "null"], "pattern": "^[0-9a-f]{32}$"},
               **{f.name: json_schema(f) for f in child.fields}}
        properties[child.name] = {"type": "array", "maxItems": 200, "items": {
            "type": "object", "properties": row, "additionalProperties": False}}
    required = [f.name for f in spec.fields if not f.nullable]
    return {"type": "object", "properties": properties, "required": required}


def list_schema(name):
    return {"type": "object", "properties": {
        "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{name}"}},
        "count": {"type": "integer"}, "count_is_exact": {"type": "boolean"},
        "estimate": {"type": ["integer", "null"]}, "page": {"type": "integer"},
        "per_page": {"type": "integer", "enum": list(PAGE_SIZES)},
        "next": {"type": ["string", "null"], "format": "uri"},
        "previous": {"type": ["string", "null"], "format": "uri"}}}


def _filter_parameters(spec):
    parameters = []
    for grid_filter in make_filters(spec.model, spec.view.filters, timezone.utc):
        parameters.append({"name": grid_filter.key, "in": "query", "required": False,
                           "description": f"Filter on {grid_filter.label}",
                           "schema": {"type": "string"}})
        if len(grid_filter.operators) > 1:
            parameters.append({"name": f"{grid_filter.key}.op", "in": "query", "required": False,
                               "schema": {"type": "string", "enum": list(grid_filter.operators)}})
        if "between" in grid_filter.operators:
            parameters.append({"name": f"{grid_filter.key}.to", "in": "query", "required": False,
                               "schema": {"type": "string"}})
    return parameters


def list_path(spec, name):
    parameters = [
        {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 200},
         "description": "Contains this text, ignoring case (the list page's search)"},
        {"name": "sort", "in": "query", "schema": {"type": "string"}},
        {"name": "dir", "in": "query", "schema": {"type": "string", "enum": ["asc", "desc"]}},
        {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "enum": list(PAGE_SIZES)}},
        {"name": "after", "in": "query", "schema": {"type": "string"},
         "description": "Keyset cursor (from a `next` link)"},
        {"name": "before", "in": "query", "schema": {"type": "string"},
         "description": "Keyset cursor (from a `previous` link)"},
    ] + _filter_parameters(spec)
    operations = {"get": {
        "summary": f"List {spec.title_plural.lower()}", "operationId": f"list_{spec.name}",
        "tags": [spec.title_plural], "parameters": parameters,
        "responses": {"200": _json(f"#/components/schemas/{name}List", f"{spec.title_plural}"),
                      "400": _error("A parameter cannot be honoured"),
                      "401": _error("No credentials"), "403": _error("No permission")}}}
    if spec.editable:
        operations["post"] = {
            "summary": f"Create a {spec.title.lower()}", "operationId": f"create_{spec.entity}",
            "tags": [spec.title_plural],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}"}}}},
            "responses": {"201": _json(f"#/components/schemas/{name}", "Created"),
                          "401": _error("No credentials"), "403": _error("No permission"),
                          "422": _error("The form refuses a value: {errors: {field: [messages]}}")}}
    return operations


def record_path(spec, name):
    key = {"name": "uuid", "in": "path", "required": True,
           "schema": {"type": "string", "pattern": "^[0-9a-f]{32}$"}}
    operations = {"parameters": [key], "get": {
        "summary": f"One {spec.title.lower()} with its child rows",
        "operationId": f"get_{spec.entity}", "tags": [spec.title_plural],
        "responses": {"200": _json(f"#/components/schemas/{name}", spec.title),
                      "401": _error("No credentials"), "403": _error("No permission"),
                      "404": _error("No such record")}}}
    if spec.editable:
        guard = {"name": "If-Match", "in": "header", "required": True,
                 "schema": {"type": "string"}, "description": "The record's ETag (its version)"}
        common = {"401": _error("No credentials"), "403": _error("No permission"),
                  "404": _error("No such record"), "412": _error("Changed since (stale If-Match)"),
                  "428": _error("If-Match is required")}
        operations["patch"] = {
            "summary": f"Change named fields of a {spec.title.lower()}",
            "operationId": f"update_{spec.entity}", "tags": [spec.title_plural],
            "parameters": [guard],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/{name}"}}}},
            "responses": {"200": _json(f"#/components/schemas/{name}", "Saved"),
                          "422": _error("The form refuses a value"), **common}}
        operations["delete"] = {
            "summary": f"Delete a {spec.title.lower()}", "operationId": f"delete_{spec.entity}",
            "tags": [spec.title_plural], "parameters": [guard],
            "responses": {"204": {"description": "Deleted"},
                          "409": _error("Other records refer to it"), **common}}
    return operations


def _json(ref, description):
    return {"description": description, "content": {"application/json": {"schema": {"$ref": ref}}}}


def _error(description):
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}
