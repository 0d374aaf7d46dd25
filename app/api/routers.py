"""Every router beyond the message exchange; add new API modules here."""

from fastapi import APIRouter

ROUTERS: list[APIRouter] = []

from app.api import declarations as _declarations  # noqa: E402

ROUTERS += [_declarations.router, _declarations.prestaties_router]

from app.api import contracts as _contracts  # noqa: E402

ROUTERS += [_contracts.router]

from app.api import ceilings as _ceilings  # noqa: E402

ROUTERS += [_ceilings.router]

from app.api import autoalloc as _autoalloc  # noqa: E402

ROUTERS += [_autoalloc.router]

from app.api import backoffice as _backoffice  # noqa: E402

ROUTERS += [_backoffice.router, _backoffice.clock_router]
