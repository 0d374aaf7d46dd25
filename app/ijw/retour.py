"""Build retour messages (spec §2.4) and the declaration answer JW325 (spec §2.5).

Pure functions from a parsed forward message plus decisions to model-shaped dicts; render them
with `app.ijw.render.render`.  No HTTP, no database.

Generic retourcodes: 0001 technical rejection (Header only), 0200 no remarks on this class,
0233 class not assessed, 8001 declaration fully approved (JW325 DeclaratieAntwoord).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from app.ijw.catalogue import CATALOGUE, retour_classes
from app.ijw.catalogue.xsd_model import MESSAGES
from app.ijw.header import BERICHT_SUBVERSIE, BERICHT_VERSIE, Versions
from app.ijw.model import Message, Node, many
from app.ijw.rules.catalogue import meta

TECHNICAL_REJECTION = "0001"
NO_REMARKS = "0200"
NOT_ASSESSED = "0233"
DECLARATION_APPROVED = "8001"


@dataclass
class Decision:
    """The outcome of checking one forward message, class by class.

    `header` codes reject the message as a whole (0001 for level 2, or 9056/8848/S300); otherwise
    `errors` maps class nodes of the forward message to their retourcodes.  Classes in
    `not_assessed` get 0233; every other class gets 0200 once any class has an error.
    """

    header: list[str] = field(default_factory=list)
    errors: dict[Node, list[str]] = field(default_factory=dict)
    not_assessed: set[Node] = field(default_factory=set)
    # Which rule produced which code where: kept in the message log (the retour only has codes).
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.header and not any(self.errors.values())

    def add(self, node: Node, rule: str) -> None:
        """Record that `rule` failed on a class: its retourcode (from the rule catalogue, each
        code once per class) and the finding."""
        self.add_code(node, meta(rule).retourcode, rule)

    def add_code(self, node: Node, code: str, rule: str | None = None) -> None:
        """Record a retourcode on a class; `rule` None for a code no rule of ours gives (a
        provider's retour built by the harness or a test)."""
        codes = self.errors.setdefault(node, [])
        if code not in codes:
            codes.append(code)
        self.findings.append({"rule": rule, "retourcode": code, "location": [node.path]})

    def reject_header(self, rule: str, location: str = "") -> None:
        """Reject the whole message with the header code of `rule` (9056, 8848, S300)."""
        self.reject_header_code(meta(rule).retourcode, rule, location)

    def reject_header_code(self, code: str, rule: str | None = None, location: str = "") -> None:
        """Reject the whole message with a header code (also one no rule of ours gives)."""
        if code not in self.header:
            self.header.append(code)
        self.findings.append({"rule": rule, "retourcode": code, "location": [location]})


def _plain_copy(node: Node, classes: set[str], prefix: str, decide: Any) -> dict[str, Any]:
    """Copy a forward subtree, adding RetourCodes on every class per `decide(node)`."""
    out: dict[str, Any] = {}
    for name, value in node.items():
        path = f"{prefix}/{name}".lstrip("/")
        if isinstance(value, Node):
            out[name] = _plain_copy(value, classes, path, decide)
        elif isinstance(value, list):
            out[name] = [
                _plain_copy(v, classes, path, decide) if isinstance(v, Node) else v for v in value
            ]
        else:
            out[name] = value
    if prefix in classes:
        out["RetourCodes"] = {"RetourCode": decide(node)}
    return out


def build_retour(
    forward: Message,
    decision: Decision,
    *,
    identificatie: str,
    today: date,
    versions: Versions = Versions(),
) -> dict[str, Any]:
    """A header-copy retour (JW302/306/308/316/318/320) for `forward` per IV028.

    Accepted: header without RetourCodes and no body.  Header codes: those codes, no body (0001
    also writes XsltVersie when configured, IV033).  Class errors: Header 0200 and the complete
    body with RetourCodes on every class.
    """
    retour_name = CATALOGUE[forward.name].answered_by
    assert retour_name is not None and CATALOGUE[retour_name].header_copy
    header: dict[str, Any] = {
        name: (dict(value) if isinstance(value, Node) else value)
        for name, value in forward.header.items()
    }
    header["BerichtCode"] = MESSAGES[retour_name].code
    header["IdentificatieRetour"] = identificatie
    header["DagtekeningRetour"] = today
    if versions.xslt:
        header["XsltVersie"] = versions.xslt
    header["XsdVersieRetour"] = versions.xsd_block(retour_name)
    data: dict[str, Any] = {"Header": header}
    if decision.header:
        header["RetourCodes"] = {"RetourCode": list(decision.header)}
        return data
    if decision.accepted:
        return data
    header["RetourCodes"] = {"RetourCode": [NO_REMARKS]}
    classes = {c for c in retour_classes(retour_name) if c != "Header"}

    def decide(node: Node) -> list[str]:
        codes = decision.errors.get(node)
        if codes:
            return list(codes)
        return [NOT_ASSESSED] if node in decision.not_assessed else [NO_REMARKS]

    for name, value in forward.root.items():
        if name != "Header":
            data[name] = _plain_copy(value, classes, name, decide)
    return data


def signed_total(amounts: Iterable[tuple[int, str]]) -> int:
    """Σ debet − Σ credit of (Bedrag, DebetCredit) pairs, in cents."""
    return sum(amount if dc == "D" else -amount for amount, dc in amounts)


def total_block(cents: int) -> dict[str, Any]:
    """A TotaalBedrag/DebetCredit block; zero carries D (CS325)."""
    return {"TotaalBedrag": abs(cents), "DebetCredit": "C" if cents < 0 else "D"}


@dataclass
class DeclarationDecision:
    """The outcome of checking a JW323.

    `header` rejects it at message level (0001, 9056, 8848, S300); `declaration` at declaration
    level (9333, 8214); otherwise `prestaties` maps rejected prestatie nodes to their codes and
    `clients` maps clients rejected as a whole to their codes (their prestaties get 0233).
    """

    header: list[str] = field(default_factory=list)
    declaration: list[str] = field(default_factory=list)
    prestaties: dict[Node, list[str]] = field(default_factory=dict)
    clients: dict[Node, list[str]] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, prestatie: Node, rule: str) -> None:
        """Record that `rule` failed on a prestatie: its retourcode (each code once) and the
        finding."""
        code = meta(rule).retourcode
        codes = self.prestaties.setdefault(prestatie, [])
        if code not in codes:
            codes.append(code)
        self.findings.append({"rule": rule, "retourcode": code, "location": [prestatie.path]})

    def reject_header(self, rule: str, location: str = "") -> None:
        """Reject the whole declaration message with the header code of `rule` (9056, 8848,
        S300)."""
        code = meta(rule).retourcode
        if code not in self.header:
            self.header.append(code)
        self.findings.append({"rule": rule, "retourcode": code, "location": [location]})

    def reject_declaration(self, rule: str, location: str = "") -> None:
        """Reject the declaration as a whole with the code of `rule` (9333, 8214): nothing is
        booked."""
        code = meta(rule).retourcode
        if code not in self.declaration:
            self.declaration.append(code)
        self.findings.append({"rule": rule, "retourcode": code, "location": [location]})

    def is_approved(self, prestatie: Node, client: Node) -> bool:
        return (
            not self.header
            and not self.declaration
            and client not in self.clients
            and not self.prestaties.get(prestatie)
        )


