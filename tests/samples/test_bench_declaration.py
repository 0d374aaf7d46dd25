"""Benchmark declarations: valid, level-2 clean, consistent with the allocations they declare on
(so an end-to-end run approves them), small enough per prestatie for 26,000 under 25 MB."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta

import pytest

from app.config import MAX_BODY_BYTES
from app.ijw import model, xml
from app.ijw.render import render
from app.ijw.rules.engine import check
from testkit.samples import (
    DeclarationBundle,
    big_declaration,
    declaration_with_allocations,
    month_end,
)


@pytest.fixture(scope="module")
def bundle() -> DeclarationBundle:
    return declaration_with_allocations(3000, seed=11)


def _prestaties(bundle: DeclarationBundle):
    for client in bundle.declaration["Declaratie"]["Clienten"]["Client"]:
        for p in client["Prestaties"]["Prestatie"]:
            yield client["Bsn"], p


def test_exact_count_valid_and_clean(bundle):
    assert bundle.n_prestaties == 3000
    info, tree = xml.read(bundle.xml())
    parsed = model.to_model(tree, info)
    assert check(parsed) == []
    clients = bundle.declaration["Declaratie"]["Clienten"]["Client"]
    assert 600 <= len(clients) <= 900  # about n / 4


def test_size_allows_26000_prestaties_under_the_limit(bundle):
    per_prestatie = len(bundle.xml()) / bundle.n_prestaties
    assert 26_000 * per_prestatie < MAX_BODY_BYTES, per_prestatie


def test_prestaties_fit_their_allocations(bundle):
    """The level-3 checks of spec §4.5 hold: allocation exists for this Bsn (TR338, TR304),
    product and unit equal (TR339-TR341), period inside the allocation and clipped to it
    (TR307, TR308, TR387, TR388), one month not after the declaration month (TR319), volume
    within the Omvang (TR321/TR322) and amount = volume x tariff (TR346, TR418)."""
    allocations = {a.toewijzingnummer: a for a in bundle.allocations}
    assert len(allocations) == len(bundle.allocations)
    decl = bundle.declaration["Declaratie"]
    period_end = decl["DeclaratiePeriode"]["Einddatum"]
    per_allocation = defaultdict(int)
    refs = set()
    for bsn, p in _prestaties(bundle):
        a = allocations[p["ToewijzingNummer"]]
        assert a.bsn == bsn
        assert (p["ProductCategorie"], p["ProductCode"], p["Eenheid"]) == (
            a.categorie,
            a.code,
            a.eenheid,
        )
        begin, end = p["ProductPeriode"]["Begindatum"], p["ProductPeriode"]["Einddatum"]
        assert begin.replace(day=1) == end.replace(day=1) and end <= period_end
        assert a.ingangsdatum <= begin and (a.einddatum is None or end <= a.einddatum)
        assert begin.day == 1 or begin == a.ingangsdatum
        assert end == month_end(end) or end == a.einddatum
        assert 0 < p["GeleverdVolume"] <= a.volume
        per_allocation[a.toewijzingnummer] += p["GeleverdVolume"]
        if a.eenheid == "83":
            assert (
                "ProductTarief" not in p and p["IngediendBedrag"]["Bedrag"] == p["GeleverdVolume"]
            )
        else:
            assert p["ProductTarief"] == a.tarief
            assert p["IngediendBedrag"]["Bedrag"] == p["GeleverdVolume"] * a.tarief
        assert p["IngediendBedrag"]["DebetCredit"] == "D"
        refs.add(p["ProductReferentie"]["ReferentieNummer"])
    assert len(refs) == bundle.n_prestaties
    for a in bundle.allocations:
        if a.frequentie == "6":
            assert per_allocation[a.toewijzingnummer] <= a.volume


def test_allocations_are_valid_jw301s(bundle):
    small = declaration_with_allocations(60, seed=3)
    msgs = small.allocation_messages(random.Random(1))
    assert sum(len(m["Client"]["ToegewezenProducten"]["ToegewezenProduct"]) for m in msgs) == len(
        small.allocations
    )
    for msg in msgs:
        info, tree = xml.read(render("JW301", msg))
        parsed = model.to_model(tree, info)
        assert check(parsed) == []
        dag = msg["Header"]["BerichtIdentificatie"]["Dagtekening"]
        assert all(
            tp["Toewijzingsdatum"] <= dag
            for tp in msg["Client"]["ToegewezenProducten"]["ToegewezenProduct"]
        )
    # the allocations were made before the declaration was sent
    dag_323 = small.declaration["Header"]["BerichtIdentificatie"]["Dagtekening"]
    assert all(a.toewijzingsdatum <= dag_323 - timedelta(days=0) for a in small.allocations)


def test_big_declaration_is_deterministic_and_seeded():
    assert big_declaration(50, seed=5) == big_declaration(50, seed=5)
    assert big_declaration(50, seed=5) != big_declaration(50, seed=6)
    with pytest.raises(ValueError):
        declaration_with_allocations(0)


def test_volumes_within_the_section_4_5_maxima(bundle):
    """Cross-check with the volume maths the declaration flow uses (TR321 per prestatie,
    TR322 summed over each allocation)."""
    from app.ijw import volumes

    allocations = {a.toewijzingnummer: a for a in bundle.allocations}
    totals: dict[int, int] = defaultdict(int)
    for _, p in _prestaties(bundle):
        a = allocations[p["ToewijzingNummer"]]
        omvang = volumes.Omvang(a.volume, a.eenheid, a.frequentie, output=a.eenheid in ("82", "83"))
        period = p["ProductPeriode"]
        assert p["GeleverdVolume"] <= volumes.period_maximum(
            omvang, period["Begindatum"], period["Einddatum"], a.ingangsdatum, a.einddatum
        )
        totals[a.toewijzingnummer] += p["GeleverdVolume"]
    for number, total in totals.items():
        a = allocations[number]
        omvang = volumes.Omvang(a.volume, a.eenheid, a.frequentie, output=a.eenheid in ("82", "83"))
        limit = volumes.allocation_maximum(omvang, a.ingangsdatum, a.einddatum)
        assert limit is None or total <= limit


def test_products_form_a_contract(bundle):
    """One unit and one tariff per code, and every prestatie priced with its code's tariff."""
    by_code = {p.code: p for p in bundle.products}
    assert len(by_code) == len(bundle.products)
    assert {a.code for a in bundle.allocations} == set(by_code)
    for a in bundle.allocations:
        product = by_code[a.code]
        assert (a.categorie, a.eenheid, a.tarief) == (
            product.categorie,
            product.eenheid,
            product.tarief,
        )
    for _, p in _prestaties(bundle):
        assert p.get("ProductTarief") == by_code[p["ProductCode"]].tarief
