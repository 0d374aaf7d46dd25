"""Scenario files: loading, variables and building the messages to send (no HTTP here).

A scenario is one JSON file (format documented in docs/harness.md):

    {"name": ..., "today": "2025-07-01", "parties": {"gemeente": {"role": "gemeente",
     "code": "0363"}, ...}, "steps": [{"send": "JW301", "from": "gemeente", "to": "aanbieder",
     "message": {...}, "expect": {...}}, {"poll": "aanbieder", "expect": {...}}, ...]}

Values may hold placeholders `{{kind:name}}` that make every run unique, so scenarios can run
again and again against one server and one database:

    {{bsn:A}}      an 11-proof BSN, the same for name A throughout the run
    {{nummer:A}}   a ToewijzingNummer (9 digits)
    {{id:A}}       a BerichtIdentificatie (12 characters)
    {{ref:A}}      a ReferentieAanbieder
    {{code:P}}     the code of party P
    {{var:X}}      a value saved by an earlier step ("save")
    {{today}}      the scenario's today (or the server's)

A placeholder that is the whole string keeps its type (nummer is an integer); inside a longer
string it is replaced by its text.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from app.ijw.catalogue import CATALOGUE
from app.ijw.header import forward_header

PLACEHOLDER = re.compile(r"\{\{\s*([a-z]+)(?::([^}]*))?\s*\}\}")
STEP_KINDS = ("send", "poll", "request")


class ScenarioError(ValueError):
    """A scenario file is not valid."""


@dataclass(frozen=True)
class PartySpec:
    name: str
    role: str
    code: str


@dataclass
class Scenario:
    """A parsed scenario file."""

    path: Path
    name: str
    description: str
    today: date | None
    parties: dict[str, PartySpec]
    steps: list[dict[str, Any]]
    tags: list[str] = field(default_factory=list)


def load(path: Path) -> Scenario:
    """Read and validate one scenario file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ScenarioError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ScenarioError(f"{path}: a scenario is a JSON object")
    parties: dict[str, PartySpec] = {}
    for name, spec in (data.get("parties") or {}).items():
        if not isinstance(spec, dict) or spec.get("role") not in ("gemeente", "aanbieder"):
            raise ScenarioError(f"{path}: party {name} needs a role gemeente or aanbieder")
        parties[name] = PartySpec(name, spec["role"], str(spec.get("code", "")))
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise ScenarioError(f"{path}: a scenario needs a non-empty list of steps")
    for i, step in enumerate(steps, 1):
        kinds = [k for k in STEP_KINDS if k in step]
        if len(kinds) != 1:
            raise ScenarioError(f"{path}: step {i} needs exactly one of {', '.join(STEP_KINDS)}")
        for key in ("from", "to", "as", "poll"):
            who = step.get(key)
            if who is not None and who not in parties:
                raise ScenarioError(f"{path}: step {i} names unknown party {who!r}")
        if "send" in step and step["send"] not in CATALOGUE:
            raise ScenarioError(f"{path}: step {i} sends unknown message {step['send']!r}")
    today = data.get("today")
    return Scenario(
        path=path,
        name=str(data.get("name") or path.stem),
        description=str(data.get("description") or ""),
        today=date.fromisoformat(today) if today else None,
        parties=parties,
        steps=steps,
        tags=list(data.get("tags") or []),
    )


def _digest(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:8], "big")


def make_bsn(seed: int) -> str:
    """A 9-digit number passing the 11-proof (CS002), derived from `seed`."""
    n = seed
    while True:
        digits = f"{100_000_000 + n % 800_000_000:09d}"
        total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
        check = total % 11
        if check < 10:
            return digits[:8] + str(check)
        n += 7


