"""`ijw ggk ...`: deliver the outbox, choose a party's channel, look at the outbox, and the GGk
simulator (`simulate`, and `send`, `fo01`, `down`, `up`, `received` that drive a running one);
`ijw ggk demo` is `make run GGK=1`: the demo service with the simulator next to it."""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

import httpx
import uvicorn

from app.cli.main import Root, db_option, fail, migrated_factory
from app.cli.protocol import ProblemH11Protocol
from app.cli.service import load_demo, print_demo_parties
from app.cli.tls import server_options
from app.clock import SystemClock, clock_for
from app.config import Settings, state_dir
from app.db.base import transaction
from app.exchange import parties
from app.ggk import store
from app.ggk.config import CHANNELS, GgkSettings
from app.ggk.delivery import Deliverer, Worker
from app.ggk.simulator import Link, Simulator
from app.ijw import render
from app.ijw.header import forward_header
from app.logging import configure

DEFAULT_SIMULATOR = "http://127.0.0.1:8001"


def _simulator_url(args: argparse.Namespace) -> str:
    return str(args.simulator or os.environ.get("IJW_GGK_SIMULATOR") or DEFAULT_SIMULATOR)


def _control(args: argparse.Namespace, path: str, body: dict[str, Any] | None = None) -> int:
    """Call the running simulator's control API and print its JSON answer."""
    url = _simulator_url(args).rstrip("/") + path
    try:
        r = httpx.post(url, json=body or {}, timeout=60) if body is not None else httpx.get(url)
    except httpx.HTTPError as exc:
        return fail(f"no GGk simulator at {_simulator_url(args)} ({exc}); start `ijw ggk simulate`")
    print(json.dumps(r.json(), indent=2))
    if r.status_code >= 400:
        return 1
    data = r.json()
    return 0 if data.get("acknowledged", True) else 1


def demo_jw315(agb: str, gemeente: str, day: date, identificatie: str = "DEMO1") -> bytes:
    """A small valid JW315 (a request for one product) for the demo round trip."""
    data = {
        "Header": forward_header("JW315", agb, gemeente, identificatie, day),
        "Client": {
            "Bsn": "123456782",
            "Geboortedatum": {"Datum": day - timedelta(days=3650)},
            "Geslacht": "1",
            "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "Voorletters": "P"},
            "AangevraagdeProducten": {
                "AangevraagdProduct": [
                    {
                        "ReferentieAanbieder": f"{identificatie}-1",
                        "Product": {"Categorie": "45", "Code": "45A04"},
                        "ToewijzingIngangsdatum": day,
                        "ToewijzingEinddatum": day + timedelta(days=365),
                        "Omvang": {"Volume": 3, "Eenheid": "04", "Frequentie": "2"},
                        "Verwijzer": {"Type": "02", "ZorgverlenerCode": "01234567"},
                    }
                ]
            },
        },
    }
    return render.render("JW315", data)


