"""Toewijzingen: search by BSN, provider, product and state; one allocation's versions, the
provider's JW302, its starts and stops, what was approved against what was allocated; create,
change, shorten and withdraw it through the back office (the same checks as the API)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import Field

from app.accounts import store as accounts
from app.backoffice.service import STATES, Created, Refusal
from app.budget import ceilings
from app.db.base import transaction
from app.exchange import parties
from app.flows.allocations.planning import Content, Order
from app.flows.allocations.store import WITHDRAWAL_REASONS
from app.flows.declarations import store as ledger
from app.flows.requests import store as requests
from app.ijw.rules.catalogue import RULES
from app.ijw.volumes import Omvang, allocation_maximum
from app.ui.core import (
    SHOWN_AGAIN,
    FormDep,
    FormModel,
    MeDep,
    NotFound,
    Problem,
    UiDep,
    audit,
    page,
    problems_of,
    require,
    warnings_of,
)
from app.ui.views import Names, catalogue, client_of_message

router = APIRouter(prefix="/ui", include_in_schema=False)
LIST_LIMIT = 300
_BY_RETOURCODE = {m.retourcode: m.code for m in RULES.values() if m.level == 3}


def retour_reasons(codes: list[str]) -> list[Problem]:
    """A JW302's codes with the rule behind each (where one of ours gives that code)."""
    out = []
    for code in codes:
        rule = _BY_RETOURCODE.get(code)
        out.append(
            Problem(f"Retourcode {code}", RULES[rule].summary if rule else "", rule=rule, code=code)
        )
    return out


@router.get("/toewijzingen")
def toewijzingen(request: Request, me: MeDep, ctx: UiDep) -> Response:
    q = request.query_params
    bsn = q.get("bsn", "").strip()
    aanbieder = q.get("aanbieder", "").strip()
    product = q.get("product", "").strip()
    state = q.get("status", "").strip()
    errors = {}
    if bsn and not re.fullmatch(r"[0-9]{9}", bsn):
        errors["bsn"] = "Een BSN heeft 9 cijfers."
    if aanbieder and not re.fullmatch(r"[0-9]{8}", aanbieder):
        errors["aanbieder"] = "Een AGB-code heeft 8 cijfers."
    if state and state not in STATES:
        errors["status"] = "Kies een van de statussen."
    with ctx.factory() as s:
        names = Names(s)
        cat = catalogue(s, me.gemeente)
        items = []
        if not errors:
            for st in ctx.backoffice.allocations(
                s,
                me.gemeente,
                aanbieder=aanbieder or None,
                bsn=bsn or None,
                state=state or None,
                limit=LIST_LIMIT if not product else 100_000,
            ):
                shown = st.leading or st.latest
                if product and (shown is None or shown.code != product):
                    continue
                items.append(st)
                if len(items) >= LIST_LIMIT:
                    break
        return page(
            request,
            "toewijzingen.html",
            me,
            active="toewijzingen",
            items=items,
            names=names,
            cat=cat,
            errors=errors,
            limit=LIST_LIMIT,
            states=STATES,
            status=200,
        )


# -- new allocation ----------------------------------------------------------------------------


