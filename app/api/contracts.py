"""Contract sets over HTTP: import and export the `ijw-contracts/2` document, governance,
versions, indexation and product lists from CSV (docs/contracts.md).

Gemeenten read every set they are a member of (or invited to); only a set's administrator
changes it; a new set is administered by the gemeente that creates it, and the gemeenten it
lists are invited until they join.  Providers read the contract lines they hold.  A bad document
is refused as a whole with one detail per bad row: nothing is half-imported.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import (
    ApiError,
    CallerDep,
    GemeenteDep,
    ServiceDep,
    SessionDep,
    UserDep,
    read_limited,
)
from app.exchange.models import Party
from app.ijw.catalogue import Role
from app.reference import contracts as sets
from app.reference.contract_doc import ContractDocument, upgrade_v1
from app.reference.contracts import (
    Actor,
    ContractForbidden,
    ContractImportError,
    ContractNotFound,
    contract_schema,
    export_document,
    import_document,
)
from app.reference.indexation import index_region
from app.reference.product_csv import replace_products

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])
# Path parameters are bounded like every other input: a set's code, a version number.
Code = Annotated[str, Path(min_length=1, max_length=40)]
Number = Annotated[int, Path(ge=1, le=10**9)]
MAX_CSV_BYTES = 5 * 1024 * 1024


class Imported(BaseModel):
    """What an import changed: the sets, counts, the new version per set (absent when nothing
    changed) and the gemeenten that were invited."""

    regions: list[str]
    products: int
    contracts: int
    tariffs: int
    ceilings: int
    versions: dict[str, int]
    invited: list[str]


class ImportResult(BaseModel):
    imported: Imported


class Member(BaseModel):
    gemeente: str
    status: Literal["active", "invited"]


class Members(BaseModel):
    region: str
    administrator: str | None
    members: list[Member]


class VersionOut(BaseModel):
    """One version of a set: who changed it, when, how, and how many values changed."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    action: str
    actor_party: str | None
    actor_user: str | None
    at: datetime
    changed: int


class VersionList(BaseModel):
    region: str
    items: list[VersionOut]


class Change(BaseModel):
    path: str
    change: Literal["added", "removed", "changed"]
    old: Any
    new: Any


class DiffOut(BaseModel):
    region: str
    old: int
    new: int
    changes: list[Change]


class VersionChange(BaseModel):
    region: str
    version: int | None


class AdministratorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gemeente: str = Field(pattern=r"^[0-9]{4}$")


class IndexIn(BaseModel):
    """Index a set's tariffs from `start` by a percentage, or per code or category."""

    model_config = ConfigDict(extra="forbid")

    start: date = Field(description="the first day of the indexed tariffs")
    percentage: Decimal | None = Field(
        default=None, ge=-100, le=100, decimal_places=4, description="e.g. 2.96"
    )
    table: dict[str, Decimal] | None = Field(
        default=None, max_length=5000, description="per product code or category: percentage"
    )
    rounding: Literal["half_up", "down", "up"] = "half_up"


class IndexOut(BaseModel):
    region: str
    start: date
    indexed: int
    skipped: list[str]
    version: int | None


def _actor(party: Party, user: str | None) -> Actor:
    return Actor(party.code, user)


def _refused(exc: Exception) -> ApiError:
    if isinstance(exc, ContractForbidden):
        return ApiError(403, "CONTRACT_FORBIDDEN", str(exc), exc.errors)
    if isinstance(exc, ContractNotFound):
        return ApiError(404, "NOT_FOUND", f"no {exc} of yours")
    assert isinstance(exc, ContractImportError)
    return ApiError(422, "CONTRACT_INVALID", str(exc), exc.errors)


_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "not the administrator of the set: {code, message, details[]}"},
    404: {"description": "no such set of yours"},
    422: {"description": "CONTRACT_INVALID: one detail {location, message} per bad row"},
}


@router.get("/schema", summary="JSON Schema of the contract document")
def schema() -> dict[str, Any]:
    """The `ijw-contracts/2` format (docs/contracts.md explains every field)."""
    return contract_schema()


