"""Every declaration rule as a pure function: one passing and one failing case per rule code.

The rules run over in-memory allocations, ledger, catalogue and contract book (no database);
tests/money/test_declaration_api.py drives the same rules through POST /v1/berichten.
"""

from __future__ import annotations

from datetime import date

from app.flows.allocations.store import Allocation
from app.flows.declarations.rules import (
    Judge,
    Ledger,
    Line,
    PriorDebet,
    judge_lines,
    round_half_up,
)
from app.reference.contracts import ContractBook, TariffRow
from app.reference.products import Catalogue, ProductRow

G, AGB, BSN = "0363", "12345678", "999990019"


def alloc(nummer: int = 1, **kw) -> Allocation:
    base = dict(
        gemeente=G,
        nummer=nummer,
        bsn=BSN,
        aanbieder=AGB,
        categorie="45",
        code="45A04",
        ingangsdatum=date(2026, 1, 1),
        einddatum=date(2026, 12, 31),
        volume=3,
        eenheid="04",
        frequentie="2",
    )
    base.update(kw)
    return Allocation(**base)


_POS = iter(range(1, 10**6))


def line(ref: str = "R1", **kw) -> Line:
    base = dict(
        position=next(_POS),
        node=None,
        bsn=BSN,
        ref=ref,
        vorig=None,
        nummer=1,
        categorie="45",
        code="45A04",
        begin=date(2026, 5, 1),
        end=date(2026, 5, 31),
        volume=10,
        eenheid="04",
        tarief=8730,
        bedrag=None,
        dc="D",
    )
    base.update(kw)
    if base["bedrag"] is None:
        base["bedrag"] = (
            base["volume"] if base["eenheid"] == "83" else base["volume"] * base["tarief"]
        )
    return Line(**base)


def book(*rows: TariffRow) -> ContractBook:
    b = ContractBook(1, AGB)
    for r in rows:
        b.by_code[r.code].append(r)
    return b


HOUR = TariffRow("45", "45A04", "04", 8730, "inspanning", date(2020, 1, 1), None)


def judge(
    allocations=(),
    *,
    ledger: Ledger | None = None,
    contracts: ContractBook | None = None,
    configured: bool = True,
    catalogue: Catalogue | None = None,
) -> Judge:
    return Judge(
        G,
        AGB,
        {a.nummer: a for a in (allocations or [alloc()])},
        ledger or Ledger(),
        catalogue or Catalogue(None),
        contracts if contracts is not None else book(HOUR),
        configured,
    )


def run(j: Judge, *lines: Line) -> dict[str, list[str]]:
    judge_lines(j, lines)
    return {ln.ref: list(ln.codes) for ln in lines}


def test_clean_prestatie_is_approved_and_counted():
    j = judge()
    assert run(j, line()) == {"R1": []}
    assert j.ledger.volume[1] == 10 * 60 and j.ledger.amount[1] == 10 * 8730


def test_tr314_8021_reference_number_used_before():
    j = judge(ledger=Ledger(used_refs={"OLD"}))
    out = run(j, line("OLD"), line("NEW", begin=date(2026, 4, 1), end=date(2026, 4, 30)))
    assert out == {"OLD": ["8021"], "NEW": []}


def test_tr338_9338_unknown_or_other_providers_allocation_skips_the_rest():
    j = judge([alloc(1), alloc(2, aanbieder="87654321")])
    out = run(j, line("R1", nummer=99, code="XXXXX"), line("R2", nummer=2), line("R3", nummer=1))
    assert out == {"R1": ["9338"], "R2": ["9338"], "R3": []}


