"""Contracten: the region's contract set (members, products, contract lines with their tariffs
per period, ceilings), its export, and an import with a preview of what changes.

The preview runs the real import in a transaction that is rolled back, so it refuses exactly
what the import would refuse; only a confirmed import is committed (contract managers only).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from app.db.base import transaction
from app.reference.contract_doc import diff
from app.reference.contracts import (
    Actor,
    ContractForbidden,
    ContractImportError,
    export_document,
    import_document,
    parse_document,
)
from app.ui.core import SHOWN_AGAIN, FormDep, MeDep, UiDep, audit, page, require

router = APIRouter(prefix="/ui", include_in_schema=False)
MAX_DOCUMENT = 5 * 1024 * 1024


def _contracts_page(
    request: Request,
    me: MeDep,
    ctx: UiDep,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    with ctx.factory() as s:
        document = export_document(s, gemeente=me.gemeente)
        versions = (
            ctx.hooks.contract_versions(s, me.gemeente, ctx.clock.today().year)
            if ctx.hooks.contract_versions
            else None
        )
    context: dict[str, Any] = {"preview": None, "errors": [], "upload_error": ""}
    context.update(extra)
    return page(
        request,
        "contracten.html",
        me,
        status=status,
        active="contracten",
        document=document,
        versions=versions,
        **context,
    )


@router.get("/contracten")
def contracten(request: Request, me: MeDep, ctx: UiDep) -> Response:
    return _contracts_page(request, me, ctx)


@router.get("/contracten/export.json")
def export(request: Request, me: MeDep, ctx: UiDep) -> Response:
    with ctx.factory() as s:
        document = export_document(s, gemeente=me.gemeente)
    with transaction(ctx.factory) as s:
        audit(s, ctx, me, "download.contracts", "ok", me.gemeente)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2).encode(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="contracten-{me.gemeente}.json"'},
    )


async def _document_text(form: Any) -> tuple[str, str]:
    """(JSON text, error) from the uploaded file or the pasted text."""
    upload = form.get("bestand")
    text = form.get("document")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_DOCUMENT + 1)
        if len(data) > MAX_DOCUMENT:
            return "", "Het bestand is groter dan 5 MB."
        try:
            return data.decode("utf-8-sig"), ""
        except UnicodeDecodeError:
            return "", "Het bestand is geen UTF-8-tekst."
    if isinstance(text, str) and text.strip():
        return text, ""
    return "", "Kies een bestand of plak een contractdocument."


CHANGE_WORDS = {"added": "nieuw", "removed": "vervalt", "changed": "gewijzigd"}
# absent in a document means "keep what is stored", so these are not compared when absent
_KEPT_WHEN_ABSENT = ("ceilings", "task_funding")


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return str(value)


def changes(current: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """Every value the import of `new` changes in the sets it names (both in export form),
    by the same comparison as the set's versions (rows matched by their natural keys)."""
    before = {r["code"]: r for r in current.get("regions", [])}
    out = []
    for region in new.get("regions", []):
        old = dict(before.get(region["code"], {}))
        region = dict(region)
        for kept in _KEPT_WHEN_ABSENT:
            if region.get(kept) is None:
                region.pop(kept, None)
                old.pop(kept, None)
        for d in diff(old, region):
            out.append(
                {
                    "region": region["code"],
                    "path": d["path"],
                    "kind": CHANGE_WORDS[d["change"]],
                    "old": _shown(d["old"]),
                    "new": _shown(d["new"]),
                }
            )
    return out


def _dry_run(ctx: UiDep, me: MeDep, data: Any) -> tuple[Any, list[dict[str, str]]]:
    """Import in a transaction that is rolled back: (result, errors) exactly as a real import."""
    with ctx.factory() as s:
        s.begin()
        try:
            current = export_document(s, gemeente=me.gemeente)
            result = import_document(s, data, actor=Actor(me.gemeente, me.username))
            return (result, changes(current, parse_document(data).model_dump(mode="json"))), []
        except (ContractImportError, ContractForbidden) as exc:
            return None, exc.errors
        finally:
            s.rollback()


@router.post("/contracten/voorbeeld")
async def preview(request: Request, me: MeDep, ctx: UiDep, form: FormDep) -> Response:
    require("import_contracts")(me)
    text, error = await _document_text(form)
    if error:
        return _contracts_page(request, me, ctx, status=SHOWN_AGAIN, upload_error=error)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return _contracts_page(
            request,
            me,
            ctx,
            status=SHOWN_AGAIN,
            upload_error=f"Geen geldige JSON: {exc.msg} (regel {exc.lineno}).",
        )
    outcome, errors = _dry_run(ctx, me, data)
    with transaction(ctx.factory) as s:
        audit(s, ctx, me, "contracts.preview", "refused" if errors else "ok", me.gemeente)
    if errors:
        return _contracts_page(request, me, ctx, status=SHOWN_AGAIN, errors=errors)
    result, changes = outcome
    return _contracts_page(
        request,
        me,
        ctx,
        preview={
            "result": result,
            "changes": changes,
            "text": text,
            "digest": hashlib.sha256(text.encode()).hexdigest(),
        },
    )


@router.post("/contracten/importeren")
async def do_import(request: Request, me: MeDep, ctx: UiDep, form: FormDep) -> Response:
    require("import_contracts")(me)
    text = form.get("document")
    if not isinstance(text, str) or len(text) > MAX_DOCUMENT:
        return _contracts_page(request, me, ctx, status=SHOWN_AGAIN, upload_error="Geen document.")
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return _contracts_page(
            request, me, ctx, status=SHOWN_AGAIN, upload_error="Geen geldige JSON."
        )
    try:
        with transaction(ctx.factory) as s:
            result = import_document(s, data, actor=Actor(me.gemeente, me.username))
            audit(
                s,
                ctx,
                me,
                "contracts.import",
                "ok",
                ", ".join(result.regions),
                sha256=hashlib.sha256(text.encode()).hexdigest(),
                products=result.products,
                tariffs=result.tariffs,
                ceilings=result.ceilings,
            )
    except (ContractImportError, ContractForbidden) as exc:
        with transaction(ctx.factory) as s:
            audit(s, ctx, me, "contracts.import", "refused", me.gemeente)
        return _contracts_page(request, me, ctx, status=SHOWN_AGAIN, errors=exc.errors)
    return _contracts_page(request, me, ctx, imported=result)