@router.post("/upgrade", summary="Convert an ijw-contracts/1 document to ijw-contracts/2")
def upgrade(
    party: CallerDep, document: dict[str, Any] = Body(..., description="ijw-contracts/1")
) -> ContractDocument:
    """The same sets in version 2 (nothing is stored)."""
    try:
        return ContractDocument.model_validate(upgrade_v1(document))
    except ContractImportError as exc:
        raise _refused(exc) from None


@router.get("", summary="Export your contract sets")
def export(party: CallerDep, s: SessionDep) -> ContractDocument:
    """A gemeente gets every set it is a member of or invited to, in full; a provider gets the
    sets it has contract lines in, with only its own lines, ceilings and task funding."""
    if party.role == Role.GEMEENTE:
        document = export_document(s, gemeente=party.code)
    else:
        document = export_document(s, aanbieder=party.code)
    return ContractDocument.model_validate(document)


@router.put("", summary="Import (replace) contract sets you administer", responses=_ERRORS)
def put_contracts(
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    user: UserDep,
    document: dict[str, Any] = Body(..., description="an ijw-contracts/2 (or /1) document"),
) -> ImportResult:
    """Replace the sets in the document.  An existing set may only be replaced by its
    administrator (403 CONTRACT_FORBIDDEN otherwise); a new one is administered by you and
    must list you; other gemeenten it lists are invited until they join.  Refused as a whole
    with 422 CONTRACT_INVALID and one detail per bad row."""
    try:
        result = import_document(s, document, actor=_actor(party, user), now=svc.clock.now())
    except (ContractImportError, ContractForbidden) as exc:
        raise _refused(exc) from None
    return ImportResult(imported=Imported.model_validate(result, from_attributes=True))


def _visible(s: SessionDep, code: str, party: Party) -> None:
    if sets.visible_to(s, code, party.code) is None:
        raise ApiError(404, "NOT_FOUND", f"no contract set {code} of yours")


@router.get("/{code}/members", summary="Members of a set and their status")
def members(code: Code, party: GemeenteDep, s: SessionDep) -> Members:
    _visible(s, code, party)
    region = sets.visible_to(s, code, None)
    assert region is not None
    return Members(
        region=code,
        administrator=region.administrator,
        members=[
            Member(gemeente=g, status=st)  # type: ignore[arg-type]  # active | invited
            for g, st in sets.members_of(s, code)
        ],
    )


@router.post("/{code}/join", summary="Join a set you were invited to", responses=_ERRORS)
def join(
    code: Code, party: GemeenteDep, s: SessionDep, svc: ServiceDep, user: UserDep
) -> VersionChange:
    """From now on the set's contracts, ceilings and catalogue apply to you."""
    try:
        version = sets.join(s, code, party.code, _actor(party, user), svc.clock.now())
    except (ContractImportError, ContractForbidden, ContractNotFound) as exc:
        raise _refused(exc) from None
    return VersionChange(region=code, version=version)


@router.delete("/{code}/membership", summary="Leave a set", responses=_ERRORS)
def leave(
    code: Code, party: GemeenteDep, s: SessionDep, svc: ServiceDep, user: UserDep
) -> VersionChange:
    """Leave a set (or decline the invitation); the administrator hands over first."""
    try:
        version = sets.leave(s, code, party.code, _actor(party, user), svc.clock.now())
    except (ContractForbidden, ContractNotFound) as exc:
        raise _refused(exc) from None
    return VersionChange(region=code, version=version)


@router.post("/{code}/administrator", summary="Hand over the administration", responses=_ERRORS)
def administrator(
    code: Code,
    body: AdministratorIn,
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    user: UserDep,
) -> VersionChange:
    """The administrator makes another active member the administrator."""
    try:
        version = sets.transfer(s, code, body.gemeente, _actor(party, user), svc.clock.now())
    except (ContractForbidden, ContractNotFound) as exc:
        raise _refused(exc) from None
    return VersionChange(region=code, version=version)