class Variables:
    """Placeholder values of one scenario run (module docstring)."""

    def __init__(self, nonce: str, parties: dict[str, str], today: date | None) -> None:
        self.nonce = nonce
        self.parties = parties  # name -> code
        self.today = today
        self.saved: dict[str, Any] = {}
        self._cache: dict[tuple[str, str], Any] = {}

    def value(self, kind: str, name: str) -> Any:
        if kind == "code":
            if name not in self.parties:
                raise ScenarioError(f"unknown party {name!r} in {{{{code:{name}}}}}")
            return self.parties[name]
        if kind == "var":
            if name not in self.saved:
                raise ScenarioError(f"no saved value {name!r}")
            return self.saved[name]
        if kind == "today":
            if self.today is None:
                raise ScenarioError("{{today}} needs the scenario's or the server's today")
            return self.today.isoformat()
        key = (kind, name)
        if key not in self._cache:
            seed = _digest(self.nonce, kind, name)
            if kind == "bsn":
                value: Any = make_bsn(seed)
            elif kind == "nummer":
                value = 100_000_000 + seed % 899_999_999
            elif kind == "id":
                value = _base36(seed)[:12].upper().rjust(12, "0")
            elif kind == "ref":
                value = f"REF-{_base36(seed)[:16].upper()}"
            else:
                raise ScenarioError(f"unknown placeholder kind {kind!r}")
            self._cache[key] = value
        return self._cache[key]

    def expand(self, value: Any) -> Any:
        """Replace placeholders everywhere in a JSON value."""
        if isinstance(value, str):
            whole = PLACEHOLDER.fullmatch(value.strip())
            if whole:
                return self.value(whole.group(1), (whole.group(2) or "").strip())
            return PLACEHOLDER.sub(
                lambda m: str(self.value(m.group(1), (m.group(2) or "").strip())), value
            )
        if isinstance(value, dict):
            return {k: self.expand(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand(v) for v in value]
        return value


def _base36(n: int) -> str:
    chars = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while n:
        n, r = divmod(n, 36)
        out = chars[r] + out
    return out or "0"


# -- building messages -----------------------------------------------------------------------

PERSON: dict[str, Any] = {
    "Geboortedatum": {"Datum": "2012-03-04"},
    "Geslacht": "1",
    "Naam": {"Geslachtsnaam": {"Achternaam": "Jansen"}, "Voorletters": "J"},
}
CONTACT: dict[str, Any] = {
    "Soort": "01",
    "Adres": {
        "Huis": {"Huisnummer": 12},
        "Postcode": "1011AB",
        "Straatnaam": "Dam",
        "Plaatsnaam": "Amsterdam",
        "LandCode": "NL",
    },
}
# Client defaults per message: what the scenario may leave out.
CLIENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "JW301": {
        **PERSON,
        "Naam": {**PERSON["Naam"], "NaamGebruik": "1"},
        "Contactgegevens": {"Contact": [CONTACT]},
    },
    "JW305": PERSON,
    "JW307": PERSON,
    "JW315": PERSON,
}


def forward_message(
    kind: str,
    body: dict[str, Any],
    *,
    sender: str,
    receiver: str,
    identificatie: str,
    dagtekening: date,
    header: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A model-shaped forward message: our header + `body` with client defaults filled in."""
    data = copy.deepcopy(body)
    head = forward_header(kind, sender, receiver, identificatie, dagtekening)
    head.update(header or {})
    client = data.get("Client")
    if isinstance(client, dict) and kind in CLIENT_DEFAULTS:
        merged = copy.deepcopy(CLIENT_DEFAULTS[kind])
        merged.update(client)
        data["Client"] = merged
    if kind == "JW301":
        products = data.get("Client", {}).get("ToegewezenProducten", {})
        for product in _list(products, "ToegewezenProduct"):
            product.setdefault("Toewijzingsdatum", dagtekening)
            product.setdefault("Toewijzingstijd", "10:00:00")
    return {"Header": head, **{k: v for k, v in data.items() if k != "Header"}}


def _list(parent: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(parent, dict):
        return []
    value = parent.get(name)
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
