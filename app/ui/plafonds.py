"""Plafonds en uitputting: per ceiling committed and spent against the amount over the year
with the forecast run-out date, per provider and category, and steering figures; every table
has a CSV download built from the same rows."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.budget import ceilings
from app.db.base import transaction
from app.flows.allocations import store as allocations
from app.ui import format as fmt
from app.ui import labels
from app.ui.charts import Series, bar_chart, line_chart
from app.ui.core import MeDep, NotFound, UiContext, UiDep, audit, page
from app.ui.tables import Column, Table
from app.ui.views import Names, catalogue

# The money columns of every table on this page (committed and spent euros, and how much of
# the committed money is spent).
MONEY = (Column("committed", "Vastgelegd", "euro"), Column("spent", "Besteed", "euro"))
REALISATION = Column("realisation", "Realisatie %", "pct")

router = APIRouter(prefix="/ui", include_in_schema=False)


def _year(request: Request, ctx: UiContext) -> int:
    raw = request.query_params.get("jaar", "")
    this = ctx.clock.today().year
    return int(raw) if raw.isdigit() and this - 10 <= int(raw) <= this + 5 else this


def _marker(day: str | None, year: int) -> float | None:
    """A date as a position in months from 1 January (for the chart's run-out marker)."""
    if not day:
        return None
    d = date.fromisoformat(day)
    if d.year != year:
        return None
    return d.month - 1 + (d.day - 0.5) / calendar.monthrange(year, d.month)[1]


def figures(s: Session, ctx: UiContext, me: MeDep, year: int) -> dict[str, Any]:
    """Every table and chart of the page for one year (also what the CSVs are made of)."""
    today = ctx.clock.today()
    names = Names(s)
    cat = catalogue(s, me.gemeente)
    util, with_months = ceilings.statuses_by_month(s, me.gemeente, year, today)
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    cards: list[dict[str, Any]] = []
    ceiling_rows: list[dict[str, Any]] = []
    for st, by_month in with_months:
        d = st.as_dict()
        run, com = 0, 0
        spent_cum: list[int] = []
        committed_cum: list[int] = []
        # spending is known up to this month; commitment runs to the end of the year
        last_spent = 12 if year < today.year else (today.month if year == today.year else 0)
        for m in range(1, 13):
            cell = by_month.get((year, m))
            com += cell.committed if cell else 0
            run += cell.spent if cell else 0
            committed_cum.append(com)
            spent_cum.append(run)
        runs_out = d["forecast"]["runs_out_on"] or d["forecast"]["committed_runs_out_on"]
        pos = _marker(runs_out, year)
        marker = (pos, f"Uitgeput rond {runs_out}") if pos is not None and runs_out else None
        kind = "hard plafond" if st.hard else "bestedingsruimte"
        chart = line_chart(
            months,
            [
                Series("Vastgelegd (cumulatief)", committed_cum, "s1"),
                Series("Besteed (cumulatief)", spent_cum[:last_spent], "s2"),
            ],
            title=f"{st.name} {year}: vastgelegd en besteed tegen het plafond",
            desc=(
                f"{kind.capitalize()} van {d['amount'] // 100} euro. Eind december vastgelegd "
                f"{com // 100} euro, besteed {run // 100} euro. "
                + (f"Verwachte uitputting rond {runs_out}." if runs_out else "Geen uitputting.")
            ),
            limit=st.amount,
            marker=marker,
        )
        table = Table(
            f"plafond-{st.id}",
            f"{st.name} per maand",
            [
                Column("month", "Maand", "month"),
                *MONEY,
                Column("committed_cum", "Vastgelegd cumulatief", "euro"),
                Column("spent_cum", "Besteed cumulatief", "euro"),
            ],
            [
                {
                    "month": months[i],
                    "committed": committed_cum[i] - (committed_cum[i - 1] if i else 0),
                    "spent": spent_cum[i] - (spent_cum[i - 1] if i else 0),
                    "committed_cum": committed_cum[i],
                    "spent_cum": spent_cum[i],
                }
                for i in range(12)
            ],
        )
        cards.append({"st": st, "d": d, "chart": chart, "table": table, "kind": kind})
        ceiling_rows.append(
            {
                "name": st.name,
                "kind": kind,
                "aanbieders": ", ".join(names(a) for a in st.aanbieders),
                "amount": st.amount,
                "committed": st.committed,
                "spent": st.spent,
                "usage": st.usage,
                "remaining": st.remaining,
                "percentage": d["percentage"],
                "runs_out": d["forecast"]["runs_out_on"] or "",
                "committed_runs_out": d["forecast"]["committed_runs_out_on"] or "",
            }
        )
    per_agb: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    per_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (agb, _gem, categorie, _m), cell in util.cells.items():
        for bucket in (per_agb[agb], per_cat[categorie]):
            bucket[0] += cell.committed
            bucket[1] += cell.spent

    def realisation(pair: list[int]) -> float | None:
        return round(100 * pair[1] / pair[0], 1) if pair[0] else None

    agb_rows: list[dict[str, Any]] = [
        {
            "aanbieder": names(a),
            "agb": a,
            "committed": v[0],
            "spent": v[1],
            "realisation": realisation(v),
        }
        for a, v in sorted(per_agb.items())
    ]
    cat_rows: list[dict[str, Any]] = [
        {
            "categorie": labels.category(c) or "zonder categorie",
            "committed": v[0],
            "spent": v[1],
            "realisation": realisation(v),
        }
        for c, v in sorted(per_cat.items())
    ]
    steering = steering_tables(s, me.gemeente, year, util, cat)
    tables = {
        "plafonds": Table(
            "plafonds",
            "Plafonds",
            [
                Column("name", "Plafond"),
                Column("kind", "Soort"),
                Column("aanbieders", "Aanbieders"),
                Column("amount", "Plafond", "euro"),
                *MONEY,
                Column("usage", "Gebruik", "euro"),
                Column("remaining", "Ruimte", "euro"),
                Column("percentage", "Gebruik %", "pct"),
                Column("runs_out", "Uitgeput (bestedingstempo)", "date"),
                Column("committed_runs_out", "Uitgeput (vastgelegd)", "date"),
            ],
            ceiling_rows,
        ),
        "aanbieders": Table(
            "aanbieders",
            "Per aanbieder",
            [
                Column("aanbieder", "Aanbieder"),
                Column("agb", "AGB"),
                *MONEY,
                REALISATION,
            ],
            agb_rows,
        ),
        "categorieen": Table(
            "categorieen",
            "Per productcategorie",
            [
                Column("categorie", "Categorie"),
                *MONEY,
                REALISATION,
            ],
            cat_rows,
        ),
        "benutting": Table(
            "benutting",
            "Benutting per aanbieder, gemeente, categorie en maand",
            [
                Column("aanbieder", "AGB"),
                Column("gemeente", "Gemeente"),
                Column("categorie", "Categorie"),
                Column("month", "Maand", "month"),
                *MONEY,
            ],
            util.rows(),
        ),
        **{t.key: t for t in steering},
    }
    for card in cards:
        month_table: Table = card["table"]
        tables[month_table.key] = month_table
    agb_chart = bar_chart(
        [r["aanbieder"] for r in agb_rows],
        [
            Series("Vastgelegd", [r["committed"] for r in agb_rows], "s1"),
            Series("Besteed", [r["spent"] for r in agb_rows], "s2"),
        ],
        title=f"Vastgelegd en besteed per aanbieder, {year}",
        desc="Staafdiagram; de cijfers staan in de tabel eronder.",
    )
    cat_chart = bar_chart(
        [r["categorie"] for r in cat_rows],
        [
            Series("Vastgelegd", [r["committed"] for r in cat_rows], "s1"),
            Series("Besteed", [r["spent"] for r in cat_rows], "s2"),
        ],
        title=f"Vastgelegd en besteed per productcategorie, {year}",
        desc="Staafdiagram; de cijfers staan in de tabel eronder.",
    )
    flow = tables["instroom"]
    flow_chart = bar_chart(
        [fmt.month(r["month"]) for r in flow.rows],
        [
            Series("Instroom", [r["in"] for r in flow.rows], "s1"),
            Series("Uitstroom", [r["out"] for r in flow.rows], "s2"),
        ],
        title=f"Cliënten in en uit zorg per maand, {year}",
        desc="Staafdiagram; de aantallen staan in de tabel eronder.",
        money=False,
    )
    return {
        "year": year,
        "cards": cards,
        "tables": tables,
        "agb_chart": agb_chart,
        "cat_chart": cat_chart,
        "flow_chart": flow_chart,
        "gemeenten": util.gemeenten,
        "region": util.region_id is not None,
    }


def steering_tables(
    s: Session, gemeente: str, year: int, util: ceilings.Utilisation, cat: Any
) -> list[Table]:
    """Steering figures from the allocations and the ledger that exist today: clients in and
    out of care per month, and per product the allocations, clients, committed and spent money.
    (The full steering reports of the regions slot in through `Hooks.steering`.)"""
    y0, y1 = date(year, 1, 1), date(year, 12, 31)
    first: dict[str, date] = {}
    ends: dict[str, list[date | None]] = defaultdict(list)
    product: dict[str, dict[str, Any]] = {}
    for a in allocations.leading_in_period(s, [gemeente], date(year - 30, 1, 1), y1):
        if a.deleted:
            continue
        first[a.bsn] = min(first.get(a.bsn, a.ingangsdatum), a.ingangsdatum)
        ends[a.bsn].append(a.einddatum)
        if a.overlaps(y0, y1):
            key = a.code or a.categorie or "-"
            row = product.setdefault(
                key,
                {
                    "product": cat.name(a.code) or labels.category(a.categorie),
                    "n": 0,
                    "clients": set(),
                    "committed": 0,
                    "spent": 0,
                },
            )
            row["n"] += 1
            row["clients"].add(a.bsn)
            entry = util.per_allocation.get((a.gemeente, a.nummer))
            if entry is not None:
                row["committed"] += entry.committed_total
                row["spent"] += entry.spent_total
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    flow: dict[str, dict[str, Any]] = {m: {"month": m, "in": 0, "out": 0} for m in months}
    for bsn, start in first.items():
        if start.year == year:
            flow[f"{year:04d}-{start.month:02d}"]["in"] += 1
        known = ends[bsn]
        end = None if None in known else max(d for d in known if d is not None)
        if end is not None and end.year == year:
            flow[f"{year:04d}-{end.month:02d}"]["out"] += 1
    return [
        Table(
            "instroom",
            "Cliënten in en uit zorg",
            [
                Column("month", "Maand", "month"),
                Column("in", "Instroom", "int"),
                Column("out", "Uitstroom", "int"),
            ],
            list(flow.values()),
            caption="Instroom: eerste toewijzing begint; uitstroom: laatste toewijzing eindigt.",
        ),
        Table(
            "producten",
            "Per product",
            [
                Column("product", "Product"),
                Column("n", "Toewijzingen", "int"),
                Column("clients", "Cliënten", "int"),
                *MONEY,
                REALISATION,
            ],
            [
                {
                    **r,
                    "clients": len(r["clients"]),
                    "realisation": round(100 * r["spent"] / r["committed"], 1)
                    if r["committed"]
                    else None,
                }
                for _, r in sorted(product.items())
            ],
        ),
    ]


@router.get("/plafonds")
def plafonds(request: Request, me: MeDep, ctx: UiDep) -> Response:
    year = _year(request, ctx)
    with ctx.factory() as s:
        data = figures(s, ctx, me, year)
        extra = ctx.hooks.steering(s, me.gemeente, year) if ctx.hooks.steering else []
    return page(
        request,
        "plafonds.html",
        me,
        active="plafonds",
        extra=extra,
        this_year=ctx.clock.today().year,
        **data,
    )


@router.get("/plafonds/{key}.csv")
def download(request: Request, key: str, me: MeDep, ctx: UiDep) -> Response:
    year = _year(request, ctx)
    with ctx.factory() as s:
        table = figures(s, ctx, me, year)["tables"].get(key)
    if table is None:
        raise NotFound(f"Er is geen tabel {key}.")
    with transaction(ctx.factory) as s:
        audit(s, ctx, me, "download.csv", "ok", f"{key} {year}", rows=len(table.rows))
    return Response(
        table.csv(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{key}-{me.gemeente}-{year}.csv"'},
    )