def test_tr304_8187_allocation_of_another_client():
    out = run(
        judge(),
        line("R1", bsn="999990020"),
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert out == {"R1": ["8187"], "R2": []}


def test_tr384_9384_deleted_allocation():
    deleted = alloc(2, reden_wijziging="13", einddatum=date(2026, 1, 1))
    out = run(judge([alloc(1), deleted]), line("R1", nummer=2), line("R2"))
    assert out == {"R1": ["9384"], "R2": []}


def test_tr339_tr340_tr341_product_and_unit_mismatch_report_all_codes():
    contracts = book(
        HOUR, TariffRow("43", "43A14", "14", 20000, "inspanning", date(2020, 1, 1), None)
    )
    out = run(
        judge(contracts=contracts),
        line("R1", categorie="43", code="43A14", eenheid="14", tarief=20000, volume=2),
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert out == {"R1": ["9339", "9340", "9341"], "R2": []}


def test_tr339_tr340_aspecific_and_generic_allocations_accept_other_codes():
    contracts = book(
        HOUR, TariffRow("45", "45B01", "04", 9000, "inspanning", date(2020, 1, 1), None)
    )
    aspecific = alloc(2, code=None, volume=None, eenheid=None, frequentie=None)
    generic = alloc(
        3, categorie=None, code=None, volume=None, eenheid=None, frequentie=None, budget=100_000
    )
    out = run(
        judge([aspecific, generic], contracts=contracts),
        line("R1", nummer=2, code="45B01", tarief=9000, volume=2),
        line("R2", nummer=3, code="45B01", tarief=9000, volume=2),
        line("R3", nummer=2, categorie="43", code="43A14", tarief=9000, volume=2),
    )
    assert out["R1"] == [] and out["R2"] == []
    assert "9339" in out["R3"]


def test_tr381_s329_code_not_in_the_list_in_use():
    catalogue = Catalogue(1)
    catalogue.by_code["45A04"].append(
        ProductRow("45", "45A04", "04", "pxq", None, None, date(2020, 1, 1), None)
    )
    aspecific = alloc(2, code=None, volume=None, eenheid=None, frequentie=None)
    out = run(
        judge([alloc(1), aspecific], catalogue=catalogue, configured=False),
        line("R1", nummer=2, code="45Z99"),
        line("R2"),
    )
    assert out == {"R1": ["S329"], "R2": []}


def test_tr381_old_code_stays_valid_for_a_running_allocation():
    catalogue = Catalogue(1)
    catalogue.by_code["45A04"].append(
        ProductRow("45", "45A04", "04", "pxq", None, None, date(2020, 1, 1), date(2025, 12, 31))
    )
    started_before = alloc(1, ingangsdatum=date(2025, 6, 1))
    started_after = alloc(2, ingangsdatum=date(2026, 1, 1))
    out = run(
        judge([started_before, started_after], catalogue=catalogue),
        line("R1", nummer=1),
        line("R2", nummer=2),
    )
    assert out == {"R1": [], "R2": ["S329"]}


def test_tr341_9341_hours_may_be_declared_in_minutes_not_the_reverse():
    minutes_alloc = alloc(2, eenheid="01", volume=180)
    out = run(
        judge([alloc(1), minutes_alloc]),
        line("R1", eenheid="01", volume=600, tarief=146, bedrag=round_half_up(8730 * 600, 60)),
        line("R2", nummer=2, eenheid="04", volume=1),
    )
    assert out["R1"] == [] and "9341" in out["R2"]


def test_tr341_aspecific_uses_the_contract_unit():
    aspecific = alloc(1, code=None, volume=None, eenheid=None, frequentie=None)
    out = run(
        judge([aspecific]),
        line("R1", eenheid="16", volume=2),
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert "9341" in out["R1"] and out["R2"] == []


def test_tr307_tr387_period_before_the_allocation_start():
    a = alloc(1, ingangsdatum=date(2026, 5, 8))
    out = run(
        judge([a]),
        line("R1", begin=date(2026, 5, 1)),  # before Ingangsdatum, and not the Ingangsdatum
        line("R2", begin=date(2026, 5, 8), volume=3),
    )
    assert out == {"R1": ["9307", "9387"], "R2": []}


def test_tr387_9387_period_must_start_on_the_first():
    out = run(
        judge(),
        line("R1", begin=date(2026, 5, 2)),
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert out == {"R1": ["9387"], "R2": []}


def test_tr308_tr388_period_after_the_allocation_end():
    a = alloc(1, einddatum=date(2026, 5, 20))
    out = run(judge([a]), line("R1"), line("R2", end=date(2026, 5, 20), volume=3))
    assert out == {"R1": ["9308", "9388"], "R2": []}


def test_tr388_9388_period_must_end_on_the_last_day():
    out = run(
        judge(),
        line("R1", end=date(2026, 5, 30)),
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert out == {"R1": ["9388"], "R2": []}


def test_tr389_9389_second_debet_for_the_same_month_until_credited():
    ledger = Ledger(open_keys={(1, "45", "45A04", 2026, 5)})
    out = run(
        judge(ledger=ledger), line("R1"), line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30))
    )
    assert out == {"R1": ["9389"], "R2": []}


def test_tr389_in_one_message_a_later_debet_sees_the_earlier_one():
    out = run(judge(), line("R1", volume=2), line("R2", volume=3))
    assert out == {"R1": [], "R2": ["9389"]}


def test_tr346_9346_amount_is_volume_times_tariff():
    out = run(
        judge(),
        line("R1", bedrag=10 * 8730 + 1),
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert out == {"R1": ["9346"], "R2": []}


def test_tr346_minutes_against_an_hour_tariff_use_the_unrounded_tariff():
    # € 87.30/h -> 146 ct/min in ProductTarief; 95 minutes -> 8730 * 95 / 60 = 13822.5 -> 13823
    ok = line("R1", eenheid="01", volume=95, tarief=146, bedrag=13823)
    wrong = line(
        "R2",
        eenheid="01",
        volume=95,
        tarief=146,
        bedrag=95 * 146,
        begin=date(2026, 4, 1),
        end=date(2026, 4, 30),
    )
    assert run(judge(), ok, wrong) == {"R1": [], "R2": ["9346"]}


def test_tr418_0611_tariff_differs_from_the_contract():
    out = run(
        judge(),
        line("R1", tarief=9000),  # amount consistent with its own tariff: only the tariff is off
        line("R2", begin=date(2026, 4, 1), end=date(2026, 4, 30)),
    )
    assert out == {"R1": ["0611"], "R2": []}


def test_tr418_dated_tariffs_and_uncontracted_products():
    contracts = book(
        TariffRow("45", "45A04", "04", 8500, "inspanning", date(2020, 1, 1), date(2026, 4, 30)),
        TariffRow("45", "45A04", "04", 8730, "inspanning", date(2026, 5, 1), None),
    )
    out = run(
        judge(contracts=contracts),
        line("R1"),
        line("R2", tarief=8500, begin=date(2026, 4, 1), end=date(2026, 4, 30)),
        line("R3", tarief=8500, begin=date(2026, 3, 1), end=date(2026, 3, 31)),
        line("R4", nummer=1, tarief=8730, begin=date(2026, 2, 1), end=date(2026, 2, 28)),
    )
    assert out == {"R1": [], "R2": [], "R3": [], "R4": ["0611"]}
    out = run(judge(contracts=book()), line("R5"))  # the region has contracts, this AGB none
    assert out == {"R5": ["0611"]}


def test_tr418_not_applied_without_any_contracts():
    assert run(judge(contracts=book(), configured=False), line("R1", tarief=1, bedrag=10)) == {
        "R1": []
    }


def test_tr321_9321_weekly_inspanning_month_maximum():
    # 3 h/week: May 2026 touches ISO weeks 18-22 -> 15 h; March W09-W14 -> 18 h = 1080 min
    out = run(
        judge(),
        line("R1", volume=16),
        line("R2", volume=15, begin=date(2026, 4, 1), end=date(2026, 4, 30)),
        line(
            "R3",
            eenheid="01",
            tarief=146,
            volume=1081,
            bedrag=round_half_up(8730 * 1081, 60),
            begin=date(2026, 3, 1),
            end=date(2026, 3, 31),
        ),
    )
    assert out == {"R1": ["9321"], "R2": [], "R3": ["9321"]}


def test_tr322_9322_cumulative_volume_over_the_allocation():
    # 10 h per month over 3 months (Jan-Mar): 30 h in total
    a = alloc(1, volume=10, frequentie="4", einddatum=date(2026, 3, 31))
    ledger = Ledger()
    ledger.volume[1] = 25 * 60  # 25 h approved before (in minutes: hour allocation)
    out = run(
        judge([a], ledger=ledger),
        line("R1", volume=6, begin=date(2026, 3, 1), end=date(2026, 3, 31)),
        line("R2", volume=5, begin=date(2026, 2, 1), end=date(2026, 2, 28)),
    )
    assert out == {"R1": ["9322"], "R2": []}


def test_tr322_credits_first_free_volume():
    a = alloc(1, volume=10, frequentie="6", einddatum=date(2026, 3, 31))
    content = (BSN, 1, "45", "45A04", date(2026, 1, 1), date(2026, 1, 31), 10, "04", 8730, 87300)
    ledger = Ledger(debets={"OLD": PriorDebet(7, G, content, False)}, used_refs={"OLD"})
    ledger.volume[1] = 600
    ledger.amount[1] = 87300
    debet = line("NEW", volume=4, begin=date(2026, 2, 1), end=date(2026, 2, 28))
    credit = line(
        "CR", vorig="OLD", dc="C", volume=10, begin=date(2026, 1, 1), end=date(2026, 1, 31)
    )
    j = judge([a], ledger=ledger)
    assert run(j, debet, credit) == {"NEW": [], "CR": []}
    assert j.ledger.credited == {7: "CR"} and j.ledger.volume[1] == 4 * 60


def test_tr369_9369_budget_over_the_allocation():
    a = alloc(1, code=None, volume=None, eenheid=None, frequentie=None, budget=100_000)
    ledger = Ledger()
    ledger.amount[1] = 60_000
    out = run(
        judge([a], ledger=ledger),
        line("R1", volume=5),  # 43,650 -> 103,650 > 100,000
        line("R2", volume=4, begin=date(2026, 4, 1), end=date(2026, 4, 30)),  # 34,920
    )
    assert out == {"R1": ["9369"], "R2": []}


def test_tr321_output_weekly_sunday_rule_with_euro_unit():
    # € 300 per week output, 2025-07-07..2025-09-05: August may hold 6 weeks (1,800 euro)
    a = alloc(
        1,
        categorie="45",
        code="45E83",
        eenheid="83",
        volume=30000,
        ingangsdatum=date(2025, 7, 7),
        einddatum=date(2025, 9, 5),
    )
    contracts = book(TariffRow("45", "45E83", "83", None, "output", date(2020, 1, 1), None))
    out = run(
        judge([a], contracts=contracts),
        line(
            "AUG",
            code="45E83",
            eenheid="83",
            tarief=None,
            volume=180000,
            begin=date(2025, 8, 1),
            end=date(2025, 8, 31),
        ),
        line(
            "SEP",
            code="45E83",
            eenheid="83",
            tarief=None,
            volume=30000,
            begin=date(2025, 9, 1),
            end=date(2025, 9, 5),
        ),
    )
    assert out == {"AUG": [], "SEP": ["9321"]}  # the broken last week went into August


def test_tr323_8017_credit_must_copy_an_approved_debet():
    content = (BSN, 1, "45", "45A04", date(2026, 4, 1), date(2026, 4, 30), 10, "04", 8730, 87300)
    ledger = Ledger(debets={"D1": PriorDebet(1, G, content, False)}, used_refs={"D1"})
    april = dict(begin=date(2026, 4, 1), end=date(2026, 4, 30), dc="C")
    ok = line("C1", vorig="D1", **april)
    unknown = line("C2", vorig="NOPE", **april)
    j = judge(ledger=ledger)
    judge_lines(j, [ok, unknown])
    assert list(ok.codes) == [] and unknown.codes == ["8017"]


def test_tr390_9390_a_debet_is_credited_once():
    content = (BSN, 1, "45", "45A04", date(2026, 4, 1), date(2026, 4, 30), 10, "04", 8730, 87300)
    ledger = Ledger(debets={"D1": PriorDebet(1, G, content, True)}, used_refs={"D1"})
    again = line("C2", vorig="D1", begin=date(2026, 4, 1), end=date(2026, 4, 30), dc="C")
    fresh = Ledger(debets={"D1": PriorDebet(1, G, content, False)}, used_refs={"D1"})
    first = line("C3", vorig="D1", begin=date(2026, 4, 1), end=date(2026, 4, 30), dc="C")
    judge_lines(judge(ledger=ledger), [again])
    judge_lines(judge(ledger=fresh), [first])
    assert again.codes == ["9390"] and list(first.codes) == []


def test_round_half_up_iv081():
    assert round_half_up(8730, 60) == 146  # 145.5 -> 146
    assert round_half_up(1454, 1000) == 1 and round_half_up(1455, 10) == 146


# --------------------------------------------------------------------------- tariff policy


def test_maximum_policy_approves_a_lower_tariff_equal_does_not():
    maximum = TariffRow(
        "45", "45A04", "04", 8730, "inspanning", date(2020, 1, 1), None, 1, "maximum"
    )
    lower = line("R1", tarief=8000)
    assert run(judge(contracts=book(HOUR)), lower) == {"R1": ["0611"]}  # equal: TR418
    assert run(judge(contracts=book(maximum)), line("R2", tarief=8000)) == {"R2": []}
    higher = line("R3", tarief=8731, begin=date(2026, 4, 1), end=date(2026, 4, 30))
    assert run(judge(contracts=book(maximum)), higher) == {"R3": ["0611"]}
    # minutes against an hour tariff: a lower minute tariff is volume x that tariff (TR346)
    minutes = line("R4", volume=90, eenheid="01", tarief=100, bedrag=9000)
    assert run(judge(contracts=book(maximum)), minutes) == {"R4": []}
    wrong = line("R5", volume=90, eenheid="01", tarief=100, bedrag=13095)  # the contract amount
    assert run(judge(contracts=book(maximum)), wrong) == {"R5": ["9346"]}


# --------------------------------------------------------------------------- OP264


def _trajectory(moment: str, milestones: tuple[int, ...] = ()) -> Catalogue:
    c = Catalogue(1)
    c.by_code["54D82"].append(
        ProductRow(
            "54", "54D82", "82", "output", None, None, date(2020, 1, 1), None, 1, moment, milestones
        )
    )
    return c


def test_op264_output_declared_at_the_end_of_the_trajectory():
    trajectory = alloc(
        categorie="54",
        code="54D82",
        volume=1,
        eenheid="82",
        frequentie="6",
        einddatum=date(2026, 6, 20),
    )
    tariff = TariffRow("54", "54D82", "82", 360000, "output", date(2020, 1, 1), None)
    j = judge([trajectory], contracts=book(tariff), catalogue=_trajectory("end"))
    early = line("R1", categorie="54", code="54D82", volume=1, eenheid="82", tarief=360000)
    assert run(j, early) == {"R1": ["0611"]}  # May: before the end
    end = line(
        "R2",
        categorie="54",
        code="54D82",
        volume=1,
        eenheid="82",
        tarief=360000,
        begin=date(2026, 6, 1),
        end=date(2026, 6, 20),
    )
    assert run(j, end) == {"R2": []}
    # without contracts configured the contract rules (TR418, OP264) do not apply
    j = judge([trajectory], contracts=book(tariff), catalogue=_trajectory("end"), configured=False)
    assert run(
        j, line("R3", categorie="54", code="54D82", volume=1, eenheid="82", tarief=360000)
    ) == {"R3": []}


def test_op264_milestones_of_the_allocated_total():
    total = alloc(categorie="54", code="54D82", volume=4, eenheid="82", frequentie="6")
    tariff = TariffRow("54", "54D82", "82", 90000, "output", date(2020, 1, 1), None)
    j = judge([total], contracts=book(tariff), catalogue=_trajectory("milestones", (50, 100)))

    def piece(ref: str, volume: int, month: int) -> Line:
        return line(
            ref,
            categorie="54",
            code="54D82",
            volume=volume,
            eenheid="82",
            tarief=90000,
            begin=date(2026, month, 1),
            end=date(2026, month, 28 if month == 2 else 30 if month in (4, 6, 9, 11) else 31),
        )

    assert run(j, piece("R1", 1, 3)) == {"R1": ["0611"]}  # 25 %: not a milestone
    assert run(j, piece("R2", 2, 4)) == {"R2": []}  # 50 %
    assert run(j, piece("R3", 2, 5)) == {"R3": []}  # 100 %