class NewForm(FormModel):
    """A new allocation for one client at one provider (client data when new to the provider)."""

    aanbieder: str = Field(pattern=r"^[0-9]{8}$")
    bsn: str = Field(pattern=r"^[0-9]{9}$")
    product: str = Field(pattern=r"^[0-9]{2}(\|[0-9A-Za-z]{5})?$")
    ingangsdatum: date
    einddatum: date | None = None
    volume: int | None = Field(default=None, ge=0, le=99_999_999)
    eenheid: str | None = Field(default=None, pattern=r"^[0-9]{2}$")
    frequentie: str | None = Field(default=None, pattern=r"^[1246]$")
    budget: str | None = Field(default=None, pattern=r"^[0-9]{1,6}(,[0-9]{2})?$")
    referentie_aanbieder: str | None = Field(default=None, max_length=36)
    commentaar: str | None = Field(default=None, max_length=1000)
    verzoek: int | None = Field(default=None, ge=1, le=2**31)
    achternaam: str | None = Field(default=None, max_length=200)
    voorletters: str | None = Field(default=None, max_length=6, pattern=r"^[A-Za-z.]+$")
    geboortedatum: date | None = None
    geslacht: str | None = Field(default=None, pattern=r"^[012]$")
    straat: str | None = Field(default=None, max_length=24)
    huisnummer: int | None = Field(default=None, ge=1, le=99999)
    postcode: str | None = Field(default=None, pattern=r"^[1-9][0-9]{3}[A-Z]{2}$")
    plaats: str | None = Field(default=None, max_length=80)

    def client(self) -> dict[str, Any] | None:
        """The JW301 Client block, or None to reuse what the provider already has."""
        if not (self.achternaam and self.geboortedatum and self.geslacht):
            return None
        block: dict[str, Any] = {
            "Geboortedatum": {"Datum": self.geboortedatum.isoformat()},
            "Geslacht": self.geslacht,
            "Naam": {
                "Geslachtsnaam": {"Achternaam": self.achternaam},
                "Voorletters": (self.voorletters or "").replace(".", "").upper() or None,
                "NaamGebruik": "1",
            },
        }
        if self.postcode and self.huisnummer:
            block["Contactgegevens"] = {
                "Contact": [
                    {
                        "Soort": "01",
                        "Adres": {
                            "Huis": {"Huisnummer": self.huisnummer},
                            "Postcode": self.postcode,
                            "Straatnaam": self.straat,
                            "Plaatsnaam": self.plaats,
                            "LandCode": "NL",
                        },
                    }
                ]
            }
        return block

    def order(self) -> Order:
        categorie, _, code = self.product.partition("|")
        content = Content(
            categorie=categorie,
            code=code or None,
            ingangsdatum=self.ingangsdatum,
            einddatum=self.einddatum,
        )
        if self.budget:
            euros, _, cents = self.budget.partition(",")
            content["budget"] = int(euros) * 100 + int(cents or 0)
        else:
            content["volume"] = self.volume
            content["eenheid"] = self.eenheid
            content["frequentie"] = self.frequentie
        return Order(
            nummer=None,
            content=content,
            referentie_aanbieder=self.referentie_aanbieder,
            commentaar=self.commentaar,
        )


def _prefill(s: Any, me: MeDep, verzoek_id: int | None) -> dict[str, Any]:
    """The allocation form for honouring a request: its client, product, period and volume."""
    if verzoek_id is None:
        return {}
    r = requests.request_by_id(s, me.gemeente, verzoek_id)
    if r is None or r.kind != "VOT" or not r.open:
        return {}
    c = r.content
    product = c.get("Product") or {}
    omvang = c.get("Omvang") or {}
    client = client_of_message(s, me.gemeente, r.message_id)
    naam = client.get("Naam") or {}
    budget = c.get("Budget")
    return {
        "verzoek": r.id,
        "aanbieder": r.aanbieder,
        "bsn": r.bsn,
        "product": (
            f"{product.get('Categorie')}|{product.get('Code')}"
            if product.get("Code")
            else product.get("Categorie", "")
        ),
        "ingangsdatum": c.get("ToewijzingIngangsdatum", ""),
        "einddatum": c.get("ToewijzingEinddatum", "") or "",
        "volume": omvang.get("Volume", ""),
        "eenheid": omvang.get("Eenheid", ""),
        "frequentie": omvang.get("Frequentie", ""),
        "budget": f"{budget // 100},{budget % 100:02d}" if isinstance(budget, int) else "",
        "referentie_aanbieder": r.referentie,
        "achternaam": (naam.get("Geslachtsnaam") or {}).get("Achternaam", ""),
        "voorletters": naam.get("Voorletters", ""),
        "geboortedatum": (client.get("Geboortedatum") or {}).get("Datum", ""),
        "geslacht": client.get("Geslacht", ""),
    }


def _new_page(
    request: Request,
    me: MeDep,
    ctx: UiDep,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status: int = 200,
) -> Response:
    with ctx.factory() as s:
        cat = catalogue(s, me.gemeente)
        names = Names(s)
        return page(
            request,
            "toewijzing_nieuw.html",
            me,
            status=status,
            active="toewijzingen",
            values=values,
            errors=errors or {},
            problems=problems or [],
            cat=cat,
            names=names,
            verzoek=(
                requests.request_by_id(s, me.gemeente, int(values["verzoek"]))
                if str(values.get("verzoek") or "").isdigit()
                else None
            ),
        )


