"""Alerts: a ceiling passed one of its thresholds (or its amount), a deadline is overdue.

`scan` finds what a gemeente must know and records each finding once: an alert's `key` names
it (ceiling, period, threshold; deadline kind, item, date), so however often the scan runs there
are no duplicates.  Every alert is listed in the back office (`GET /v1/alerts`); when the
gemeente configured a webhook it is also posted there by `deliver`:

    POST <url>  {"id", "kind", "title", "created_at", "payload"}
    X-Ijw-Alert-Id: <id>        the same on every retry: receivers deduplicate on it
    X-Ijw-Signature: sha256=<HMAC-SHA256 of the body with the webhook's secret>

A delivery that fails (no 2xx within 5 seconds) is retried with back-off (1, 2, 4, ... minutes,
at most 6 hours) until it succeeds.  Each alert is delivered in its own transaction holding its
row lock, so two workers never post the same alert twice at once.  `ijw alerts run` scans and
delivers (once, or every N seconds); `POST /v1/alerts/scan` does it for one gemeente.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.backoffice.service import due_items
from app.budget import ceilings
from app.db.base import transaction
from app.steering.models import Alert, Webhook

log = logging.getLogger("ijw.alerts")

PENDING, DELIVERED, NO_WEBHOOK = "pending", "delivered", "no_webhook"
TIMEOUT = 5.0
MAX_BACKOFF = timedelta(hours=6)
Post = Callable[[str, bytes, dict[str, str]], int]
"""`(url, body, headers) -> HTTP status` (raises on a transport error)."""


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """The real delivery: one POST with a short timeout, no redirects."""
    return httpx.post(url, content=body, headers=headers, timeout=TIMEOUT).status_code


# --------------------------------------------------------------------------- webhooks


def set_webhook(
    session: Session, gemeente: str, url: str, actor: str | None, now: datetime
) -> Webhook:
    """Configure (or replace) the gemeente's webhook with a new signing secret."""
    hook = session.scalar(select(Webhook).where(Webhook.gemeente == gemeente))
    if hook is None:
        hook = Webhook(gemeente=gemeente)
        session.add(hook)
    hook.url = url
    hook.secret = secrets.token_hex(32)
    hook.created_at = now
    hook.actor_user = actor
    session.flush()
    return hook


def remove_webhook(session: Session, gemeente: str) -> bool:
    """Remove the gemeente's webhook; its alerts stay in the list."""
    hook = session.scalar(select(Webhook).where(Webhook.gemeente == gemeente))
    if hook is None:
        return False
    session.delete(hook)
    session.flush()
    return True


def webhook_of(session: Session, gemeente: str) -> Webhook | None:
    return session.scalar(select(Webhook).where(Webhook.gemeente == gemeente))


