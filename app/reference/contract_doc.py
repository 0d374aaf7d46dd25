"""The contract document: `ijw-contracts/2` (and the upgrade from `ijw-contracts/1`), and the
diff between two versions of a contract set.

A document describes whole contract sets ("regions" in the document: regional, local or
supra-regional purchasing, docs/contracts.md): members and administrator, the product catalogue
with regional default tariffs, contract lines per provider for some or all member gemeenten and
a period with extension options and per-provider tariff exceptions, budget ceilings, task-based
funding and the set's settings.  Every model is strict (unknown fields are refused) and every
integer bounded.

Version 1 documents (one contract line per provider x product with its own tariffs, ceilings per
calendar year, one region per gemeente) still import: `upgrade_v1` turns them into version 2
without losing anything (each v1 line becomes a v2 line for one code whose tariffs are the
line's own exceptions, running from its first tariff to its last).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT: Literal["ijw-contracts/2"] = "ijw-contracts/2"
FORMAT_V1: Literal["ijw-contracts/1"] = "ijw-contracts/1"
# Amounts are integer cents in 64-bit columns; 10^15 cents (10 trillion euro) leaves room to
# sum thousands of them without overflowing anything downstream.
MAX_CENTS = 10**15
MAX_TARIEF = 99_999_999  # LDT_Bedrag of ProductTarief: 8 digits
Variant = Literal["inspanning", "output", "taakgericht"]
Financing = Literal["pxq", "output", "profile", "budget", "task"]
# The execution variant of a product when its contract line does not name one (UP028).
DEFAULT_VARIANT: dict[str, str] = {
    "pxq": "inspanning",
    "output": "output",
    "profile": "output",
    "budget": "output",
    "task": "taakgericht",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TariffIn(_Strict):
    """One dated tariff: cents per `eenheid` (none for euro products, Eenheid 83)."""

    eenheid: str = Field(description="WJ756 unit the tariff is per: 01 04 14 16 82 83 84")
    tarief: int | None = Field(
        default=None, ge=0, le=MAX_TARIEF, description="eurocents per eenheid"
    )
    valid_from: date
    valid_to: date | None = None


class LineTariffIn(TariffIn):
    """A per-provider exception to the regional default tariff of one of the line's codes."""

    code: str = Field(min_length=1, max_length=5)


class ProductIn(_Strict):
    """A catalogue entry: national category + regional code, unit, validity, default tariffs."""

    categorie: str = Field(description="JZ020 product category (2 digits)")
    code: str = Field(min_length=1, max_length=5)
    name: str = Field(default="", max_length=200)
    eenheid: str
    financing: Financing = "pxq"
    profiel: str | None = Field(default=None, max_length=60)
    intensiteit: str | None = Field(default=None, max_length=30)
    valid_from: date
    valid_to: date | None = None
    tariffs: list[TariffIn] = Field(
        default_factory=list, description="regional default tariffs (every contracted provider)"
    )
    declaration_moment: Literal["period", "end", "milestones"] = Field(
        "period", description="OP264 for output products: each period, at the end, milestones"
    )
    milestones: list[int] | None = Field(
        default=None,
        description="milestones: cumulative percentages of the allocated total, last 100",
    )


class ExtensionIn(_Strict):
    """An extension option that was exercised: the line runs until `until` for `gemeenten`."""

    until: date
    gemeenten: list[str] | None = Field(
        default=None, description="null: every gemeente of the line"
    )


class ContractIn(_Strict):
    """A contract line: one aanbieder, some products, some or all member gemeenten, a period."""

    aanbieder: str = Field(description="AGB code, 8 digits")
    codes: list[str] = Field(min_length=1, description="product codes of the set's catalogue")
    variant: Variant | None = Field(default=None, description="UP028; null: the product's default")
    gemeenten: list[str] | None = Field(default=None, description="null: every member gemeente")
    start: date
    end: date | None = Field(default=None, description="end of the initial term (inclusive)")
    extension_options: list[int] = Field(
        default_factory=list, description="months of each extension option, in order"
    )
    extensions: list[ExtensionIn] = Field(default_factory=list)
    tariffs: list[LineTariffIn] = Field(default_factory=list, description="tariff exceptions")


