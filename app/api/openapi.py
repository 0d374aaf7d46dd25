"""The OpenAPI document tells the truth about errors: every operation documents the problem
statuses the service can answer, as `application/problem+json` with the `Problem` schema, and
operation ids are the route functions' names."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.api.errors import Problem
from app.exchange.problems import MEDIA_TYPE

# What may come back from any operation; specific ones stay documented by the routes.
ERRORS: dict[str, str] = {
    "400": "Bad request (e.g. not a cursor of this endpoint, not well-formed XML)",
    "401": "No valid API token (`WWW-Authenticate: Bearer`)",
    "403": "Not allowed for this party",
    "404": "Not found, or not yours",
    "409": "Conflicts with the current state",
    "413": "The body exceeds 25 MB",
    "422": "The request (or the message in it) is not valid; `errors[]` says where",
    "500": "Internal error; quote the request id",
    "503": "Busy or not ready; retry (see `Retry-After`)",
}


def operation_id(route: APIRoute) -> str:
    """The route function's name: `list_requests`, `post_bericht`, ..."""
    return route.name


def install(app: FastAPI) -> None:
    """Replace the app's OpenAPI generator by one that documents every error as a problem."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        doc = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
            tags=app.openapi_tags,
        )
        components = doc.setdefault("components", {}).setdefault("schemas", {})
        components["Problem"] = Problem.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        problem = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        for path in doc.get("paths", {}).values():
            for operation in path.values():
                responses = operation.setdefault("responses", {})
                for status, text in ERRORS.items():
                    given = responses.get(status, {})
                    responses[status] = {
                        "description": given.get("description") or text,
                        "content": problem,
                    }
        app.openapi_schema = doc
        return doc

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