def signature(secret: str, body: bytes) -> str:
    """What X-Ijw-Signature carries for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --------------------------------------------------------------------------- scanning


@dataclass(frozen=True)
class Finding:
    kind: str
    key: str
    title: str
    payload: dict[str, Any]


def findings(session: Session, gemeente: str, today: date) -> list[Finding]:
    """What the gemeente must know today: ceilings of its sets running today that passed a
    threshold or their amount, and overdue deadlines."""
    out = []
    for st in ceilings.statuses(session, gemeente, (today, today), today):
        marks = [str(t) for t in st.passed()] + (["exceeded"] if st.usage > st.amount else [])
        for mark in marks:
            title = (
                f"ceiling {st.name} ({st.region}) is exceeded"
                if mark == "exceeded"
                else f"ceiling {st.name} ({st.region}) passed {mark} %"
            )
            out.append(
                Finding(
                    "ceiling_threshold",
                    f"ceiling:{st.region}:{st.name}:{st.start.isoformat()}:{mark}",
                    title,
                    {
                        "region": st.region,
                        "ceiling": st.name,
                        "start": st.start.isoformat(),
                        "end": st.end.isoformat(),
                        "threshold": mark,
                        "amount": st.amount,
                        "usage": st.usage,
                        "remaining": st.remaining,
                        "kind": "hard" if st.hard else "soft",
                    },
                )
            )
    overdue, _ = due_items(session, gemeente, 0, today)
    for item in overdue:
        subject = item.verzoek_id if item.verzoek_id is not None else item.message_id
        out.append(
            Finding(
                "deadline_overdue",
                f"deadline:{gemeente}:{item.kind}:{subject}:{item.deadline.isoformat()}",
                f"{item.kind} overdue since {item.deadline.isoformat()}",
                {
                    "kind": item.kind,
                    "deadline": item.deadline.isoformat(),
                    "verzoek_id": item.verzoek_id,
                    "message_id": item.message_id,
                    "aanbieder": item.aanbieder,
                    "referentie_aanbieder": item.referentie_aanbieder,
                    "identificatie": item.identificatie,
                },
            )
        )
    return out


def scan(session: Session, gemeente: str, today: date, now: datetime) -> list[Alert]:
    """Record the gemeente's new findings as alerts (each key once); returns the new ones."""
    found = findings(session, gemeente, today)
    keys = [f"{gemeente}|{f.key}" for f in found]
    known = set(session.scalars(select(Alert.key).where(Alert.key.in_(keys)))) if keys else set()
    hook = webhook_of(session, gemeente)
    new = []
    for f, key in zip(found, keys, strict=True):
        if key in known:
            continue
        known.add(key)
        alert = Alert(
            gemeente=gemeente,
            kind=f.kind,
            key=key[:200],
            title=f.title[:300],
            payload=f.payload,
            created_at=now,
            status=PENDING if hook is not None else NO_WEBHOOK,
            attempts=0,
            next_attempt_at=now if hook is not None else None,
        )
        session.add(alert)
        new.append(alert)
    session.flush()
    return new


def alerts_of(session: Session, gemeente: str, after: int = 0, limit: int = 100) -> list[Alert]:
    """The gemeente's alerts after cursor `after`, oldest first."""
    return list(
        session.scalars(
            select(Alert)
            .where(Alert.gemeente == gemeente, Alert.id > after)
            .order_by(Alert.id)
            .limit(limit)
        )
    )


# --------------------------------------------------------------------------- delivery


def body_of(alert: Alert) -> bytes:
    return json.dumps(
        {
            "id": alert.id,
            "kind": alert.kind,
            "title": alert.title,
            "created_at": alert.created_at.isoformat(),
            "payload": alert.payload,
        },
        sort_keys=True,
    ).encode()


def backoff(attempts: int) -> timedelta:
    """Wait before retry number `attempts` (1, 2, 4, ... minutes, at most 6 hours)."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def deliver(
    factory: sessionmaker[Session],
    now: datetime,
    post: Post = http_post,
    gemeente: str | None = None,
) -> int:
    """Post every due alert to its webhook (one transaction per alert); returns how many were
    delivered."""
    with factory() as s:
        ids = select(Alert.id).where(Alert.status == PENDING, Alert.next_attempt_at <= now)
        if gemeente is not None:
            ids = ids.where(Alert.gemeente == gemeente)
        due = list(s.scalars(ids.order_by(Alert.id)))
    delivered = 0
    for alert_id in due:
        with transaction(factory) as s:
            query = select(Alert).where(Alert.id == alert_id)
            if s.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            alert = s.scalar(query)
            if alert is None or alert.status != PENDING:
                continue  # another worker has it, or delivered it
            hook = webhook_of(s, alert.gemeente)
            if hook is None:
                alert.status, alert.next_attempt_at = NO_WEBHOOK, None
                continue
            body = body_of(alert)
            headers = {
                "Content-Type": "application/json",
                "X-Ijw-Alert-Id": str(alert.id),
                "X-Ijw-Signature": signature(hook.secret, body),
            }
            alert.attempts += 1
            try:
                status = post(hook.url, body, headers)
                error = None if 200 <= status < 300 else f"HTTP {status}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
            if error is None:
                alert.status, alert.delivered_at, alert.last_error = DELIVERED, now, None
                alert.next_attempt_at = None
                delivered += 1
            else:
                alert.last_error = error
                alert.next_attempt_at = now + backoff(alert.attempts)
                log.info("alert delivery failed", extra={"alert": alert.id, "error": error})
    return delivered
