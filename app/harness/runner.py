"""Drive a running server over HTTP from scenario files and check what comes back.

The harness acts as every party of a scenario (gemeente and aanbieders) with their API tokens:
it posts messages to `POST /v1/berichten`, polls `GET /v1/berichten?since=` and calls the other
JSON endpoints (back office), comparing status codes, retour codes per class, refusal findings,
JSON bodies and feed contents with the scenario's expectations.  See docs/harness.md.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
from lxml import etree

from app.harness.scenario import (
    PartySpec,
    Scenario,
    ScenarioError,
    Variables,
    forward_message,
)
from app.ijw import model, render, retour, xml
from app.ijw.catalogue import CATALOGUE
from app.ijw.header import Versions

Provisioner = Callable[[PartySpec], str]


@dataclass
class StepResult:
    """The outcome of one step."""

    index: int
    label: str
    ok: bool
    problems: list[str] = field(default_factory=list)
    status: int | None = None


@dataclass
class ScenarioResult:
    """The outcome of one scenario file: passed | failed | skipped | error."""

    path: str
    name: str
    status: str
    reason: str = ""
    steps: list[StepResult] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "name": self.name,
            "status": self.status,
            "reason": self.reason,
            "steps": [s.__dict__ for s in self.steps],
        }


class StepFailure(Exception):
    """A step could not be carried out (bad reference, unreachable server...)."""


# -- comparing -------------------------------------------------------------------------------


def _norm_key(key: str) -> str:
    return key if key.endswith("]") else f"{key}[1]"


def retour_codes(body: bytes) -> dict[str, list[str]]:
    """RetourCodes per class of a retour/JW325: {"Header[1]": [...], "StartProduct[2]": [...]}.

    Classes are named by element name and 1-based position among same-named elements.
    """
    root = etree.fromstring(body)
    seen: dict[str, int] = {}
    out: dict[str, list[str]] = {}
    for el in root.iter(etree.Element):
        name = etree.QName(el).localname
        seen[name] = seen.get(name, 0) + 1
        codes_el = next((c for c in el if etree.QName(c).localname == "RetourCodes"), None)
        if codes_el is not None:
            out[f"{name}[{seen[name]}]"] = [c.text or "" for c in codes_el]
    return out


def finding_codes(details: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Refusal findings (the `errors` of a 422 REFUSED) as retourcodes per class key."""
    out: dict[str, list[str]] = {}
    for d in details:
        if not d.get("retourcode"):
            continue  # a pre-create check, not a rule finding
        path = str(d.get("location") or "")
        if "/Header" in path or not path:
            key = "Header[1]"
        else:
            key = _norm_key(path.rstrip("/").rsplit("/", 1)[-1])
        out.setdefault(key, []).append(str(d.get("retourcode")))
    return out