@router.delete("/{code}", summary="Dismantle a set (administrator only)", responses=_ERRORS)
def dismantle(
    code: Code, party: GemeenteDep, s: SessionDep, svc: ServiceDep, user: UserDep
) -> VersionChange:
    """Delete the set; its versions stay and can still be exported."""
    try:
        version = sets.delete_region(s, code, _actor(party, user), svc.clock.now())
    except (ContractForbidden, ContractNotFound) as exc:
        raise _refused(exc) from None
    return VersionChange(region=code, version=version)


def _versions_visible(s: SessionDep, code: str, party: Party) -> None:
    if sets.visible_to(s, code, party.code) is None and not any(
        party.code in (v.actor_party, (v.document or {}).get("administrator"))
        or party.code in (v.document or {}).get("gemeenten", [])
        for v in sets.versions_of(s, code)
    ):
        raise ApiError(404, "NOT_FOUND", f"no contract set {code} of yours")


@router.get("/{code}/versions", summary="Every version of a set: who, when, what")
def versions(code: Code, party: GemeenteDep, s: SessionDep) -> VersionList:
    _versions_visible(s, code, party)
    return VersionList(
        region=code,
        items=[
            VersionOut(
                version=v.version,
                action=v.action,
                actor_party=v.actor_party,
                actor_user=v.actor_user,
                at=v.at,
                changed=len(v.changes or []),
            )
            for v in sets.versions_of(s, code)
        ],
    )


@router.get("/{code}/versions/{number}", summary="Export one version of a set")
def version(code: Code, number: Number, party: GemeenteDep, s: SessionDep) -> ContractDocument:
    """The set as it was in that version, in the import format (a deleted set: no regions)."""
    _versions_visible(s, code, party)
    try:
        return ContractDocument.model_validate(sets.version_document(s, code, number))
    except ContractNotFound as exc:
        raise _refused(exc) from None


@router.get("/{code}/diff", summary="What changed between two versions of a set")
def version_diff(
    code: Code,
    party: GemeenteDep,
    s: SessionDep,
    old: int = Query(alias="from", ge=1, le=10**9),
    new: int = Query(alias="to", ge=1, le=10**9),
) -> DiffOut:
    _versions_visible(s, code, party)
    try:
        changes = sets.diff_versions(s, code, old, new)
    except ContractNotFound as exc:
        raise _refused(exc) from None
    return DiffOut(
        region=code, old=old, new=new, changes=[Change.model_validate(c) for c in changes]
    )


@router.post("/{code}/index", summary="Index a set's tariffs from a date", responses=_ERRORS)
def index(
    code: Code,
    body: IndexIn,
    party: GemeenteDep,
    s: SessionDep,
    svc: ServiceDep,
    user: UserDep,
) -> IndexOut:
    """New dated tariffs from `start` for every tariff valid on it (regional defaults and
    provider exceptions); the old ones stay for earlier periods.  Rounding: docs/contracts.md."""
    try:
        result = index_region(
            s,
            code,
            start=body.start,
            percentage=body.percentage,
            table=body.table,
            rounding=body.rounding,
            actor=_actor(party, user),
            now=svc.clock.now(),
        )
    except (ContractImportError, ContractForbidden, ContractNotFound) as exc:
        raise _refused(exc) from None
    return IndexOut(
        region=code,
        start=result.start,
        indexed=result.indexed,
        skipped=result.skipped,
        version=result.version,
    )


@router.put(
    "/{code}/products",
    summary="Replace a set's product list from CSV",
    responses=_ERRORS,
    openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def put_products(
    code: Code, request: Request, party: GemeenteDep, svc: ServiceDep, user: UserDep
) -> ImportResult:
    """The region's published product list (columns in docs/contracts.md); without a tariff
    column the regional default tariffs of the codes that stay are kept."""
    raw = await read_limited(
        request, MAX_CSV_BYTES, "TOO_LARGE", f"a product list is at most {MAX_CSV_BYTES} bytes"
    )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "NOT_UTF8", "the CSV is not UTF-8") from None
    with svc.factory() as s, s.begin():
        try:
            result = replace_products(s, code, text, _actor(party, user), svc.clock.now())
        except (ContractImportError, ContractForbidden, ContractNotFound) as exc:
            raise _refused(exc) from None
        return ImportResult(imported=Imported.model_validate(result, from_attributes=True))
