"""The delivery worker: sends the outbox to the GGk until each envelope is acknowledged.

One attempt is three steps, each its own short transaction or none:

1. claim the next due entry (`store.claim`: FOR UPDATE SKIP LOCKED on PostgreSQL, then a
   lease with a fresh token and attempts + 1, committed);
2. POST it to `IJW_GGK_URL` as SOAP 1.1 with its SOAPAction, outside any transaction (a slow or
   dead GGk never holds a lock), bounded by `IJW_GGK_TIMEOUT`, which is shorter than the lease;
3. report: a Bv03 marks it delivered (never sent again); anything else (connection refused,
   timeout, HTTP error, a Fo03 fault) puts it back with an exponential backoff
   (`IJW_GGK_BACKOFF` doubling per attempt up to `IJW_GGK_BACKOFF_MAX`, with jitter).  Both
   only count when the claim's token still holds.

Several workers, threads or processes, never send one entry at the same time: the claim is in
the database.  A worker killed between 1 and 3 (kill -9 included) leaves the lease to expire;
the entry is then sent again with the same referentienummer and the same bytes, which the
receiver recognises as a redelivery.  That window, after the GGk took an envelope and before
its Bv03 was recorded, is the only one in which an envelope is sent twice.
"""

from __future__ import annotations

import logging
import random
import secrets
import ssl
import threading
from dataclasses import dataclass

import httpx
from sqlalchemy.orm import Session, sessionmaker

from app.clock import Clock
from app.db.base import transaction
from app.ggk import envelope, store
from app.ggk.config import GgkSettings

_log = logging.getLogger("ijw.ggk.delivery")

OPERATION = {"Di01": envelope.DI01, "Du01": envelope.DU01, "Fo01": envelope.FO01}
MAX_ANSWER_BYTES = 1 << 20


def client_context(settings: GgkSettings) -> ssl.SSLContext:
    """TLS towards the GGk: its server certificate checked against the CA bundle (or the
    system's), our client certificate presented when one is configured."""
    context = ssl.create_default_context(cafile=settings.ca_bundle)
    if settings.client_cert:
        context.load_cert_chain(settings.client_cert, settings.client_key)
    return context


def http_client(settings: GgkSettings) -> httpx.Client:
    """The HTTP client of the worker."""
    return httpx.Client(
        timeout=httpx.Timeout(settings.timeout),
        verify=client_context(settings),
        follow_redirects=False,
    )


@dataclass(frozen=True)
class Attempt:
    """What one attempt did."""

    entry_id: int
    referentienummer: str
    attempt: int
    delivered: bool
    error: str | None = None


class Deliverer:
    """Delivers due outbox entries (thread-safe: every call claims its own entry)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        settings: GgkSettings,
        clock: Clock,
        client: httpx.Client | None = None,
    ) -> None:
        self.factory = factory
        self.settings = settings
        self.clock = clock
        self._client = client
        self._lock = threading.Lock()

    @property
    def client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = http_client(self.settings)
            return self._client

    def close(self) -> None:
        """Close the HTTP client (its keep-alive connection to the GGk)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def backoff(self, attempt: int) -> float:
        """Seconds before attempt `attempt + 1`: doubling, capped, with jitter (50-100 %)."""
        delay = min(self.settings.backoff_max, self.settings.backoff_base * 2 ** (attempt - 1))
        return delay * random.uniform(0.5, 1.0)

    def deliver_one(self) -> Attempt | None:
        """Claim, send and report one due entry; None when nothing is due."""
        token = secrets.token_hex(16)
        with transaction(self.factory) as session:
            claimed = store.claim(session, self.clock.now(), self.settings.lease, token)
        if claimed is None:
            return None
        answer = self.send(claimed.kind, claimed.body)
        now = self.clock.now()
        with transaction(self.factory) as session:
            if answer.acknowledged:
                kept = store.delivered(session, claimed, now)
            else:
                error = f"{answer.code}: {answer.text}"
                kept = store.retry_later(
                    session, claimed, now, self.backoff(claimed.attempt), error
                )
        extra = {
            "outbox_id": claimed.entry_id,
            "referentienummer": claimed.referentienummer,
            "attempt": claimed.attempt,
        }
        if not kept:
            _log.warning("the claim on an outbox entry was lost before its report", extra=extra)
        if answer.acknowledged:
            _log.info("delivered", extra=extra)
            return Attempt(claimed.entry_id, claimed.referentienummer, claimed.attempt, True)
        _log.info("not delivered, retried later", extra={**extra, "error": answer.code})
        return Attempt(
            claimed.entry_id,
            claimed.referentienummer,
            claimed.attempt,
            False,
            f"{answer.code}: {answer.text}",
        )

    def send(self, kind: str, body: bytes) -> envelope.Answer:
        """One SOAP call to the GGk; a transport problem is an unacknowledged answer."""
        url = self.settings.url
        if not url:
            return envelope.Answer(False, "CONFIG", "IJW_GGK_URL is not set")
        operation = OPERATION[kind]
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{envelope.SOAP_ACTION[operation]}"',
        }
        try:
            with self.client.stream(
                "POST", url, content=envelope.soap_message(body), headers=headers
            ) as response:
                data = b""
                for chunk in response.iter_bytes():
                    data += chunk
                    if len(data) > MAX_ANSWER_BYTES:  # a Bv03 or Fo03 is a few hundred bytes
                        return envelope.Answer(False, "HTTP", "the answer is far too large")
                status = response.status_code
        except httpx.HTTPError as exc:
            return envelope.Answer(False, "TRANSPORT", f"{type(exc).__name__}: {exc}"[:200])
        return envelope.read_answer(status, data)

    def deliver_due(self, limit: int = 1000) -> list[Attempt]:
        """Attempt every entry due now (at most `limit`), one after the other."""
        done: list[Attempt] = []
        while len(done) < limit:
            attempt = self.deliver_one()
            if attempt is None:
                break
            done.append(attempt)
        return done


class Worker:
    """Runs a `Deliverer` in a background thread until stopped (inside `ijw serve`)."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the loop (idempotent)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name="ggk-delivery", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the loop to end after its current attempt and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def run(self) -> None:
        """Deliver what is due, then sleep the poll interval; until stopped."""
        while not self._stop.is_set():
            try:
                busy = self.deliverer.deliver_one() is not None
            except Exception:  # the loop outlives a database hiccup; it is logged
                _log.exception("delivery attempt failed")
                busy = False
            if not busy:
                self._stop.wait(self.deliverer.settings.poll_interval)
