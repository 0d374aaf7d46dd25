"""What every page shares: the UI's context, who is signed in, CSRF, templates, errors.

The pages never speak SQL: they call the back-office services and the stores (import-linter's
contract "The web interface reads through services and stores").  A request carries a session
cookie (random token, HttpOnly, Secure, SameSite=Strict); every form carries the session's CSRF
token and a POST whose token or Origin does not match is refused.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData

from app.accounts import store as accounts
from app.accounts.store import CASE_WORKER, CONTRACT_MANAGER, Lifetime
from app.backoffice.service import BackOffice, Refusal
from app.clock import Clock
from app.db.base import transaction
from app.exchange import parties
from app.ui import format as fmt
from app.ui import labels

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
COOKIE = "ijw_ui"
MAX_FORM_BYTES = 6 * 1024 * 1024  # a contract document upload is the largest form
# A refused or invalid form comes back as a page that explains why (role=alert): that page is
# the answer, so it is a 200; a 4xx would make the browser log an error for a working page.
SHOWN_AGAIN = 200


# -- hooks: where other parts of the service slot into the pages -------------------------------


@dataclass(frozen=True)
class FailedDelivery:
    """A message the transport could not deliver (GGk Fo01), for Berichtenverkeer."""

    message_id: int | None
    message_type: str
    counterpart: str
    failed_at: str
    code: str
    text: str


class DeliveryFailures(Protocol):
    """Failed deliveries of a gemeente's messages (the GGk transport provides it)."""

    def __call__(self, session: Session, gemeente: str) -> Sequence[FailedDelivery]: ...


class Extra(Protocol):
    """Extra figures or tables for a page: (title, rows as dicts) per section."""

    def __call__(
        self, session: Session, gemeente: str, year: int
    ) -> Sequence[tuple[str, list[dict[str, Any]]]]: ...


@dataclass(frozen=True)
class Hooks:
    """One marked place per page for what other parts add (wired in app/bootstrap.py).

    - `delivery_failures`: Berichtenverkeer lists failed deliveries (GGk Fo01) to act on.
    - `steering`: Plafonds en uitputting shows these report sections (with CSV) next to ours.
    - `contract_versions`: Contracten lists the versions of the region's contract set.
    - `actor`: True once the back-office services take `actor=` (per-user audit there too).
    """

    delivery_failures: DeliveryFailures | None = None
    steering: Extra | None = None
    contract_versions: Extra | None = None
    actor: bool = False


@dataclass(frozen=True)
class UiSettings:
    """Cookie and session settings (environment: IJW_UI_*)."""

    # Browsers accept Secure cookies from http://127.0.0.1 and localhost; anything else must be
    # served over TLS (a proxy in front).  Only for a test rig without TLS: IJW_UI_INSECURE=1.
    secure_cookies: bool = True
    lifetime: Lifetime = field(default_factory=Lifetime)

    @classmethod
    def from_env(cls) -> UiSettings:
        return cls(secure_cookies=os.environ.get("IJW_UI_INSECURE", "") != "1")


@dataclass(frozen=True)
class UiContext:
    """Everything the pages share; built once by the composition root."""

    factory: sessionmaker[Session]
    clock: Clock
    backoffice: BackOffice
    settings: UiSettings = field(default_factory=UiSettings)
    hooks: Hooks = field(default_factory=Hooks)


def _ui(request: Request) -> UiContext:
    ctx: UiContext = request.app.state.ui
    return ctx


UiDep = Annotated[UiContext, Depends(_ui)]


# -- errors the pages raise (answered as HTML by handlers in app.ui.web) -----------------------


class SignInRequired(Exception):
    """No live session: go to the sign-in page."""


class Forbidden(Exception):
    """Signed in, but not allowed (role, CSRF, another gemeente's data)."""


class NotFound(Exception):
    """No such thing of yours."""


# -- who is signed in --------------------------------------------------------------------------

PERMISSIONS: dict[str, frozenset[str]] = {
    "answer": frozenset({CASE_WORKER}),
    "allocate": frozenset({CASE_WORKER}),
    "import_contracts": frozenset({CONTRACT_MANAGER}),
}


