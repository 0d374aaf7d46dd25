"""Every router beyond the message exchange; add new API modules here."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

from app.api import declarations as _declarations  # noqa: E402

ROUTERS += [_declarations.router, _declarations.prestaties_router]
