"""TR381 (S329): the product catalogue and `product_known` (national and regional lists)."""

from __future__ import annotations

from datetime import date

from app.db.base import session_factory, transaction
from app.reference.models import Product, Region, RegionMember
from app.reference.products import load_catalogue, product_known


def _region(s, *, codes=()) -> Region:
    region = Region(code="R1", name="Regio", auto_allocate=False, stacking_exceptions=[])
    s.add(region)
    s.flush()
    s.add(RegionMember(region_id=region.id, gemeente="0363"))
    for cat, code, valid_from, valid_to in codes:
        s.add(
            Product(
                region_id=region.id,
                categorie=cat,
                code=code,
                name=code,
                eenheid="04",
                financing="pxq",
                valid_from=valid_from,
                valid_to=valid_to,
            )
        )
    s.flush()
    return region


def test_tr381_national_list_without_regional_catalogue(db_engine):
    with transaction(session_factory(db_engine)) as s:
        assert product_known(s, "0363", "45", "45A04", date(2026, 1, 1))
        assert not product_known(s, "0363", "45", "43A04", date(2026, 1, 1))  # S329
        assert not product_known(s, "0363", "99", None, date(2026, 1, 1))  # no such category
        assert product_known(s, "0363", "45", None, date(2026, 1, 1))  # aspecific


def test_tr381_regional_list_with_validity(db_engine):
    with transaction(session_factory(db_engine)) as s:
        _region(
            s,
            codes=[
                ("45", "OLD01", date(2020, 1, 1), date(2025, 12, 31)),
                ("45", "NEW01", date(2026, 1, 1), None),
            ],
        )
        assert product_known(s, "0363", "45", "NEW01", date(2026, 3, 1))
        assert not product_known(s, "0363", "43", "NEW01", date(2026, 3, 1))  # wrong category
        assert not product_known(s, "0363", "45", "NEW01", date(2025, 3, 1))  # not yet valid
        # an old code stays valid for an allocation that started while it was in the list
        assert product_known(s, "0363", "45", "OLD01", date(2025, 6, 1))
        assert not product_known(s, "0363", "45", "OLD01", date(2026, 2, 1))
        assert not product_known(s, "0363", "45", "45A04", date(2026, 3, 1))  # not regional
        # another gemeente (not in the region) still uses the national list
        assert product_known(s, "0599", "45", "45A04", date(2026, 3, 1))
        cat = load_catalogue(s, "0363")
        assert cat.known("45", "NEW01", date(2026, 3, 1))
        assert not cat.known("45", "OLD01", date(2026, 2, 1))
