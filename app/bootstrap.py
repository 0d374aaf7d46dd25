"""The composition root: the one place that knows every flow and wires the service explicitly.

It builds the flow registry (message type -> owning flow, then its extensions), the header
rules, the pre-create checks of the back office, the API routers, the CLI command groups and the
demo loaders.  Nothing in `app` registers itself on import; a new flow is one package and one
line in `register_flows` below.

Dependency direction (enforced by import-linter, see pyproject.toml):

    ijw  <-  db  <-  exchange  <-  reference  <-  flows  <-  budget  <-  backoffice
         <-  api / cli / harness  <-  bootstrap
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData

from app.api import autoalloc as autoalloc_api
from app.api import backoffice as backoffice_api
from app.api import berichten
from app.api import ceilings as ceilings_api
from app.api import contracts as contracts_api
from app.api import declarations as declarations_api
from app.api.app import build_app
from app.api.deps import Service
from app.backoffice.service import BackOffice
from app.budget import autoalloc, ceilings, financing
from app.budget import models as budget_models
from app.cli import ceilings as ceilings_cli
from app.cli import codelists as codelists_cli
from app.cli import contracts as contracts_cli
from app.cli import harness as harness_cli
from app.cli import main as cli
from app.cli import service as service_cli
from app.cli import validate as validate_cli
from app.clock import Clock, clock_for
from app.config import Settings
from app.db.base import Base, make_engine, session_factory
from app.db.migrate import ensure_current
from app.exchange import header_rules
from app.exchange import models as exchange_models
from app.exchange.flow import Flows
from app.exchange.header_rules import HeaderRule
from app.exchange.intake import Intake
from app.exchange.outbound import Outbound
from app.flows.allocations import models as allocation_models
from app.flows.allocations.flow import Jw301Flow, Jw302Flow
from app.flows.allocations.planning import PreCreateCheck
from app.flows.declarations import models as declaration_models
from app.flows.declarations.flow import DeclarationFlow, NoDeletionAfterPrestaties
from app.flows.deliveries import models as delivery_models
from app.flows.deliveries.flow import Jw305Flow, Jw307Flow, TaakgerichtCheck
from app.flows.requests import models as request_models
from app.flows.requests.flow import (
    HonouringJw301,
    HonouringJw302,
    Jw315Flow,
    Jw317Flow,
    Jw319Flow,
    Jw320Flow,
    referenced_dates,
)
from app.ijw import xml
from app.logging import configure as configure_logging
from app.reference import models as reference_models
from app.reference.codelists import Tr378
from app.reference.contracts import load_demo_contracts

# Every table module, so `Base.metadata` knows all tables (Alembic, tests).
MODEL_MODULES = (
    exchange_models,
    reference_models,
    allocation_models,
    request_models,
    delivery_models,
    declaration_models,
    budget_models,
)


def metadata() -> MetaData:
    """The metadata of every table of the service."""
    return Base.metadata


@dataclass(frozen=True)
class Wiring:
    """The choices a deployment (or a test) can make when the service is built."""

    # Taakgericht products (no allocation, IV096) for TR019; None: every start/stop needs one.
    taakgericht: TaakgerichtCheck | None = None
    # Checks run before the back office or automatic handling sends a JW301, in this order.
    pre_create_checks: Sequence[PreCreateCheck] = field(
        default_factory=lambda: (financing.check_planned, ceilings.check_planned)
    )


def header_rule_list() -> tuple[HeaderRule, ...]:
    """Every header rule, in the order they run: TR056, TR135, TR378."""
    return (*header_rules.GENERIC, Tr378(sources=(referenced_dates,)))


def register_flows(flows: Flows, outbound: Outbound, wiring: Wiring) -> None:
    """Every flow of the service, then the extensions that flows add to others."""
    m = flows.messages
    m.register("JW301", Jw301Flow())
    m.extend("JW301", HonouringJw301())  # TR379; requests honoured by the JW301
    m.extend("JW301", NoDeletionAfterPrestaties())  # TR385
    m.register("JW302", Jw302Flow())
    m.extend("JW302", HonouringJw302())
    m.register("JW305", Jw305Flow(wiring.taakgericht))
    m.register("JW307", Jw307Flow(wiring.taakgericht))
    m.register("JW315", Jw315Flow())
    m.extend("JW315", autoalloc.AutoAllocation(outbound))  # opt-in per region
    m.register("JW317", Jw317Flow())
    m.register("JW319", Jw319Flow())
    m.register("JW320", Jw320Flow())
    flows.declarations.register("JW323", DeclarationFlow())


ROUTERS: tuple[APIRouter, ...] = (
    berichten.router,
    declarations_api.router,
    declarations_api.prestaties_router,
    contracts_api.router,
    ceilings_api.router,
    autoalloc_api.router,
    backoffice_api.router,
    backoffice_api.clock_router,
)


def build_service(settings: Settings, clock: Clock, wiring: Wiring) -> Service:
    """The service on a migrated database: engine, flows, intake, outbound path, back office."""
    engine = make_engine(settings.database_url, write_wait=settings.write_wait)
    ensure_current(engine)
    # Every schema is compiled before the first request (issue 10, defect 1): no request ever
    # compiles one, and a schema that does not compile stops the start instead of a request.
    xml.compile_all()
    factory = session_factory(engine)
    flows = Flows()
    rules = header_rule_list()
    outbound = Outbound(flows, rules, settings, clock)
    register_flows(flows, outbound, wiring)
    intake = Intake(factory, settings, clock, flows, rules, outbound)
    backoffice = BackOffice(factory, clock, outbound, wiring.pre_create_checks)
    return Service(settings, clock, engine, factory, intake, backoffice)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, wiring: Wiring | None = None
) -> FastAPI:
    """The HTTP service; refuses to start on a database that is not fully migrated."""
    settings = settings or Settings()
    clock = clock or clock_for(settings.fixed_today)
    return build_app(build_service(settings, clock, wiring or Wiring()), ROUTERS)


DEMO_LOADERS: tuple[cli.DemoLoader, ...] = (load_demo_contracts,)
CLI_GROUPS: tuple[cli.Group, ...] = (
    service_cli.register,
    validate_cli.register,
    harness_cli.register,
    codelists_cli.register,
    contracts_cli.register,
    ceilings_cli.register,
)


def worker_app() -> FastAPI:
    """The app of one worker process of `ijw serve --workers N` (uvicorn imports and calls
    this in each worker; the settings come from the environment)."""
    configure_logging()
    return create_app()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ijw` console script."""
    root = cli.Root(
        create_app=lambda settings: create_app(settings),
        demo_loaders=DEMO_LOADERS,
        worker_app="app.bootstrap:worker_app",
    )
    return cli.run(argv, root, CLI_GROUPS)


if __name__ == "__main__":
    sys.exit(main())
