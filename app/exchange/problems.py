"""Problem details (RFC 9457): the one shape of every refusal and error the service answers.

    {"type": "urn:ijw:problem:ib014", "title": "...", "status": 422, "detail": "...",
     "code": "IB014", "errors": [{"location": "...", "message": "...", ...}]}

`code` is our machine-readable code (channel codes such as IB014 and BRS14, or names such as
REFUSED); `errors[]` lists what was wrong, each with a `location`: a JSON path into the caller's
JSON request (`toewijzingen[0].einddatum`, `query.year`), or for an XML body the XPath of the
element in the caller's message.  Refusals of messages are stored with the message, so a resend
gets the same bytes back.  docs/errors.md lists the codes.
"""

from __future__ import annotations

import json
from typing import Any

from app.ijw.rules.catalogue import RULES

MEDIA_TYPE = "application/problem+json"
MAX_ERRORS = 100  # an answer lists at most this many errors and says how many there were

TITLES: dict[str, str] = {
    "UNAUTHENTICATED": "A valid API token is required",
    "FORBIDDEN": "Not allowed for this party",
    "NOT_FOUND": "Not found",
    "INVALID_REQUEST": "The request is not valid",
    "BAD_CURSOR": "Not a cursor of this endpoint",
    "IB002": "The header does not name the calling party",
    "IB003": "The message is too large",
    "IB004": "Not an iJw 3.2 message",
    "IB005": "The gemeente is not served here",
    "IB008": "This party may not send this message type",
    "IB010": "The aanbieder is not known here",
    "IB014": "The message is not valid against its schema",
    "BRS14": "The message is not well-formed UTF-8 XML",
    "REFUSED": "The message fails the iJw rules and was not sent",
    "BUSY": "The service is busy; retry later",
    "INTERNAL": "Internal error",
}


def xml_errors(details: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Level-1 errors ({line, path, message}) as problem errors located by their XPath."""
    return [
        {"location": d.get("path") or "", "line": d.get("line"), "message": d.get("message", "")}
        for d in details
    ]


def title_of(code: str, status: int) -> str:
    """A short human title for a code (generic when the code has none)."""
    return TITLES.get(code, "The request was refused" if status < 500 else "Internal error")


def problem(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    total: int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """The problem document; `errors` are capped at MAX_ERRORS, and `errors_total` says how
    many there were when some are left out (`total`: a count known from an earlier cap)."""
    items = list(errors or [])
    doc: dict[str, Any] = {
        "type": f"urn:ijw:problem:{code.lower()}",
        "title": title_of(code, status),
        "status": status,
        "detail": detail,
        "code": code,
        "errors": items[:MAX_ERRORS],
    }
    count = max(len(items), total or 0)
    if count > len(doc["errors"]):
        doc["errors_total"] = count
    doc.update(extra)
    return doc


def problem_bytes(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    total: int | None = None,
) -> bytes:
    """The problem document as the bytes we answer (and store for a resend)."""
    return json.dumps(problem(status, code, detail, errors, total), default=str).encode()


def finding_errors(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rule findings ({rule, retourcode, location[]}) as problem errors, with the rule's text."""
    out = []
    for f in findings:
        if not f.get("rule") and "level" in f:
            # a refusing check (a hard ceiling, no stacking): its own code, text and figures
            out.append({"location": "$", **f})
            continue
        locations = f.get("location") or [""]
        rule = f.get("rule")
        meaning = RULES[rule].summary if rule in RULES else f"retourcode {f.get('retourcode')}"
        item: dict[str, Any] = {
            "location": str(locations[0]),
            "message": meaning,
            "rule": rule,
            "retourcode": f.get("retourcode"),
        }
        if len(locations) > 1:
            item["also"] = [str(x) for x in locations[1:]]
        out.append(item)
    return out