def register(sub: Any, root: Root) -> None:
    """Add the `ggk` group."""
    ggk = sub.add_parser("ggk", help="the GGk channel: delivery, channels, simulator")
    gsub = ggk.add_subparsers(dest="ggk", required=True)

    def cmd_deliver(args: argparse.Namespace) -> int:
        configure(Settings().log_level)
        settings = GgkSettings()
        if not settings.url:
            return fail("IJW_GGK_URL is not set: where should the envelopes go?")
        deliverer = Deliverer(migrated_factory(args), settings, SystemClock())
        if args.once:
            done = deliverer.deliver_due()
            for a in done:
                state = "delivered" if a.delivered else f"retry later ({a.error})"
                print(f"{a.referentienummer} attempt {a.attempt}: {state}")
            print(f"{sum(a.delivered for a in done)} of {len(done)} delivered")
            return 0
        worker = Worker(deliverer)

        def stop(_signum: int, _frame: FrameType | None) -> None:
            worker.stop(timeout=0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        worker.run()  # until a signal stops it
        return 0

    def cmd_channel(args: argparse.Namespace) -> int:
        with transaction(migrated_factory(args)) as session:
            party = parties.by_code(session, args.code)
            if party is None or party.role != "aanbieder":
                # only what we send to a provider leaves through a channel; a gemeente's own
                # feed (what came in for it) always fills
                return fail(f"no aanbieder {args.code}")
            if args.channel:
                store.set_channel(session, party.id, args.channel)
            chosen = store.channel_of(session, party.id, GgkSettings().default_channel)
            print(f"{party.code}: {chosen}")
        return 0

    def cmd_outbox(args: argparse.Namespace) -> int:
        with migrated_factory(args)() as session:
            for e in store.outbox(session, args.state, args.limit):
                about = e.code or e.last_error or ""
                print(
                    f"{e.id:6} {e.kind} {e.functie or '-':5} {e.state:9} attempts={e.attempts} "
                    f"ref={e.referentienummer} cross={e.cross_ref or '-'} to={e.ontvanger} {about}"
                )
        return 0

    def cmd_simulate(args: argparse.Namespace) -> int:
        configure(Settings().log_level)
        link = Link(
            args.service_url,
            token=args.token or os.environ.get("IJW_GGK_TOKEN"),
            cert=args.cert,
            key=args.key,
            ca=args.ca,
        )
        sim = Simulator(link, Path(args.record) if args.record else None, echo=not args.quiet)
        sim.state.down = args.down
        print(
            f"GGk simulator on http://{args.host}:{args.port}/ggk/OntvangAsynchroon "
            f"delivering to {link.endpoint}",
            flush=True,
        )
        tls = server_options(args.tls_cert, args.tls_key, args.tls_client_ca, False)
        tls.pop("http", None)
        uvicorn.run(sim.app(), host=args.host, port=args.port, log_config=None, **tls)
        return 0

    def cmd_send(args: argparse.Namespace) -> int:
        body = {"xml": Path(args.file).read_text(encoding="utf-8"), "from": args.sender}
        if args.cross_ref:
            body["cross_ref"] = args.cross_ref
        return _control(args, "/sim/send", body)

    def cmd_fo01(args: argparse.Namespace) -> int:
        return _control(
            args,
            "/sim/fo01",
            {"cross_ref": args.referentienummer, "code": args.code, "text": args.text},
        )

    def cmd_demo(args: argparse.Namespace) -> int:
        return demo(root, args)

    p = gsub.add_parser("deliver", help="deliver the outbox to $IJW_GGK_URL (until stopped)")
    p.add_argument("--once", action="store_true", help="deliver what is due now, then exit")
    db_option(p)
    p.set_defaults(func=cmd_deliver)

    p = gsub.add_parser("channel", help="show or choose where a party's messages go")
    p.add_argument("code", help="the party's CBS or AGB code")
    p.add_argument("channel", nargs="?", choices=CHANNELS)
    db_option(p)
    p.set_defaults(func=cmd_channel)

    p = gsub.add_parser("outbox", help="the envelopes to deliver, newest first")
    p.add_argument("--state", choices=[store.QUEUED, store.DELIVERED, store.ANSWERED, store.FAILED])
    p.add_argument("--limit", type=int, default=50)
    db_option(p)
    p.set_defaults(func=cmd_outbox)

    p = gsub.add_parser("simulate", help="run a stand-in of the GGk chain on a local port")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8001)
    p.add_argument("--service-url", default="http://127.0.0.1:8000", help="the iJw service")
    p.add_argument("--token", help="token of a ggk party of the service ($IJW_GGK_TOKEN)")
    p.add_argument("--cert", help="client certificate towards the service (two-way TLS)")
    p.add_argument("--key", help="its key")
    p.add_argument("--ca", help="CA bundle of the service's certificate")
    p.add_argument("--tls-cert", help="serve the simulator over https with this certificate")
    p.add_argument("--tls-key")
    p.add_argument("--tls-client-ca", help="require the service's client certificate")
    p.add_argument("--record", help="also write every envelope received to this folder")
    p.add_argument("--down", action="store_true", help="start pretending to be down")
    p.add_argument("--quiet", action="store_true", help="do not print what comes in")
    p.set_defaults(func=cmd_simulate)

    for name, help_text in (
        ("send", "deliver a provider's message to the service through the simulator"),
        ("fo01", "let the simulator send a Fo01 about one of the service's envelopes"),
        ("down", "let the simulator pretend to be down"),
        ("up", "let the simulator be up again"),
        ("received", "show what the simulator received"),
    ):
        p = gsub.add_parser(name, help=help_text)
        p.add_argument(
            "--simulator", help=f"its URL (default $IJW_GGK_SIMULATOR or {DEFAULT_SIMULATOR})"
        )
        if name == "send":
            p.add_argument("file", help="an iJw message (a JW302/JW320 goes as a Du01)")
            p.add_argument("--from", dest="sender", required=True, help="the provider's AGB")
            p.add_argument("--cross-ref", help="for a JW302/JW320: the Di01 it answers")
            p.set_defaults(func=cmd_send)
        elif name == "fo01":
            p.add_argument("referentienummer", help="the service's envelope it is about")
            p.add_argument("--code", default="IB210")
            p.add_argument("--text", default="Ontvangende organisatie onbekend")
            p.set_defaults(func=cmd_fo01)
        elif name == "received":
            p.set_defaults(func=lambda a: _control(a, "/sim/received"))
        else:
            p.set_defaults(func=lambda a, n=name: _control(a, f"/sim/{n}", {}))

    p = gsub.add_parser("demo", help="the demo service with the GGk simulator next to it")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--simulator-port", type=int, default=8001)
    db_option(p)
    p.set_defaults(func=cmd_demo)


