"""A set's product code list from CSV, as regions publish them (next to the JSON document).

One row per product code and validity period.  The header names the columns (case and spaces
do not matter; Dutch and English names both work); `;` or `,` separates them:

| column | also | required | meaning |
|---|---|---|---|
| `productcategorie` | `categorie` | yes | JZ020 category (2 digits) |
| `productcode` | `code` | yes | the code, 1-5 characters |
| `omschrijving` | `naam`, `name` | no | the product's name |
| `eenheid` | `unit` | yes | WJ756 unit (01 04 14 16 82 83 84) |
| `ingangsdatum` | `begindatum`, `valid_from` | yes | first day (YYYY-MM-DD or DD-MM-YYYY) |
| `einddatum` | `valid_to` | no | last day (empty: open) |
| `financiering` | `financing` | no | pxq (default), output, profiel, budget, taak |
| `profiel`, `intensiteit` | | no | for profile products |
| `tarief` | | no | regional default tariff in euros (`87,30` or `87.30`) for the row's period |

Rows are checked like the JSON document; every bad row is reported with its line number and the
whole file is refused.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.reference.contract_doc import DocumentError, ProductIn
from app.reference.contracts import Actor, ImportResult, replace_region_as, stored_region

MAX_ROWS = 20_000
_ALIASES = {
    "productcategorie": "categorie",
    "categorie": "categorie",
    "category": "categorie",
    "productcode": "code",
    "code": "code",
    "omschrijving": "name",
    "productomschrijving": "name",
    "naam": "name",
    "name": "name",
    "eenheid": "eenheid",
    "unit": "eenheid",
    "ingangsdatum": "valid_from",
    "begindatum": "valid_from",
    "valid_from": "valid_from",
    "einddatum": "valid_to",
    "valid_to": "valid_to",
    "financiering": "financing",
    "financing": "financing",
    "profiel": "profiel",
    "intensiteit": "intensiteit",
    "tarief": "tarief",
    "declaratiemoment": "declaration_moment",
}
_FINANCING = {
    "pxq": "pxq",
    "inspanning": "pxq",
    "output": "output",
    "profiel": "profile",
    "profile": "profile",
    "budget": "budget",
    "taak": "task",
    "taakgericht": "task",
    "task": "task",
}
_DMY = re.compile(r"([0-9]{1,2})-([0-9]{1,2})-([0-9]{4})")
_EUROS = re.compile(r"[0-9]{1,6}([.,][0-9]{1,2})?")


def _date(value: str) -> date:
    value = value.strip()
    m = _DMY.fullmatch(value)
    if m:
        return date(int(m[3]), int(m[2]), int(m[1]))
    return date.fromisoformat(value)


def _cents(value: str) -> int:
    text = value.strip().replace("€", "").strip()
    if not _EUROS.fullmatch(text):
        raise ValueError(f"a tariff in euros like 87,30, got {value!r}")
    try:
        return int(Decimal(text.replace(",", ".")) * 100)
    except InvalidOperation:
        raise ValueError(f"a tariff in euros like 87,30, got {value!r}") from None


def parse_products_csv(text: str) -> tuple[list[ProductIn], bool]:
    """The products of a CSV list, and whether it has a tariff column (raises DocumentError)."""
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise DocumentError([{"location": "line 1", "message": "the file is empty"}]) from None
    names = [_ALIASES.get(h.strip().lower().replace(" ", "")) for h in header]
    missing = {"categorie", "code", "eenheid", "valid_from"} - set(n for n in names if n)
    if missing:
        raise DocumentError(
            [{"location": "line 1", "message": f"missing column(s): {', '.join(sorted(missing))}"}]
        )
    has_tariff = "tarief" in names
    products: list[ProductIn] = []
    errors: list[dict[str, str]] = []
    for lineno, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if lineno > MAX_ROWS + 1:
            errors.append({"location": f"line {lineno}", "message": f"at most {MAX_ROWS} rows"})
            break
        values = {n: cell.strip() for n, cell in zip(names, row, strict=False) if n}
        data: dict[str, Any] = {}
        try:
            for key in ("categorie", "code", "name", "eenheid", "profiel", "intensiteit"):
                if values.get(key):
                    data[key] = values[key]
            data["valid_from"] = _date(values.get("valid_from", ""))
            if values.get("valid_to"):
                data["valid_to"] = _date(values["valid_to"])
            if values.get("financing"):
                fin = _FINANCING.get(values["financing"].lower())
                if fin is None:
                    raise ValueError(f"unknown financing {values['financing']!r}")
                data["financing"] = fin
            if values.get("declaration_moment"):
                data["declaration_moment"] = values["declaration_moment"].lower()
            if values.get("tarief"):
                data["tariffs"] = [
                    {
                        "eenheid": data.get("eenheid", ""),
                        "tarief": _cents(values["tarief"]),
                        "valid_from": data["valid_from"],
                        "valid_to": data.get("valid_to"),
                    }
                ]
            elif has_tariff and data.get("eenheid") == "83":
                data["tariffs"] = [
                    {
                        "eenheid": "83",
                        "tarief": None,
                        "valid_from": data["valid_from"],
                        "valid_to": data.get("valid_to"),
                    }
                ]
            products.append(ProductIn.model_validate(data))
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])
                errors.append({"location": f"line {lineno} {field}", "message": e["msg"]})
        except ValueError as exc:
            errors.append({"location": f"line {lineno}", "message": str(exc)})
    if errors:
        raise DocumentError(errors)
    return products, has_tariff


def replace_products(
    session: Session, code: str, text: str, actor: Actor, now: datetime
) -> ImportResult:
    """Replace the product list of set `code` with a CSV list (the administrator or the
    operator).  Without a tariff column the regional default tariffs of the codes that stay
    are kept.  Contract lines naming a code the list drops refuse the import."""
    products, has_tariff = parse_products_csv(text)
    region = stored_region(session, code, actor)
    if not has_tariff:
        kept = {p.code: p.tariffs for p in region.products if p.tariffs}
        latest: dict[str, ProductIn] = {}
        for p in products:
            latest[p.code] = p
        for k, p in latest.items():
            p.tariffs = list(kept.get(k, []))
    region.products = products
    return replace_region_as(session, region, actor, now, "products")
