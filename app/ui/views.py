"""Small read helpers the pages share: party names, the product catalogue, a message's client."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from app.exchange import log, parties
from app.ijw import model, xml
from app.reference.contracts import export_document


@dataclass
class Names:
    """Party names by code, looked up once per page."""

    session: Session
    cache: dict[str, str] = field(default_factory=dict)

    def __call__(self, code: str | None) -> str:
        if not code:
            return ""
        if code not in self.cache:
            party = parties.by_code(self.session, code)
            self.cache[code] = party.name if party is not None and party.name else code
        return self.cache[code]


@dataclass(frozen=True)
class Catalogue:
    """The region's products (code -> name, category, unit) and contracted providers."""

    products: dict[str, dict[str, Any]]
    aanbieders: list[str]
    document: dict[str, Any]

    def name(self, code: str | None) -> str:
        if not code:
            return ""
        p = self.products.get(code)
        return f"{code} {p['name']}" if p and p.get("name") else code


def catalogue(session: Session, gemeente: str) -> Catalogue:
    """The product catalogue and contract lines of the gemeente's region (empty without one)."""
    document = export_document(session, gemeente=gemeente)
    products: dict[str, dict[str, Any]] = {}
    aanbieders: set[str] = set()
    for region in document["regions"]:
        for p in region["products"]:
            products[p["code"]] = p  # ordered by valid_from: the newest validity wins
        aanbieders.update(c["aanbieder"] for c in region["contracts"])
    return Catalogue(products, sorted(aanbieders), document)


def client_of_message(session: Session, gemeente: str, message_id: int) -> dict[str, Any]:
    """The Client block of a message of this gemeente (name, birth date), for prefilling."""
    party = parties.by_code(session, gemeente)
    record = log.message_of(session, party, message_id) if party is not None else None
    if record is None or not record.raw:
        return {}
    info, tree = xml.read(record.raw)
    client = model.to_model(tree, info).root.get("Client")
    return model.plain(client) if client is not None else {}