@dataclass(frozen=True)
class Me:
    """The signed-in user and the gemeente it works for on this page."""

    user_id: int
    username: str
    display_name: str
    role: str
    gemeente: str
    gemeente_name: str
    gemeenten: tuple[str, ...]
    region: str | None
    csrf: str

    def can(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    @property
    def name(self) -> str:
        return self.display_name or self.username


def signed_in(request: Request, ctx: UiDep) -> Me:
    """The user of the session cookie (SignInRequired without a live session)."""
    with transaction(ctx.factory) as s:
        found = accounts.session_for(
            s, request.cookies.get(COOKIE), ctx.clock.now(), ctx.settings.lifetime
        )
        if found is None:
            raise SignInRequired
        row, user = found
        gemeenten = accounts.scope(s, user)
        if not gemeenten:
            raise Forbidden("Uw account hoort bij geen enkele gemeente van deze dienst.")
        gemeente = row.gemeente if row.gemeente in gemeenten else gemeenten[0]
        party = parties.by_code(s, gemeente)
        return Me(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            gemeente=gemeente,
            gemeente_name=(party.name if party is not None and party.name else gemeente),
            gemeenten=tuple(gemeenten),
            region=user.region,
            csrf=row.csrf_token,
        )


MeDep = Annotated[Me, Depends(signed_in)]


def require(permission: str) -> Callable[[Me], Me]:
    """A dependency: the signed-in user, if its role allows `permission`."""

    def check(me: MeDep) -> Me:
        if not me.can(permission):
            raise Forbidden(f"Uw rol ({labels.ROLES[me.role]}) mag dit niet.")
        return me

    return check


def same_origin(request: Request) -> bool:
    """The browser says the form came from this site (Origin or Sec-Fetch-Site)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return site is not None or origin is None
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


async def verified_form(request: Request, me: MeDep) -> FormData:
    """The POSTed form, if its CSRF token is the session's and it came from this site."""
    form = await read_form(request)
    token = form.get("csrf_token")
    if not (isinstance(token, str) and secrets.compare_digest(token, me.csrf)):
        raise Forbidden("Het formulier is verlopen of komt niet van deze site. Probeer opnieuw.")
    if not same_origin(request):
        raise Forbidden("Het formulier komt niet van deze site.")
    return form


async def read_form(request: Request) -> FormData:
    """The form, refused when larger than MAX_FORM_BYTES."""
    length = request.headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > MAX_FORM_BYTES):
        raise Forbidden("Het formulier is te groot.")
    return await request.form(max_files=1, max_fields=200)


FormDep = Annotated[FormData, Depends(verified_form)]


class FormModel(BaseModel):
    """A form's fields, strictly: unknown fields are refused, empty text counts as absent."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @classmethod
    def parse(cls, form: FormData) -> tuple[Any, dict[str, str]]:
        """(model or None, Dutch error per field)."""
        data = {
            k: v
            for k, v in form.multi_items()
            if k != "csrf_token" and isinstance(v, str) and v.strip() != ""
        }
        try:
            return cls.model_validate(data), {}
        except ValidationError as exc:
            errors: dict[str, str] = {}
            for e in exc.errors():
                name = str(e["loc"][0]) if e["loc"] else "formulier"
                errors.setdefault(name, _dutch(e["type"]))
            return None, errors


def _dutch(kind: str) -> str:
    return {
        "missing": "Vul dit veld in.",
        "string_pattern_mismatch": "Deze waarde heeft niet de juiste vorm.",
        "date_from_datetime_parsing": "Geef een datum (jjjj-mm-dd).",
        "date_parsing": "Geef een datum (jjjj-mm-dd).",
        "int_parsing": "Geef een heel getal.",
        "greater_than_equal": "Deze waarde is te klein.",
        "less_than_equal": "Deze waarde is te groot.",
        "string_too_long": "Deze tekst is te lang.",
        "extra_forbidden": "Dit veld hoort niet bij het formulier.",
        "literal_error": "Kies een van de mogelijkheden.",
    }.get(kind, "Deze waarde is niet geldig.")


# -- refusals in words -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One reason a service refused (or warns), for a person."""

    title: str
    text: str = ""
    rule: str | None = None
    code: str | None = None
    figures: dict[str, int] = field(default_factory=dict)


