"""The composition root: the one place that knows every flow and wires the service explicitly.

It builds the flow registry (message type -> owning flow, then its extensions), the header
rules, the checks on every JW301 the gemeente sends, the API routers, the CLI command groups and the
demo loaders.  Nothing in `app` registers itself on import; a new flow is one package and one
line in `register_flows` below.

Dependency direction (enforced by import-linter, see pyproject.toml):

    ijw  <-  db  <-  exchange  <-  reference  <-  flows  <-  budget  <-  backoffice
         <-  steering  <-  harness  <-  api / cli  <-  bootstrap
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from fastapi import APIRouter, FastAPI
from sqlalchemy import MetaData
from sqlalchemy.orm import Session

from app import memory
from app.accounts import models as account_models
from app.api import autoalloc as autoalloc_api
from app.api import backoffice as backoffice_api
from app.api import berichten
from app.api import ceilings as ceilings_api
from app.api import contracts as contracts_api
from app.api import declarations as declarations_api
from app.api import ggk as ggk_api
from app.api import steering as steering_api
from app.api.app import build_app
from app.api.deps import Service
from app.backoffice import models as backoffice_models
from app.backoffice.service import BackOffice
from app.budget import autoalloc, ceilings, financing, guard
from app.budget import models as budget_models
from app.cli import ceilings as ceilings_cli
from app.cli import codelists as codelists_cli
from app.cli import contracts as contracts_cli
from app.cli import examples as examples_cli
from app.cli import ggk as ggk_cli
from app.cli import harness as harness_cli
from app.cli import main as cli
from app.cli import service as service_cli
from app.cli import steering as steering_cli
from app.cli import users as users_cli
from app.cli import validate as validate_cli
from app.clock import Clock, SystemClock, clock_for
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
from app.ggk import models as ggk_models
from app.ggk import store as ggk_store
from app.ggk.channel import Envelopes, GgkDispatcher, GgkTransportLog
from app.ggk.config import GgkSettings
from app.ggk.delivery import Deliverer
from app.ggk.inbound import GgkInbound
from app.ggk.service import Ggk
from app.ijw import xml
from app.logging import configure as configure_logging
from app.reference import models as reference_models
from app.reference.codelists import Tr378
from app.reference.contracts import load_demo_contracts, taakgericht_contracted, version_sections
from app.steering import models as steering_models
from app.steering import reports
from app.ui import demo as ui_demo
from app.ui import web
from app.ui.core import FailedDelivery, Hooks, UiContext, UiSettings

# Every table module, so `Base.metadata` knows all tables (Alembic, tests).
MODEL_MODULES = (
    exchange_models,
    reference_models,
    allocation_models,
    request_models,
    delivery_models,
    declaration_models,
    budget_models,
    account_models,
    ggk_models,
    backoffice_models,
    steering_models,
)


def metadata() -> MetaData:
    """The metadata of every table of the service."""
    return Base.metadata


@dataclass(frozen=True)
class Wiring:
    """The choices a deployment (or a test) can make when the service is built."""

    # Taakgericht products (no allocation, IV096) for TR019: by default the products a contract
    # line has with variant taakgericht; None: every start/stop needs an allocation.
    taakgericht: TaakgerichtCheck | None = taakgericht_contracted
    # Checks on every JW301 the gemeente sends (back office, automatic handling, posted), in
    # this order: profile stacking, budget ceilings, OP296 contract, OP186/OP298/OP299 consent.
    pre_create_checks: Sequence[PreCreateCheck] = field(
        default_factory=lambda: (
            financing.check_planned,
            ceilings.check_planned,
            guard.check_contract,
            guard.check_changes,
        )
    )
    # The GGk channel's settings (None: from the environment) and whether the app delivers the
    # outbox itself while it serves (`ijw ggk deliver` can do it in a process of its own).
    ggk: GgkSettings | None = None
    deliver_in_background: bool = True


def header_rule_list() -> tuple[HeaderRule, ...]:
    """Every header rule, in the order they run: TR056, TR135, TR378."""
    return (*header_rules.GENERIC, Tr378(sources=(referenced_dates,)))


def register_flows(flows: Flows, outbound: Outbound, wiring: Wiring) -> None:
    """Every flow of the service, then the extensions that flows add to others."""
    m = flows.messages
    m.register("JW301", Jw301Flow())
    m.extend("JW301", HonouringJw301())  # TR379; requests honoured by the JW301
    m.extend("JW301", NoDeletionAfterPrestaties())  # TR385
    m.extend("JW301", guard.AllocationGuard(wiring.pre_create_checks))  # on every path
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
    ggk_api.router,
    steering_api.router,
)


def build_service(settings: Settings, clock: Clock, wiring: Wiring) -> tuple[Service, Ggk]:
    """The service on a migrated database: engine, flows, intake, outbound path, back office,
    and the GGk channel beside the feeds (its dispatcher hands both paths their messages)."""
    engine = make_engine(settings.database_url, write_wait=settings.write_wait)
    ensure_current(engine)
    # Every schema is compiled before the first request: no request ever compiles one, and a
    # schema that does not compile stops the start instead of failing a request.
    xml.compile_all()
    factory = session_factory(engine)
    ggk_settings = wiring.ggk or GgkSettings()
    wall = SystemClock()  # envelope times and retries are real time, whatever "today" is pinned
    envelopes = Envelopes(ggk_settings, wall)
    dispatcher = GgkDispatcher(envelopes, ggk_settings)
    flows = Flows()
    rules = header_rule_list()
    outbound = Outbound(flows, rules, settings, clock, dispatcher)
    register_flows(flows, outbound, wiring)
    intake = Intake(factory, settings, clock, flows, rules, outbound, dispatcher)
    # The pre-create checks run in the JW301 flow (the budget guard), so the back office
    # needs none of its own.
    backoffice = BackOffice(factory, clock, outbound)
    service = Service(
        settings, clock, engine, factory, intake, backoffice, transport=GgkTransportLog()
    )
    ggk = Ggk(
        ggk_settings,
        GgkInbound(factory, intake, envelopes, wall),
        Deliverer(factory, ggk_settings, wall),
        deliver_in_background=wiring.deliver_in_background,
    )
    return service, ggk


# Where other parts slot into the web interface (one per page, see app.ui.core.Hooks): GGk
# delivery failures on Berichtenverkeer, steering reports on Plafonds, contract-set versions on
# Contracten, and `actor=True` once the back-office services record the user themselves.
def ggk_failures(session: Session, gemeente: str) -> list[FailedDelivery]:
    """Berichtenverkeer's failed deliveries: messages of the gemeente the GGk chain reported lost
    (a Fo01 about them), with the chain's code and text."""
    return [
        FailedDelivery(
            message_id=message.id,
            message_type=message.message_type or "",
            counterpart=message.receiver or "",
            failed_at=entry.updated_at.isoformat(),
            code=entry.code or "",
            text=entry.text or "",
        )
        for entry, message in ggk_store.failed_for(session, gemeente)
    ]


