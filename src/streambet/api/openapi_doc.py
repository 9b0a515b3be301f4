"""`GET /api/openapi.json`: OpenAPI 3.1 built from the URL map and each view's `Doc`, so
the document cannot drift from the routes. Pydantic models become components."""

from __future__ import annotations

import re
import sys
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from streambet.api.auth import Access, access_of
from streambet.api.converters import schema_of
from streambet.api.openapi import Doc, documented

bp = Blueprint("openapi", __name__)

REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"<(?:[a-z_]+:)?([A-Za-z_][A-Za-z0-9_]*)>")
_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted",
    204: "No content",
    400: "The request is not valid",
    401: "A bearer token is needed, or it is not valid",
    403: "The token's role is not allowed to do this",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Too large",
    415: "Unsupported media type",
    414: "The URL is too long",
    429: "Too many attempts: wait Retry-After seconds",
    503: "A dependency is down",
}
_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "details"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {},
            },
        }
    },
}


def _models(docs: list[Doc]) -> list[type[BaseModel]]:
    seen: dict[str, type[BaseModel]] = {}
    for doc in docs:
        for model in (doc.body, *doc.responses.values()):
            if model is not None:
                seen.setdefault(model.__name__, model)
    return list(seen.values())


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        prop.pop("title", None)
        # A nullable query parameter is simply omitted; the string "null" is not None.
        if "anyOf" in prop:
            options = [o for o in prop.pop("anyOf") if o.get("type") != "null"]
            prop.update(options[0] if len(options) == 1 else {"anyOf": options})
            prop.pop("default", None)
        params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    return params


def _security(access: Access, compat_mode: bool) -> dict[str, Any]:
    """The security of an operation, from the `@requires` that enforces it."""
    role = access.role.value
    if access.compat and compat_mode:
        return {
            # an empty requirement: the request may also come without credentials
            "security": [{"bearer": []}, {}],
            "x-required-role": role,
            "description": (
                f"Needs a bearer token of role {role} or higher; without one (outside"
                " production) it acts as the demo operator, as the original did."
            ),
        }
    return {
        "security": [{"bearer": []}],
        "x-required-role": role,
        "description": f"Needs a bearer token of role {role} or higher.",
    }


def _operation(
    doc: Doc | None, view: Any, path_params: dict[str, dict[str, Any]], compat_mode: bool
) -> dict[str, Any]:
    if doc is None:  # still listed, so the document covers every route
        summary = (view.__doc__ or view.__name__).strip().splitlines()[0]
        doc = Doc(summary, responses={200: None})
    op: dict[str, Any] = {"summary": doc.summary, "tags": list(doc.tags)}
    params = [
        {"name": name, "in": "path", "required": True, "schema": schema}
        for name, schema in path_params.items()
    ]
    if doc.query is not None:
        params += _query_parameters(doc.query)
    if params:
        op["parameters"] = params
    if doc.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF.format(model=doc.body.__name__)}}
            },
        }
    elif doc.multipart:
        op["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"] if "file" in doc.multipart else [],
                        "properties": {
                            name: (
                                {"type": "string", "format": "binary", "description": text}
                                if name == "file"
                                else {"type": "string", "description": text}
                            )
                            for name, text in doc.multipart.items()
                        },
                    }
                }
            },
        }
    responses: dict[str, Any] = {}
    for status, model in sorted(doc.responses.items()):
        entry: dict[str, Any] = {"description": _STATUS_TEXT.get(status, "Response")}
        if model is not None:
            schema = {"$ref": REF.format(model=model.__name__)}
            entry["content"] = {"application/json": {"schema": schema}}
        elif status >= 400:
            entry["content"] = {"application/json": {"schema": {"$ref": REF.format(model="Error")}}}
        responses[str(status)] = entry
    op["responses"] = responses
    access = access_of(view)
    if access is None:
        op["security"] = []  # public, said explicitly
    else:
        op.update(_security(access, compat_mode))
    return op


def build_document(app: Flask, compat_mode: bool = False) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    docs: list[Doc] = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        doc: Doc | None = getattr(view, "__openapi__", None)
        if doc is not None:
            docs.append(doc)
        path = _PARAM.sub(r"{\1}", rule.rule)
        params = {
            name: schema_of(rule._converters[name])  # the converter that enforces it
            for name in _PARAM.findall(rule.rule)
        }
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(doc, view, params, compat_mode)
    _, schemas = models_json_schema([(m, "serialization") for m in _models(docs)], ref_template=REF)
    components = dict(schemas.get("$defs", {}))
    components["Error"] = _ERROR_SCHEMA
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "StreamBet API",
            "version": "1",
            # the application package's own docstring
            "description": (sys.modules[app.import_name].__doc__ or "").strip(),
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/api/openapi.json")
@documented("This document", tags=("service",))
def openapi_json() -> Response:
    doc = current_app.extensions.get("streambet.openapi")
    if doc is None:
        compat = current_app.extensions["streambet"].settings.compat_mode
        doc = current_app.extensions["streambet.openapi"] = build_document(current_app, compat)
    return jsonify(doc)
