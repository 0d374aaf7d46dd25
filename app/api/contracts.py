"""Contracts as data over HTTP: import and export the `ijw-contracts/1` document.

Gemeenten import and export their own region (members, product catalogue, contracts with dated
tariffs, ceilings); providers read the contract lines they hold.  A bad document is refused as a
whole with one detail per bad row: nothing is half-imported.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body
from pydantic import BaseModel

from app.api.deps import ApiError, CallerDep, GemeenteDep, SessionDep
from app.ijw.catalogue import Role
from app.reference.contracts import (
    ContractDocument,
    ContractImportError,
    contract_schema,
    export_document,
    import_document,
)

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


class Imported(BaseModel):
    """What an import changed."""

    regions: list[str]
    products: int
    contracts: int
    tariffs: int
    ceilings: int


class ImportResult(BaseModel):
    imported: Imported


@router.get("/schema", summary="JSON Schema of the contract document")
def schema() -> dict[str, Any]:
    """The `ijw-contracts/1` format (docs/contracts.md explains every field)."""
    return contract_schema()


@router.get("", summary="Export your contracts")
def export(party: CallerDep, s: SessionDep) -> ContractDocument:
    """A gemeente gets its region in full; a provider gets the regions it has contract lines
    in, with only its own lines and ceilings."""
    if party.role == Role.GEMEENTE:
        document = export_document(s, gemeente=party.code)
    else:
        document = export_document(s, aanbieder=party.code)
    return ContractDocument.model_validate(document)


@router.put("", summary="Import (replace) your region's contracts")
def put_contracts(
    party: GemeenteDep,
    s: SessionDep,
    document: dict[str, Any] = Body(..., description="an ijw-contracts/1 document"),
) -> ImportResult:
    """Replace the regions in the document (each must list the calling gemeente).  Refused
    as a whole with 422 CONTRACT_INVALID and one detail per bad row."""
    try:
        result = import_document(s, document, allowed_gemeente=party.code)
    except ContractImportError as exc:
        raise ApiError(422, "CONTRACT_INVALID", str(exc), exc.errors) from None
    return ImportResult(imported=Imported.model_validate(result, from_attributes=True))