def _prestatie_copy(prestatie: Node, codes: list[str]) -> Node:
    # An exact copy of the JW323 prestatie (TR366/TR367) plus its codes, built as the JW325's
    # own detached node (model.from_data adopts it as it is: a JW325 may list all 26,000
    # prestaties of a declaration).  Nested classes are copied too, so nothing of the JW323's
    # model is referenced from the answer.
    copy = Node("Prestatie", None, 0)
    for name, value in prestatie.items():
        if type(value) is Node:
            inner = Node(name, copy, 0)
            inner.update(value)
            value = inner
        copy[name] = value
    codes_node = Node("RetourCodes", copy, 0)
    codes_node["RetourCode"] = codes
    copy["RetourCodes"] = codes_node
    return copy


def build_declaration_answer(
    declaration: Message,
    decision: DeclarationDecision,
    *,
    identificatie: str,
    today: date,
    versions: Versions = Versions(),
) -> dict[str, Any]:
    """The JW325 for a JW323 per IV087/IV088 and spec §2.5 (an independent message from us)."""
    h = declaration.header
    header: dict[str, Any] = {
        "BerichtCode": MESSAGES["JW325"].code,
        "BerichtVersie": BERICHT_VERSIE,
        "BerichtSubversie": BERICHT_SUBVERSIE,
        "Afzender": h["Ontvanger"],
        "Ontvanger": h["Afzender"],
        "BerichtIdentificatie": {"Identificatie": identificatie, "Dagtekening": today},
        "XsdVersie": versions.xsd_block("JW325"),
        "DeclaratieIdentificatie": dict(h["BerichtIdentificatie"]),
    }
    if versions.xslt:
        header["XsltVersie"] = versions.xslt
    header["XsdVersieDeclaratie"] = dict(h["XsdVersie"])
    data: dict[str, Any] = {"Header": header}
    if decision.header:
        header["RetourCodes"] = {"RetourCode": list(decision.header)}
        return data
    header["RetourCodes"] = {"RetourCode": [NO_REMARKS]}
    decl = declaration.root["Declaratie"]
    ingediend = dict(decl["TotaalIngediendBedrag"])
    answer: dict[str, Any] = {
        "DeclaratieNummer": decl["DeclaratieNummer"],
        "TotaalIngediendBedrag": ingediend,
    }
    data["DeclaratieAntwoord"] = answer
    if decision.declaration:
        answer["TotaalToegekendBedrag"] = total_block(0)
        answer["RetourCodes"] = {"RetourCode": list(decision.declaration)}
        return data
    clients_out: list[dict[str, Any]] = []
    approved: list[tuple[int, str]] = []
    for client in many(decl, "Clienten", "Client"):
        client_codes = decision.clients.get(client)
        listed: list[dict[str, Any]] = []
        for prestatie in many(client, "Prestaties", "Prestatie"):
            bedrag = prestatie["IngediendBedrag"]
            if client_codes:
                listed.append(_prestatie_copy(prestatie, [NOT_ASSESSED]))
            elif decision.prestaties.get(prestatie):
                listed.append(_prestatie_copy(prestatie, list(decision.prestaties[prestatie])))
            else:
                approved.append((bedrag["Bedrag"], bedrag["DebetCredit"]))
        if listed:
            clients_out.append(
                {
                    "Bsn": client["Bsn"],
                    "Prestaties": {"Prestatie": listed},
                    "RetourCodes": {"RetourCode": list(client_codes or [NO_REMARKS])},
                }
            )
    answer["TotaalToegekendBedrag"] = total_block(signed_total(approved))
    if clients_out:
        answer["Clienten"] = {"Client": clients_out}
        answer["RetourCodes"] = {"RetourCode": [NO_REMARKS]}
    else:
        answer["RetourCodes"] = {"RetourCode": [DECLARATION_APPROVED]}
    return data


def codes_in(node: Any) -> list[str]:
    """Every RetourCode in a retour message (or part of one), in document order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "RetourCodes":
                found.extend(value.get("RetourCode", []))
            else:
                found.extend(codes_in(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(codes_in(item))
    return found


def voids(codes: Iterable[str]) -> bool:
    """Whether a retour with these codes rejects its forward message as a whole: any code other
    than 0200/0233 (IV032: level 3/4 findings reject the message; 0001 and header codes do)."""
    return any(c not in (NO_REMARKS, NOT_ASSESSED) for c in codes)