class CeilingIn(_Strict):
    """A budget ceiling for a year or another period, pooled or per provider."""

    name: str = Field(min_length=1, max_length=100)
    year: int | None = Field(
        default=None, ge=2015, le=2100, description="a calendar year, or start/end"
    )
    start: date | None = None
    end: date | None = None
    amount: int = Field(ge=0, le=MAX_CENTS, description="eurocents")
    hard: bool = True
    aanbieders: list[str] | None = Field(
        default=None, description="the providers sharing the ceiling"
    )
    all_contracted: bool = Field(
        default=False,
        description="a pool over every provider contracted in the set, joiners included",
    )
    categories: list[str] | None = Field(default=None, description="product categories; null = all")
    codes: list[str] | None = Field(
        default=None, description="product codes (a perceel); null = all"
    )
    gemeenten: list[str] | None = Field(default=None, description="member gemeenten; null = all")
    thresholds: list[int] = Field(
        default_factory=lambda: [90], description="warning thresholds, percent of the amount"
    )

    def period(self) -> tuple[date, date]:
        """The ceiling's period (a year, or start..end)."""
        if self.year is not None:
            return date(self.year, 1, 1), date(self.year, 12, 31)
        assert self.start is not None and self.end is not None
        return self.start, self.end


class TaskFundingIn(_Strict):
    """A lump sum for task-based care: `amount` cents for the period, paid regardless of use."""

    name: str = Field(min_length=1, max_length=100)
    aanbieder: str
    code: str = Field(min_length=1, max_length=5)
    gemeenten: list[str] | None = None
    start: date
    end: date
    amount: int = Field(ge=0, le=MAX_CENTS)


class PaymentFieldsIn(_Strict):
    kostenplaats: str | None = Field(default=None, max_length=40)
    grootboek: str | None = Field(default=None, max_length=40)


class PaymentIn(PaymentFieldsIn):
    """Fields of the payment export: defaults, then per categorie, then per gemeente."""

    by_categorie: dict[str, PaymentFieldsIn] = Field(default_factory=dict)
    by_gemeente: dict[str, PaymentFieldsIn] = Field(default_factory=dict)


class RegionIn(_Strict):
    """A contract set with everything it contracts."""

    code: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)
    kind: Literal["regional", "local", "supra-regional"] = "regional"
    administrator: str | None = Field(
        default=None, description="CBS code of the administering member gemeente"
    )
    gemeenten: list[str] = Field(min_length=1)
    auto_allocate: bool = False
    stacking_exceptions: list[str] = Field(default_factory=list)
    exception_max_days: dict[str, int] = Field(
        default_factory=dict, description="longest allowed stacking exception, e.g. Acuut: 14"
    )
    tariff_policy: Literal["equal", "maximum"] = "equal"
    realisation: dict[str, int] = Field(
        default_factory=dict, description="percent of committed that is usually spent, by cat."
    )
    payment: PaymentIn | None = None
    products: list[ProductIn] = Field(default_factory=list)
    contracts: list[ContractIn] = Field(default_factory=list)
    ceilings: list[CeilingIn] | None = Field(
        default=None, description="when present, replaces the set's ceilings"
    )
    task_funding: list[TaskFundingIn] | None = Field(
        default=None, description="when present, replaces the set's task-based funding"
    )


class ContractDocument(_Strict):
    """The import/export document."""

    format: Literal["ijw-contracts/2"] = FORMAT
    regions: list[RegionIn]


# --------------------------------------------------------------------------- version 1


class _ContractV1(_Strict):
    aanbieder: str
    code: str
    variant: Variant
    tariffs: list[TariffIn] = Field(min_length=1)


class _CeilingV1(_Strict):
    name: str = Field(min_length=1, max_length=100)
    year: int = Field(ge=2015, le=2100)
    amount: int = Field(ge=0, le=MAX_CENTS)
    hard: bool = True
    aanbieders: list[str] = Field(min_length=1)
    categories: list[str] | None = None
    gemeente: str | None = None


class _ProductV1(_Strict):
    categorie: str
    code: str = Field(min_length=1, max_length=5)
    name: str = Field(default="", max_length=200)
    eenheid: str
    financing: Financing = "pxq"
    profiel: str | None = Field(default=None, max_length=60)
    intensiteit: str | None = Field(default=None, max_length=30)
    valid_from: date
    valid_to: date | None = None


class _RegionV1(_Strict):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(default="", max_length=200)
    gemeenten: list[str] = Field(min_length=1)
    auto_allocate: bool = False
    stacking_exceptions: list[str] = Field(default_factory=list)
    products: list[_ProductV1] = Field(default_factory=list)
    contracts: list[_ContractV1] = Field(default_factory=list)
    ceilings: list[_CeilingV1] | None = None


class _DocumentV1(_Strict):
    format: Literal["ijw-contracts/1"]
    regions: list[_RegionV1]


