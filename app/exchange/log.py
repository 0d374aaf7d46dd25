"""The message log: every message received, sent or built, with its raw bytes and our answer.

The only place `MessageRecord` rows are made.  A row is written before a message is judged (so
rules can refer to its id) and completed with the verdict and the stored answer afterwards.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from app.exchange import problems
from app.exchange.models import MessageRecord, Party
from app.ijw.catalogue import CATALOGUE
from app.ijw.model import Message
from app.metrics import MESSAGES

JSON = "application/json"
XML = "application/xml"


def sha256(data: bytes) -> str:
    """The digest a resend is recognised by."""
    return hashlib.sha256(data).hexdigest()


def inbound(
    session: Session,
    *,
    caller: Party,
    counterpart: Party | None,
    data: bytes,
    message: Message | None,
    now: datetime,
    digest: str | None = None,
) -> MessageRecord:
    """Log a message posted by (or sent on behalf of) `caller`, verdict `pending`.

    `message` is None when it never parsed (level 1): the row then only knows the caller.
    """
    record = MessageRecord(
        direction="in",
        message_type=message.name if message is not None else None,
        sender=message.sender if message is not None else caller.code,
        receiver=message.receiver if message is not None else None,
        identificatie=message.identificatie if message is not None else None,
        dagtekening=message.dagtekening if message is not None else None,
        from_party_id=caller.id,
        to_party_id=counterpart.id if counterpart is not None else None,
        sha256=digest or sha256(data),
        size=len(data),
        raw=data,
        received_at=now,
        verdict="pending",
        retour_codes=[],
        findings=[],
        status_code=0,
        response_media_type=JSON,
        response_body=b"",
    )
    session.add(record)
    session.flush()
    return record


def answer(
    session: Session,
    *,
    kind: str,
    sender: Party,
    receiver: Party,
    answers: MessageRecord,
    now: datetime,
) -> MessageRecord:
    """Log a retour or JW325 we are about to build (its id names it: `R<id>`)."""
    record = MessageRecord(
        direction="out",
        message_type=kind,
        sender=sender.code,
        receiver=receiver.code,
        from_party_id=sender.id,
        to_party_id=receiver.id,
        sha256="",
        size=0,
        raw=b"",
        received_at=now,
        verdict="sent",
        retour_codes=[],
        findings=[],
        status_code=200,
        response_media_type=XML,
        response_body=b"",
        answers_id=answers.id,
    )
    session.add(record)
    session.flush()
    return record


IN_ANSWER = b""
"""The response body of a message answered with a retour or JW325 we built: that answer's own
row (`answer_id`) holds the bytes, so a large JW325 is stored once."""


def complete(
    record: MessageRecord, *, verdict: str, status: int, media_type: str, body: bytes
) -> None:
    """Store the verdict and the answer a resend will get back byte for byte (`IN_ANSWER`:
    the bytes of the answer row)."""
    MESSAGES.labels(record.message_type or "unknown", verdict).inc()
    record.verdict, record.status_code = verdict, status
    record.response_media_type, record.response_body = media_type, body


def verdict_of(session: Session, message_id: int) -> str | None:
    """The verdict of one logged message."""
    return session.scalar(select(MessageRecord.verdict).where(MessageRecord.id == message_id))


def undelivered(record: MessageRecord) -> None:
    """A message we sent that its only channel reports lost (e.g. a Fo01 from the GGk chain): it
    never reached the addressee, so no retour is linked to it and nobody chases one."""
    record.verdict = "undelivered"


def stored_answer(session: Session, record: MessageRecord) -> bytes:
    """The body we answered `record` with, byte for byte."""
    body = record.response_body
    if body == IN_ANSWER and record.answer_id is not None and record.response_media_type == XML:
        answer = session.get(MessageRecord, record.answer_id)
        assert answer is not None
        return answer.raw
    return body


def refused(
    session: Session,
    *,
    caller: Party,
    counterpart: Party | None,
    data: bytes,
    message: Message | None,
    now: datetime,
    status: int,
    code: str,
    text: str,
    details: list[dict[str, Any]] | None = None,
    digest: str | None = None,
    total: int | None = None,
) -> MessageRecord:
    """Log a message refused before it was received (level 1, authorisation): it counts as
    never sent; the row keeps the refusal a resend gets back."""
    record = inbound(
        session,
        caller=caller,
        counterpart=counterpart,
        data=data,
        message=message,
        now=now,
        digest=digest,
    )
    record.findings = list(details or [])
    body = problems.problem_bytes(status, code, text, problems.xml_errors(details or []), total)
    complete(record, verdict="refused", status=status, media_type=problems.MEDIA_TYPE, body=body)
    return record


def previous_answered(session: Session, caller: Party, digest: str) -> MessageRecord | None:
    """The last answered message with these bytes from this caller (a byte-identical resend).

    A message refused at transport level (level 1, authorisation) counts as never sent (spec
    §3a), so its resend is judged again: only answered messages are replayed.
    """
    # The id first: nearly every message is new, and then no row is loaded at all.
    found = session.scalar(_RESEND, {"party": caller.id, "digest": digest})
    return session.get(MessageRecord, found) if found is not None else None


_RESEND = (
    select(MessageRecord.id)
    .where(
        MessageRecord.from_party_id == bindparam("party"),
        MessageRecord.sha256 == bindparam("digest"),
        MessageRecord.direction == "in",
        MessageRecord.verdict != "refused",
    )
    .order_by(MessageRecord.id.desc())
    .limit(1)
)


def identificatie_used(session: Session, sender: str, kind: str, identificatie: str) -> bool:
    """Whether `sender` logged a `kind` with this Identificatie (TR056 for our own messages)."""
    found = session.scalar(
        select(MessageRecord.id)
        .where(
            MessageRecord.message_type == kind,
            MessageRecord.sender == sender,
            MessageRecord.identificatie == identificatie,
        )
        .limit(1)
    )
    return found is not None


def original_of(session: Session, retour: Message) -> MessageRecord | None:
    """The JW301/JW319 we sent that a provider's JW302/JW320 answers: same header, and sent to
    the provider that answers (only the addressee of a message may answer it)."""
    answers = CATALOGUE[retour.name].answers
    return session.scalar(
        select(MessageRecord)
        .where(
            MessageRecord.message_type == answers,
            MessageRecord.sender == retour.sender,
            MessageRecord.receiver == retour.receiver,
            MessageRecord.identificatie == retour.identificatie,
            MessageRecord.verdict == "sent",
        )
        .order_by(MessageRecord.id.desc())
        .limit(1)
    )


def message_of(session: Session, party: Party, message_id: int) -> MessageRecord | None:
    """One message the party sent or received (None for anybody else's)."""
    return session.scalar(
        select(MessageRecord).where(
            MessageRecord.id == message_id,
            or_(MessageRecord.from_party_id == party.id, MessageRecord.to_party_id == party.id),
        )
    )


def unanswered_sends(session: Session, gemeente: str) -> list[MessageRecord]:
    """Our JW301/JW319 still without the provider's JW302/JW320."""
    return list(
        session.scalars(
            select(MessageRecord).where(
                MessageRecord.sender == gemeente,
                MessageRecord.message_type.in_(("JW301", "JW319")),
                MessageRecord.direction == "in",
                MessageRecord.verdict == "sent",
                MessageRecord.answer_id.is_(None),
            )
        )
    )


def messages_of(
    session: Session,
    party: Party,
    *,
    message_type: str | None = None,
    verdict: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[MessageRecord]:
    """The messages a party sent or received, newest first; `before` (an id) pages back."""
    query = select(MessageRecord).where(
        or_(MessageRecord.from_party_id == party.id, MessageRecord.to_party_id == party.id)
    )
    if message_type is not None:
        query = query.where(MessageRecord.message_type == message_type)
    if verdict is not None:
        query = query.where(MessageRecord.verdict == verdict)
    if before is not None:
        query = query.where(MessageRecord.id < before)
    return list(session.scalars(query.order_by(MessageRecord.id.desc()).limit(limit)))
