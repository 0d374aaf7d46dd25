"""What a contract import would change: the current export against the new document, row by
row (members, products, tariffs per period, ceilings).  Pure: two documents in, changes out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Change:
    """One row that is added, removed or changed (with the fields that differ)."""

    region: str
    what: str  # lid | product | tarief | plafond
    kind: str  # nieuw | vervalt | gewijzigd
    key: str
    fields: tuple[tuple[str, Any, Any], ...] = ()


def _index(
    rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Key]
) -> dict[Key, dict[str, Any]]:
    return {key(r): r for r in rows}


def _compare(
    region: str,
    what: str,
    old: dict[Key, dict[str, Any]],
    new: dict[Key, dict[str, Any]],
    label: Callable[[Key], str],
) -> list[Change]:
    out = []
    for k in sorted(set(old) | set(new), key=str):
        if k not in new:
            out.append(Change(region, what, "vervalt", label(k)))
        elif k not in old:
            out.append(Change(region, what, "nieuw", label(k)))
        else:
            fields = tuple(
                (f, old[k].get(f), new[k].get(f))
                for f in sorted(set(old[k]) | set(new[k]))
                if old[k].get(f) != new[k].get(f)
            )
            if fields:
                out.append(Change(region, what, "gewijzigd", label(k), fields))
    return out


def _tariffs(region: dict[str, Any]) -> Iterable[dict[str, Any]]:
    for c in region.get("contracts", []):
        for t in c["tariffs"]:
            yield {"aanbieder": c["aanbieder"], "code": c["code"], "variant": c["variant"], **t}


def diff(current: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change the import of `new` makes to the regions it names (both in export form)."""
    before = {r["code"]: r for r in current.get("regions", [])}
    out: list[Change] = []
    for region in new.get("regions", []):
        code = region["code"]
        old = before.get(code, {})
        out += _compare(
            code,
            "lid",
            {(g,): {} for g in old.get("gemeenten", [])},
            {(g,): {} for g in region.get("gemeenten", [])},
            lambda k: f"gemeente {k[0]}",
        )
        out += _compare(
            code,
            "product",
            _index(old.get("products", []), lambda p: (p["code"], str(p["valid_from"]))),
            _index(region.get("products", []), lambda p: (p["code"], str(p["valid_from"]))),
            lambda k: f"{k[0]} vanaf {k[1]}",
        )
        out += _compare(
            code,
            "tarief",
            _index(_tariffs(old), lambda t: (t["aanbieder"], t["code"], str(t["valid_from"]))),
            _index(_tariffs(region), lambda t: (t["aanbieder"], t["code"], str(t["valid_from"]))),
            lambda k: f"{k[0]} × {k[1]} vanaf {k[2]}",
        )
        if region.get("ceilings") is not None:  # absent: the ceilings stay as they are
            out += _compare(
                code,
                "plafond",
                _index(old.get("ceilings", []), lambda c: (c["name"], c["year"])),
                _index(region["ceilings"], lambda c: (c["name"], c["year"])),
                lambda k: f"{k[0]} ({k[1]})",
            )
    return out