def demo(root: Root, args: argparse.Namespace) -> int:
    """`make run GGK=1`: demo data, a ggk party, the providers on both channels, the simulator
    in this process, then the service delivering to it."""
    if args.database_url:
        os.environ["IJW_DATABASE_URL"] = args.database_url
    sim_url = f"http://127.0.0.1:{args.simulator_port}"
    os.environ.setdefault("IJW_GGK_URL", f"{sim_url}/ggk/OntvangAsynchroon")
    os.environ.setdefault("IJW_GGK_POLL", "0.5")
    os.environ.setdefault("IJW_GGK_BACKOFF", "1")
    config = Settings()
    rows = load_demo(root, config)
    with transaction(migrated_factory(args)) as session:
        chain = parties.by_code(session, "GGK")
        if chain is None:
            chain, token = parties.add_party(session, parties.GGK_ROLE, "GGK", "GGk", SystemClock())
        else:
            token = parties.rotate_token(session, chain)
        for role, code, *_ in rows:
            if role == "aanbieder":
                party = parties.by_code(session, code)
                assert party is not None
                store.set_channel(session, party.id, "both")
    today = clock_for(config.fixed_today).today()
    folder = state_dir() / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    sample = folder / "jw315.xml"
    sample.write_bytes(demo_jw315("12345678", "0363", today, f"D{int(time.time()) % 10**9}"))
    print_demo_parties(rows)
    print("  ggk       GGK       GGk (the chain; the simulator uses this token)")
    print(f"    export GGK_TOKEN={token}")
    print(f"GGk simulator: {sim_url} (what we send: {sim_url}/sim/received)")
    flag = "" if args.simulator_port == 8001 else f" --simulator {sim_url}"
    print(f"  try: ijw ggk send {sample} --from 12345678{flag}")
    print("       (a JW315 in a Di01: a Bv03 at once, our JW316 in a Du01 shortly after)")
    sim = Simulator(Link(f"http://127.0.0.1:{args.port}", token=token))
    server = uvicorn.Server(
        uvicorn.Config(sim.app(), host="127.0.0.1", port=args.simulator_port, log_config=None)
    )
    threading.Thread(target=server.run, name="ggk-simulator", daemon=True).start()
    print(f"serving on http://127.0.0.1:{args.port}  (OpenAPI: /docs)", flush=True)
    configure(config.log_level)
    app = root.create_app(config)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_config=None, http=ProblemH11Protocol)
    server.should_exit = True
    return 0
