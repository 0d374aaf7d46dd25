"""Contracts as data over HTTP: import and export the `ijw-contracts/1` document.

Gemeenten import and export their own region (members, product catalogue, contracts with dated
tariffs, ceilings); providers read the contract lines they hold.  A bad document is refused as a
whole with one detail per bad row: nothing is half-imported.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Body, Depends
from sqlalchemy.orm import Session

from app.api.deps import ApiError, caller, gemeente, session
from app.db.models import Party
from app.domain.contracts import (
    ContractImportError,
    contract_schema,
    export_document,
    import_document,
)
from app.ijw.catalogue import Role

router = APIRouter(prefix="/v1/contracts", tags=["contracts"])


@router.get("/schema", summary="JSON Schema of the contract document")
def schema() -> dict[str, Any]:
    """The `ijw-contracts/1` format (docs/contracts.md explains every field)."""
    return contract_schema()


@router.get("", summary="Export your contracts")
def export(party: Party = Depends(caller), s: Session = Depends(session)) -> dict[str, Any]:
    """A gemeente gets its region in full; a provider gets the regions it has contract lines
    in, with only its own lines and ceilings."""
    if party.role == Role.GEMEENTE:
        return export_document(s, gemeente=party.code)
    return export_document(s, aanbieder=party.code)


@router.put("", summary="Import (replace) your region's contracts")
def put_contracts(
    document: dict[str, Any] = Body(..., description="an ijw-contracts/1 document"),
    party: Party = Depends(gemeente),
    s: Session = Depends(session),
) -> dict[str, Any]:
    """Replace the regions in the document (each must list the calling gemeente).  Refused
    as a whole with 422 CONTRACT_INVALID and one detail per bad row."""
    try:
        result = import_document(s, document, allowed_gemeente=party.code)
    except ContractImportError as exc:
        raise ApiError(422, "CONTRACT_INVALID", str(exc), exc.errors) from None
    return {"imported": asdict(result)}