UI_HOOKS = Hooks(
    delivery_failures=ggk_failures,
    steering=reports.sections,
    contract_versions=version_sections,
    actor=True,
)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, wiring: Wiring | None = None
) -> FastAPI:
    """The HTTP service; refuses to start on a database that is not fully migrated.  While it
    serves, it delivers the GGk outbox when IJW_GGK_URL is set."""
    settings = settings or Settings()
    clock = clock or clock_for(settings.fixed_today)
    service, ggk = build_service(settings, clock, wiring or Wiring())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        ggk.start()
        try:
            yield
        finally:
            ggk.stop()

    app = build_app(service, ROUTERS, lifespan)
    app.add_middleware(ggk_api.SoapBodyLimit)  # outermost: the GGk's 25 MB answer is SOAP
    app.state.ggk = ggk
    ui = UiContext(
        service.factory, service.clock, service.backoffice, UiSettings.from_env(), UI_HOOKS
    )
    web.mount(app, ui)
    return app


def demo_web(settings: Settings) -> list[str]:
    """Demo traffic through the service (on its own moving clock) and the demo users."""
    today = clock_for(settings.fixed_today).today()
    clock = ui_demo.DemoClock(today)
    svc, _ = build_service(settings, clock, Wiring())
    loaded = ui_demo.load_traffic(
        ui_demo.Parts(svc.intake, svc.backoffice, svc.factory), clock, today
    )
    password = ui_demo.load_users(
        svc.factory, clock_for(None).now(), os.environ.get("IJW_DEMO_PASSWORD") or None
    )
    svc.engine.dispose()
    return [
        "demo traffic: " + ("loaded" if loaded else "already there"),
        "web interface: {base}/ui/  (sign in as demo, demo-lezer, demo-contract or demo-regio)",
        f"  password for every demo user (new on every run): {password}",
    ]


DEMO_LOADERS: tuple[cli.DemoLoader, ...] = (load_demo_contracts,)
DEMO_EXTRAS: tuple[cli.DemoExtra, ...] = (demo_web,)
CLI_GROUPS: tuple[cli.Group, ...] = (
    service_cli.register,
    validate_cli.register,
    examples_cli.register,
    harness_cli.register,
    codelists_cli.register,
    contracts_cli.register,
    ceilings_cli.register,
    users_cli.register,
    ggk_cli.register,
    steering_cli.register,
)


def worker_app() -> FastAPI:
    """The app of one worker process of `ijw serve --workers N` (uvicorn imports and calls
    this in each worker; the settings come from the environment)."""
    settings = Settings()
    configure_logging(settings.log_level)
    memory.limit_arenas()  # a fresh interpreter: the parent's malloc setting is not inherited
    return create_app(settings)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `ijw` console script."""
    root = cli.Root(
        create_app=lambda settings: create_app(settings),
        demo_loaders=DEMO_LOADERS,
        demo_extras=DEMO_EXTRAS,
        worker_app="app.bootstrap:worker_app",
    )
    return cli.run(argv, root, CLI_GROUPS)


if __name__ == "__main__":
    sys.exit(main())