@router.get("/toewijzingen/nieuw")
def new_form(request: Request, me: MeDep, ctx: UiDep) -> Response:
    require("allocate")(me)
    raw = request.query_params.get("verzoek", "")
    with ctx.factory() as s:
        values = _prefill(s, me, int(raw) if raw.isdigit() and len(raw) < 10 else None)
    return _new_page(request, me, ctx, values)


@router.post("/toewijzingen/nieuw")
def create(request: Request, ctx: UiDep, form: FormDep, me: MeDep) -> Response:
    require("allocate")(me)
    values = {k: v for k, v in form.items() if k != "csrf_token" and isinstance(v, str)}
    parsed, errors = NewForm.parse(form)
    if parsed is not None:
        if (
            not parsed.budget
            and (parsed.volume is None or not parsed.eenheid)
            and "|" in parsed.product
        ):
            errors["volume"] = "Geef de omvang (volume, eenheid en frequentie) of een budget."
        if parsed.einddatum is not None and parsed.einddatum < parsed.ingangsdatum:
            errors["einddatum"] = "De einddatum ligt voor de ingangsdatum."
    if parsed is None or errors:
        return _new_page(request, me, ctx, values, errors=errors, status=SHOWN_AGAIN)
    with ctx.factory() as s:
        gemeente = parties.by_code(s, me.gemeente)
    if gemeente is None:
        raise NotFound("Uw gemeente is bij deze dienst niet bekend.")
    result = ctx.backoffice.create_allocations(
        gemeente,
        aanbieder=parsed.aanbieder,
        bsn=parsed.bsn,
        orders=[parsed.order()],
        client=parsed.client(),
        actor=me.username,
    )
    with transaction(ctx.factory) as s:
        if isinstance(result, Refusal):
            audit(s, ctx, me, "allocation.create", "refused", parsed.aanbieder, code=result.code)
        else:
            assert isinstance(result, Created)
            nummers = sorted(a.history.nummer for a in result.allocations)
            entry = audit(
                s,
                ctx,
                me,
                "allocation.create",
                "ok",
                ", ".join(str(n) for n in nummers),
                message_id=result.message_id,
                verzoek=parsed.verzoek,
                warnings=result.warnings,
            )
    if isinstance(result, Refusal):
        return _new_page(request, me, ctx, values, problems=problems_of(result), status=SHOWN_AGAIN)
    made = [a for a in result.allocations if a.history.versions[-1].message_id == result.message_id]
    nummer = max(a.history.nummer for a in made or result.allocations)
    flag = f"&actie={entry}" if result.warnings else ""
    return RedirectResponse(f"/ui/toewijzingen/{nummer}?melding=aangemaakt{flag}", 303)


# -- one allocation ----------------------------------------------------------------------------


def _detail(
    request: Request,
    me: MeDep,
    ctx: UiDep,
    nummer: int,
    *,
    errors: dict[str, str] | None = None,
    problems: list[Problem] | None = None,
    status: int = 200,
) -> Response:
    today = ctx.clock.today()
    with ctx.factory() as s:
        warnings: list[Problem] = []
        raw = request.query_params.get("actie", "")
        entry = accounts.audit_entry(s, int(raw), me.gemeenten) if raw.isdigit() else None
        if entry is not None and entry.target.split(", ").count(str(nummer)):
            warnings = warnings_of(entry.detail.get("warnings") or [])
        st = ctx.backoffice.allocation(s, me.gemeente, nummer)
        if st is None:
            raise NotFound(f"Toewijzing {nummer} bestaat niet of hoort niet bij uw gemeente.")
        h = st.history
        shown = st.leading or st.latest
        assert shown is not None
        maximum = (
            allocation_maximum(
                Omvang(shown.volume, shown.eenheid, shown.frequentie),
                shown.ingangsdatum,
                shown.einddatum,
            )
            if shown.volume is not None and shown.eenheid and shown.frequentie
            else None
        )
        volume, cents = ledger.approved_on(s, me.gemeente, nummer)
        util = ceilings.utilisation(s, me.gemeente, today.year)
        found = util.per_allocation.get((me.gemeente, nummer))
        return page(
            request,
            "toewijzing.html",
            me,
            status=status,
            active="toewijzingen",
            st=st,
            h=h,
            shown=shown,
            maximum=maximum,
            approved_volume=volume,
            approved_cents=cents,
            year=today.year,
            committed=found.committed_total if found is not None else 0,
            spent=found.spent_total if found is not None else 0,
            rejected_reasons=retour_reasons(h.latest_codes) if h.latest_codes else [],
            names=Names(s),
            cat=catalogue(s, me.gemeente),
            errors=errors or {},
            problems=problems or [],
            warnings=warnings,
            withdrawal=sorted(WITHDRAWAL_REASONS),
            today=today,
            melding=request.query_params.get("melding", ""),
        )