def _upgrade_region(r: _RegionV1) -> RegionIn:
    contracts = []
    for c in r.contracts:
        ends = [t.valid_to for t in c.tariffs]
        contracts.append(
            ContractIn(
                aanbieder=c.aanbieder,
                codes=[c.code],
                variant=c.variant,
                start=min(t.valid_from for t in c.tariffs),
                end=None if None in ends else max(e for e in ends if e is not None),
                tariffs=[LineTariffIn(code=c.code, **t.model_dump()) for t in c.tariffs],
            )
        )
    ceilings = None
    if r.ceilings is not None:
        ceilings = [
            CeilingIn(
                name=x.name,
                year=x.year,
                amount=x.amount,
                hard=x.hard,
                aanbieders=x.aanbieders,
                categories=x.categories,
                gemeenten=[x.gemeente] if x.gemeente else None,
            )
            for x in r.ceilings
        ]
    return RegionIn(
        code=r.code,
        name=r.name,
        gemeenten=r.gemeenten,
        auto_allocate=r.auto_allocate,
        stacking_exceptions=r.stacking_exceptions,
        products=[ProductIn(**p.model_dump()) for p in r.products],
        contracts=contracts,
        ceilings=ceilings,
    )


def upgrade_v1(data: Any) -> dict[str, Any]:
    """An `ijw-contracts/1` document as `ijw-contracts/2` (raises DocumentError)."""
    return _parse(data).model_dump(mode="json", exclude_none=False)


# --------------------------------------------------------------------------- parsing


class DocumentError(Exception):
    """The document was refused; `errors` has one {location, message} entry per bad field."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__(f"{len(errors)} error(s) in the contract document")
        self.errors = errors


def location(parts: Iterable[Any]) -> str:
    """`regions[0].contracts[3].tariffs[1]` from a pydantic error location."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _parse(data: Any) -> ContractDocument:
    fmt = data.get("format") if isinstance(data, dict) else None
    try:
        if fmt == FORMAT_V1:
            old = _DocumentV1.model_validate(data)
            return ContractDocument(regions=[_upgrade_region(r) for r in old.regions])
        return ContractDocument.model_validate(data)
    except ValidationError as exc:
        raise DocumentError(
            [{"location": location(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        ) from None


def parse_document(data: Any) -> ContractDocument:
    """Validate the shape of a version 2 (or version 1) document; raises DocumentError."""
    return _parse(data)


def contract_schema() -> dict[str, Any]:
    """The JSON Schema of the import/export document (version 2)."""
    return ContractDocument.model_json_schema()


# --------------------------------------------------------------------------- diff

# How the lists of a set are keyed when two versions are compared: a row keeps its identity
# when these fields are equal, so a changed tariff shows as a change, not a remove + add.
_KEYS: dict[str, tuple[str, ...]] = {
    "products": ("code", "valid_from"),
    "contracts": ("aanbieder", "codes", "start"),
    "ceilings": ("name", "year", "start"),
    "task_funding": ("name", "aanbieder", "start"),
    "tariffs": ("code", "valid_from"),
    "extensions": ("until",),
}


def _key(item: dict[str, Any], fields: tuple[str, ...]) -> str:
    values = (item[f] for f in fields if f in item)  # a product's tariffs have no code
    return "|".join(",".join(v) if isinstance(v, list) else str(v) for v in values)


def diff(old: Any, new: Any, path: str = "") -> list[dict[str, Any]]:
    """What changed from `old` to `new` (two set documents as JSON): one entry per changed
    value `{path, change: added|removed|changed, old, new}`, lists of rows matched by their
    natural keys (products by code and start, contract lines by provider, codes and start)."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[dict[str, Any]] = []
        for k in sorted(set(old) | set(new)):
            sub = f"{path}.{k}" if path else k
            if k not in old:
                out.append({"path": sub, "change": "added", "old": None, "new": new[k]})
            elif k not in new:
                out.append({"path": sub, "change": "removed", "old": old[k], "new": None})
            else:
                out.extend(diff(old[k], new[k], sub))
        return out
    name = path.rsplit(".", 1)[-1]
    if isinstance(old, list) and isinstance(new, list) and name in _KEYS:
        fields = _KEYS[name]
        before = {_key(i, fields): i for i in old if isinstance(i, dict)}
        after = {_key(i, fields): i for i in new if isinstance(i, dict)}
        if len(before) == len(old) and len(after) == len(new):
            out = []
            for k in list(before) + [k for k in after if k not in before]:
                sub = f"{path}[{k}]"
                if k not in after:
                    out.append({"path": sub, "change": "removed", "old": before[k], "new": None})
                elif k not in before:
                    out.append({"path": sub, "change": "added", "old": None, "new": after[k]})
                else:
                    out.extend(diff(before[k], after[k], sub))
            return out
    if old != new:
        return [{"path": path, "change": "changed", "old": old, "new": new}]
    return []