def subset_problems(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Differences where `actual` does not contain `expected` (dicts: listed keys; lists: every
    expected element matches some actual element; scalars: equal, numbers and strings compared
    as text)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {actual!r}"]
        out: list[str] = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{where}.{key}: missing")
            else:
                out.extend(subset_problems(value, actual[key], f"{where}.{key}"))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{where}: expected a list, got {actual!r}"]
        out = []
        for i, item in enumerate(expected):
            if not any(not subset_problems(item, a) for a in actual):
                out.append(f"{where}[{i}]: no element matches {json.dumps(item, default=str)}")
        return out
    if expected is None:
        return [] if actual is None else [f"{where}: expected null, got {actual!r}"]
    if str(expected) != str(actual) or isinstance(expected, bool) != isinstance(actual, bool):
        return [f"{where}: expected {expected!r}, got {actual!r}"]
    return []


def _dig(data: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(data, list):
            data = data[int(part)]
        elif isinstance(data, dict):
            data = data[part]
        else:
            raise KeyError(path)
    return data


# -- running ---------------------------------------------------------------------------------


class Harness:
    """Runs scenarios against one server (base URL) with one set of party tokens."""

    def __init__(
        self,
        base_url: str,
        *,
        tokens: dict[str, str] | None = None,
        codes: dict[str, str] | None = None,
        provision: Provisioner | None = None,
        client: httpx.Client | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.http = client or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        self.tokens = dict(tokens or {})  # party name -> token (given on the command line)
        self.codes = dict(codes or {})  # party name -> code override
        self.provision = provision
        self._by_code: dict[str, str] = {}  # code -> token provisioned in this run
        self.nonce = secrets.token_hex(6)

    def close(self) -> None:
        self.http.close()

    # -- parties and server facts ------------------------------------------------------------
    def _party(self, spec: PartySpec) -> tuple[str, str]:
        code = self.codes.get(spec.name, spec.code)
        if spec.name in self.tokens:
            return code, self.tokens[spec.name]
        if code in self._by_code:
            return code, self._by_code[code]
        if self.provision is None:
            raise StepFailure(
                f"no token for party {spec.name} ({spec.role} {code}): pass --token "
                f"{spec.name}=TOKEN or --database-url to provision parties"
            )
        token = self.provision(PartySpec(spec.name, spec.role, code))
        self._by_code[code] = token
        return code, token

    def _get(self, token: str, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})

    def server_today(self, token: str) -> date | None:
        """The server's notion of today (GET /v1/clock), or None when it does not say."""
        r = self._get(token, "/v1/clock")
        if r.status_code != 200:
            return None
        return date.fromisoformat(r.json()["today"])

    def _drain(self, token: str, since: str) -> tuple[list[dict[str, Any]], str]:
        items: list[dict[str, Any]] = []
        while True:
            r = self._get(token, "/v1/berichten", since=since, limit=500)
            if r.status_code != 200:
                raise StepFailure(f"polling the feed answered {r.status_code}: {r.text[:200]}")
            page = r.json()
            items.extend(page["items"])
            if not page["items"]:
                return items, since
            since = page["next_cursor"]

    # -- one scenario ------------------------------------------------------------------------
    def run(self, scenario: Scenario) -> ScenarioResult:
        """Run every step of a scenario; stops at the first failing step."""
        result = ScenarioResult(str(scenario.path), scenario.name, "passed")
        try:
            party_codes: dict[str, str] = {}
            tokens: dict[str, str] = {}
            for name, spec in scenario.parties.items():
                party_codes[name], tokens[name] = self._party(spec)
            any_token = next(iter(tokens.values()))
            server_today = self.server_today(any_token)
            if scenario.today and server_today and scenario.today != server_today:
                result.status = "skipped"
                result.reason = (
                    f"written for today = {scenario.today}, the server's today is "
                    f"{server_today} (start it with IJW_TODAY={scenario.today})"
                )
                return result
            run = _Run(
                self,
                scenario,
                tokens,
                Variables(
                    f"{self.nonce}:{scenario.path.name}",
                    party_codes,
                    scenario.today or server_today,
                ),
            )
            for name in tokens:
                _, run.cursors[name] = self._drain(tokens[name], "0")
            for index, step in enumerate(scenario.steps, 1):
                outcome = run.step(index, step)
                result.steps.append(outcome)
                if not outcome.ok:
                    result.status = "failed"
                    result.reason = f"step {index} ({outcome.label}) failed"
                    break
        except (StepFailure, ScenarioError, httpx.HTTPError) as exc:
            result.status, result.reason = "error", str(exc)
        return result


class _Run:
    """The state of one scenario run: tokens, cursors, variables, what was sent and seen."""

    def __init__(
        self, harness: Harness, scenario: Scenario, tokens: dict[str, str], variables: Variables
    ) -> None:
        self.h, self.scenario, self.tokens, self.vars = harness, scenario, tokens, variables
        self.cursors: dict[str, str] = {}
        self.sent: dict[str, tuple[str, bytes]] = {}  # step label -> (message type, bytes)
        self.seen: dict[str, list[dict[str, Any]]] = {name: [] for name in tokens}

    def step(self, index: int, raw: dict[str, Any]) -> StepResult:
        label = str(raw.get("name") or f"step{index}")
        if "send" in raw:
            return self._send(index, label, raw)
        if "poll" in raw:
            return self._poll(index, label, raw)
        return self._request(index, label, raw)

    # -- send --------------------------------------------------------------------------------
    def _send(self, index: int, label: str, raw: dict[str, Any]) -> StepResult:
        kind = raw["send"]
        sender = raw.get("from")
        if sender is None:
            raise StepFailure(f"step {index}: a send step needs 'from'")
        body = self._build(index, kind, raw)
        self.sent[label] = (kind, body)
        r = self.h.http.post(
            "/v1/berichten",
            content=body,
            headers={
                "Authorization": f"Bearer {self.tokens[sender]}",
                "Content-Type": "application/xml",
            },
        )
        problems = self._check_answer(r, raw.get("expect") or {}, default_status=200)
        self._save(raw, r)
        return StepResult(index, label, not problems, problems, r.status_code)

    def _dagtekening(self, raw: dict[str, Any]) -> date:
        value = self.vars.expand(raw.get("dagtekening") or "{{today}}")
        return value if isinstance(value, date) else date.fromisoformat(str(value))

    def _build(self, index: int, kind: str, raw: dict[str, Any]) -> bytes:
        if "xml" in raw or "xml_file" in raw:
            text = raw.get("xml")
            if text is None:
                text = (self.scenario.path.parent / raw["xml_file"]).read_text(encoding="utf-8")
            return str(self.vars.expand(text)).encode("utf-8")
        identificatie = str(self.vars.expand(raw.get("identificatie") or f"{{{{id:{index}}}}}"))
        if CATALOGUE[kind].header_copy:
            return self._retour(index, kind, raw, identificatie)
        sender, receiver = raw["from"], raw.get("to")
        if receiver is None:
            others = [n for n in self.tokens if n != sender]
            if len(others) != 1:
                raise StepFailure(f"step {index}: say 'to' (several parties could receive it)")
            receiver = others[0]
        data = forward_message(
            kind,
            self.vars.expand(raw.get("message") or {}),
            sender=self.vars.parties[sender],
            receiver=self.vars.parties[receiver],
            identificatie=identificatie,
            dagtekening=self._dagtekening(raw),
            header=self.vars.expand(raw.get("header") or {}),
        )
        return render.render(kind, data)

    def _original(self, index: int, answers: Any) -> bytes:
        if isinstance(answers, str):
            if answers not in self.sent:
                raise StepFailure(f"step {index}: 'answers' names no earlier send step {answers!r}")
            return self.sent[answers][1]
        party, kind = answers.get("feed"), answers.get("type")
        items = [i for i in self.seen.get(party, []) if i.get("message_type") == kind]
        if not items:
            raise StepFailure(
                f"step {index}: no {kind} polled from {party}'s feed yet (add a poll step)"
            )
        return items[int(answers.get("nth", -1))]["xml"].encode("utf-8")

    def _retour(self, index: int, kind: str, raw: dict[str, Any], identificatie: str) -> bytes:
        """A provider's header-copy retour (JW302/JW320) on an earlier message (IV028)."""
        if "answers" not in raw:
            raise StepFailure(f"step {index}: a {kind} needs 'answers' (a step name or a feed)")
        info, tree = xml.read(self._original(index, raw["answers"]))
        forward = model.to_model(tree, info)
        if CATALOGUE[forward.name].answered_by != kind:
            raise StepFailure(f"step {index}: a {kind} does not answer a {forward.name}")
        decision = retour.Decision()
        wanted = {_norm_key(k): v for k, v in (raw.get("retour_codes") or {}).items()}
        header_codes = wanted.pop("Header[1]", None)
        if wanted:
            counts: dict[str, int] = {}
            for node in model.walk(forward.root):
                counts[node.name] = counts.get(node.name, 0) + 1
                for code in wanted.pop(f"{node.name}[{counts[node.name]}]", []):
                    decision.add_code(node, code)
            if wanted:
                raise StepFailure(f"step {index}: no class {sorted(wanted)} in the {forward.name}")
        elif header_codes and header_codes != ["0200"]:
            for code in header_codes:
                decision.reject_header_code(code)
        data = retour.build_retour(
            forward,
            decision,
            identificatie=identificatie,
            today=self._dagtekening(raw),
            versions=Versions(),
        )
        return render.render(kind, data)

    def _check_answer(
        self, r: httpx.Response, expect: dict[str, Any], default_status: int
    ) -> list[str]:
        expect = self.vars.expand(expect)
        problems: list[str] = []
        status = expect.get("status", default_status)
        if r.status_code != status:
            problems.append(f"HTTP {r.status_code}, expected {status}: {r.text[:300]}")
            return problems
        is_xml = r.headers.get("content-type", "").startswith("application/xml")
        if "accepted" in expect or "retour" in expect or "retour_contains" in expect:
            if not is_xml:
                return [*problems, f"expected a retour, got {r.headers.get('content-type')}"]
            actual = retour_codes(r.content)
            if expect.get("accepted") is True:
                expect = {**expect, "retour": {}}
            if "retour" in expect:
                want = {_norm_key(k): list(v) for k, v in expect["retour"].items()}
                if want != actual:
                    problems.append(f"retour codes {actual}, expected {want}")
            for key, codes in (expect.get("retour_contains") or {}).items():
                got = actual.get(_norm_key(key))
                if got != list(codes):
                    problems.append(f"{key}: retour codes {got}, expected {codes}")
        body: Any = None
        if not is_xml:
            try:
                body = r.json()
            except ValueError:
                body = None
        if "error_code" in expect:
            got = body.get("code") if isinstance(body, dict) else None
            if got != expect["error_code"]:
                problems.append(f"error code {got!r}, expected {expect['error_code']!r}")
        if "findings" in expect:
            details = body.get("errors", []) if isinstance(body, dict) else []
            actual_f = finding_codes(details)
            want_f = expect["findings"]
            if isinstance(want_f, list):
                got_codes = sorted(c for codes in actual_f.values() for c in codes)
                if got_codes != sorted(want_f):
                    problems.append(f"findings {actual_f}, expected codes {sorted(want_f)}")
            else:
                want_map = {_norm_key(k): sorted(v) for k, v in want_f.items()}
                if {k: sorted(v) for k, v in actual_f.items()} != want_map:
                    problems.append(f"findings {actual_f}, expected {want_map}")
        if "json" in expect:
            problems.extend(subset_problems(expect["json"], body))
        return problems

    def _save(self, raw: dict[str, Any], r: httpx.Response) -> None:
        wanted = raw.get("save") or {}
        if not wanted:
            return
        try:
            body = r.json()
        except ValueError:
            body = None
        for name, path in wanted.items():
            if path == "$message_id":
                self.vars.saved[name] = r.headers.get("x-message-id")
                continue
            try:
                self.vars.saved[name] = _dig(body, path)
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise StepFailure(f"cannot save {name} from {path}: {exc}") from exc

    # -- poll --------------------------------------------------------------------------------
    def _poll(self, index: int, label: str, raw: dict[str, Any]) -> StepResult:
        party = raw["poll"]
        items, self.cursors[party] = self.h._drain(self.tokens[party], self.cursors[party])
        self.seen[party].extend(items)
        expect = self.vars.expand(raw.get("expect") or {})
        problems: list[str] = []
        types = [i["message_type"] for i in items]
        if "types" in expect and types != list(expect["types"]):
            problems.append(f"feed of {party} had {types}, expected {expect['types']}")
        if "count" in expect and len(items) != int(expect["count"]):
            problems.append(
                f"feed of {party} had {len(items)} messages, expected {expect['count']}"
            )
        for i, want in enumerate(expect.get("contains") or []):
            if not any(not subset_problems(want, item) for item in items):
                problems.append(f"feed of {party} has no message like contains[{i}] = {want}")
        for i, want in enumerate(expect.get("retours") or []):
            problems.extend(self._feed_retour(party, items, i, want))
        return StepResult(index, label, not problems, problems, 200)

    @staticmethod
    def _feed_retour(
        party: str, items: list[dict[str, Any]], i: int, want: dict[str, Any]
    ) -> list[str]:
        """`{"type": "JW302", "retour": {...}}`: a retour in the feed with these class codes."""
        kind, codes = want.get("type"), {_norm_key(k): v for k, v in want["retour"].items()}
        candidates = [x for x in items if kind is None or x.get("message_type") == kind]
        found = [retour_codes(x["xml"].encode("utf-8")) for x in candidates]
        if codes in found:
            return []
        return [f"feed of {party}: no {kind or 'retour'} with codes {codes} (saw {found})"]

    # -- request (JSON endpoints) ------------------------------------------------------------
    def _request(self, index: int, label: str, raw: dict[str, Any]) -> StepResult:
        spec = raw["request"]
        if isinstance(spec, str):
            method, _, path = spec.partition(" ")
        else:
            method, path = spec.get("method", "GET"), spec["path"]
        who = raw.get("as")
        if who is None:
            raise StepFailure(f"step {index}: a request step needs 'as'")
        path = str(self.vars.expand(path))
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        body = self.vars.expand(raw["body"]) if "body" in raw else None
        r = self.h.http.request(
            method.upper(),
            path,
            json=body,
            params=self.vars.expand(raw.get("params")),
            headers=headers,
        )
        problems = self._check_answer(r, raw.get("expect") or {}, default_status=200)
        if not problems:
            self._save(raw, r)
        return StepResult(index, label, not problems, problems, r.status_code)


# -- files -----------------------------------------------------------------------------------


def scenario_files(paths: list[str]) -> list[Path]:
    """Files and folders (every *.json below them, sorted) in the order given."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        else:
            out.append(path)
    return out