@router.get("/toewijzingen/{nummer}")
def toewijzing(request: Request, nummer: int, me: MeDep, ctx: UiDep) -> Response:
    if not 1 <= nummer <= 999_999_999:
        raise NotFound(f"Toewijzing {nummer} bestaat niet.")
    return _detail(request, me, ctx, nummer)


class ChangeForm(FormModel):
    """A change under the same number: the end date with a reason (JZ002), a budget or total."""

    soort: str = Field(pattern=r"^(wijzigen|intrekken|verwijderen)$")
    einddatum: date | None = None
    reden: str | None = Field(default=None, pattern=r"^(0[2-9]|1[0-4])$")
    budget: str | None = Field(default=None, pattern=r"^[0-9]{1,6}(,[0-9]{2})?$")
    volume: int | None = Field(default=None, ge=0, le=99_999_999)


@router.post("/toewijzingen/{nummer}/wijzigen")
def change(request: Request, nummer: int, ctx: UiDep, form: FormDep, me: MeDep) -> Response:
    require("allocate")(me)
    parsed, errors = ChangeForm.parse(form)
    with ctx.factory() as s:
        st = ctx.backoffice.allocation(s, me.gemeente, nummer)
        gemeente = parties.by_code(s, me.gemeente)
    if st is None or gemeente is None or st.leading is None:
        raise NotFound(f"Toewijzing {nummer} bestaat niet of hoort niet bij uw gemeente.")
    lead = st.leading
    content = Content()
    if parsed is not None:
        if parsed.soort == "verwijderen":
            content["einddatum"] = lead.ingangsdatum
            content["reden_wijziging"] = "13"
        else:
            if parsed.reden is None:
                errors["reden"] = "Kies een reden van wijziging."
            if parsed.soort == "intrekken" and parsed.reden not in WITHDRAWAL_REASONS:
                errors["reden"] = "Kies een reden die bij intrekken hoort."
            if parsed.einddatum is None and parsed.soort == "intrekken":
                errors["einddatum"] = "Geef de einddatum."
            content["reden_wijziging"] = parsed.reden
            if parsed.einddatum is not None:
                content["einddatum"] = parsed.einddatum
            if parsed.budget:
                euros, _, cents = parsed.budget.partition(",")
                content["budget"] = int(euros) * 100 + int(cents or 0)
            if parsed.volume is not None:
                content["volume"] = parsed.volume
    if parsed is None or errors:
        return _detail(request, me, ctx, nummer, errors=errors, status=SHOWN_AGAIN)
    result = ctx.backoffice.create_allocations(
        gemeente,
        aanbieder=st.history.aanbieder,
        bsn=st.history.bsn,
        orders=[Order(nummer=nummer, content=content)],
        client=None,
        actor=me.username,
    )
    action = f"allocation.{parsed.soort}"
    with transaction(ctx.factory) as s:
        if isinstance(result, Refusal):
            entry = audit(s, ctx, me, action, "refused", str(nummer), code=result.code)
        else:
            entry = audit(
                s,
                ctx,
                me,
                action,
                "ok",
                str(nummer),
                message_id=result.message_id,
                warnings=result.warnings,
            )
    if isinstance(result, Refusal):
        return _detail(request, me, ctx, nummer, problems=problems_of(result), status=SHOWN_AGAIN)
    flag = f"&actie={entry}" if result.warnings else ""
    return RedirectResponse(f"/ui/toewijzingen/{nummer}?melding={parsed.soort}{flag}", 303)