def _check_problem(item: dict[str, Any]) -> Problem:
    details = item.get("details") or {}
    code = str(item.get("code", ""))
    if code in ("CEILING_EXCEEDED", "SPENDING_ROOM_EXCEEDED") and isinstance(details, dict):
        text = (
            f"Plafond ‘{details.get('ceiling')}’ ({details.get('year')}): "
            f"{fmt.euro(details.get('usage'))} gebruikt van {fmt.euro(details.get('amount'))}; "
            f"deze toewijzing vraagt {fmt.euro(details.get('this_allocation'))}, "
            f"{fmt.euro(details.get('over_by'))} te veel."
        )
        figures = {
            k: int(details[k])
            for k in ("amount", "usage", "this_allocation", "after", "over_by")
            if isinstance(details.get(k), int)
        }
        return Problem(labels.CHECKS[code], text, code=code, figures=figures)
    return Problem(labels.CHECKS.get(code, code), str(item.get("message", "")), code=code)


def problems_of(refusal: Refusal) -> list[Problem]:
    """Every reason of a refusal, in words: a rule's text from the rule catalogue, a ceiling's
    figures in euros, the pre-create check's message otherwise."""
    out: list[Problem] = []
    for item in refusal.details:
        if "level" in item:  # a pre-create check (ceilings, no stacking)
            if item["level"] == "refuse":
                out.append(_check_problem(item))
        elif item.get("rule") or item.get("retourcode"):
            rule = item.get("rule")
            where = str(item.get("location") or "").strip("$")
            out.append(
                Problem(
                    f"Regel {rule or item.get('retourcode')} (retourcode {item.get('retourcode')})",
                    labels.rule_text(rule),
                    rule=rule,
                    code=item.get("retourcode"),
                    figures={},
                )
                if where == ""
                else Problem(
                    f"Regel {rule or item.get('retourcode')} (retourcode {item.get('retourcode')})",
                    f"{labels.rule_text(rule)} — bij {where}",
                    rule=rule,
                    code=item.get("retourcode"),
                )
            )
        elif item.get("message"):
            out.append(Problem(str(item["message"])))
    if not out:
        out.append(Problem(labels.CHECKS.get(refusal.code, refusal.code), refusal.message))
    return out


def warnings_of(warnings: Sequence[dict[str, Any]]) -> list[Problem]:
    """Warnings of a sent allocation (soft ceilings, OP087) in words."""
    return [_check_problem(w) for w in warnings]


# -- templates ---------------------------------------------------------------------------------

NAV = (
    ("werkvoorraad", "/ui/werkvoorraad", "Werkvoorraad"),
    ("toewijzingen", "/ui/toewijzingen", "Toewijzingen"),
    ("declaraties", "/ui/declaraties", "Declaraties"),
    ("plafonds", "/ui/plafonds", "Plafonds en uitputting"),
    ("berichten", "/ui/berichten", "Berichtenverkeer"),
    ("contracten", "/ui/contracten", "Contracten"),
    ("logboek", "/ui/logboek", "Logboek"),
)

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html", "svg"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
env.filters.update(
    euro=fmt.euro,
    euro_short=fmt.euro_short,
    datum=fmt.datum,
    iso=fmt.iso,
    month=fmt.month,
    bsn=fmt.bsn_masked,
    thousands=fmt.thousands,
    werkdagen=fmt.working_days,
    pct=fmt.percentage,
    category=labels.category,
    rule_text=labels.rule_text,
)
env.globals.update(labels=labels, fmt=fmt, nav=NAV)


def page(
    request: Request,
    template: str,
    me: Me | None,
    *,
    status: int = 200,
    active: str = "",
    **context: Any,
) -> HTMLResponse:
    """Render a page (or, for htmx, the same page: htmx picks the part it asked for)."""
    html = env.get_template(template).render(
        request=request, me=me, active=active, query=request.query_params, **context
    )
    return HTMLResponse(html, status_code=status)


def audit(
    s: Session, ctx: UiContext, me: Me, action: str, outcome: str, target: str = "", **detail: Any
) -> int:
    """Record a user's action in the audit trail; the entry's id."""
    return accounts.audit(
        s,
        user_id=me.user_id,
        username=me.username,
        gemeente=me.gemeente,
        action=action,
        outcome=outcome,
        now=ctx.clock.now(),
        target=target,
        detail=json.loads(json.dumps(detail, default=str)),  # dates in warnings become text
    )
