"""The message exchange: post an iJw message, poll the messages addressed to you."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from app.api.deps import (
    CallerDep,
    MessageId,
    ServiceDep,
    SessionDep,
    cursor_value,
    not_found,
    read_limited,
)
from app.exchange import feed, log
from app.exchange.channels import Hop
from app.exchange.models import MessageRecord

router = APIRouter(prefix="/v1/berichten", tags=["berichten"])

_POST_DOC = """Post one iJw 3.2 message as raw XML (`Content-Type: application/xml`).

Heenberichten (JW305, JW307, JW315, JW317) are answered with their retour (JW306, JW308, JW316,
JW318) and a declaration (JW323) with its JW325, all as XML with status 200.  A gemeente posts its
JW301/JW319 here (checked, then put in the provider's feed) and a provider its JW302/JW320; those
get a JSON receipt.  Refusals are JSON `{code, message, details[]}`: 401 no/unknown token, 413
IB003 over 25 MB, 400 BRS14 not well-formed/not UTF-8/DTD, 400 IB004 unknown message, 422 IB014
XSD errors, 403 IB002 header does not name the caller, 403 IB008 role may not send this type,
422 IB005/IB010 addressee not served here, 422 REFUSED when a gemeente message fails the rules.
A byte-identical resend gets the stored answer and changes nothing."""


class HopOut(BaseModel):
    """How a message travelled on a channel other than the feed (the GGk): the envelope that
    brought it in, or a delivery of it with its state."""

    channel: str
    direction: str = Field(description="in: it came in this way; out: a delivery of it")
    kind: str = Field(description="Di01 | Du01 | Fo01")
    referentienummer: str | None
    crossrefnummer: str | None
    state: str = Field(description="received | queued | delivered | answered | failed")
    attempts: int
    code: str | None
    text: str | None
    at: datetime | None

    @classmethod
    def of(cls, hop: Hop) -> HopOut:
        return cls(
            channel=hop.channel,
            direction=hop.direction,
            kind=hop.kind,
            referentienummer=hop.reference,
            crossrefnummer=hop.cross_reference,
            state=hop.state,
            attempts=hop.attempts,
            code=hop.code,
            text=hop.text,
            at=hop.at,
        )


class Message(BaseModel):
    """A message in a feed: the log row and its raw XML."""

    message_id: int
    message_type: str | None
    direction: str
    sender: str | None
    receiver: str | None
    identificatie: str | None
    verdict: str
    retour_codes: list[str]
    answers: int | None
    received_at: datetime
    xml: str
    channel: str = Field(
        description="how it came in: ggk (in an envelope), api (posted, or made by the back "
        "office), built (a retour or JW325 we built)"
    )
    transport: list[HopOut] = Field(default_factory=list)

    @classmethod
    def of(cls, rec: MessageRecord, hops: list[Hop] | None = None) -> Message:
        hops = hops or []
        arrived = next((h.channel for h in hops if h.direction == "in" and h.kind != "Fo01"), None)
        return cls(
            message_id=rec.id,
            message_type=rec.message_type,
            direction=rec.direction,
            sender=rec.sender,
            receiver=rec.receiver,
            identificatie=rec.identificatie,
            verdict=rec.verdict,
            retour_codes=list(rec.retour_codes or []),
            answers=rec.answers_id,
            received_at=rec.received_at,
            xml=rec.raw.decode("utf-8", errors="replace"),
            channel=arrived or ("built" if rec.direction == "out" else "api"),
            transport=[HopOut.of(h) for h in hops],
        )


class FeedItem(Message):
    """A polled message with its cursor."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "cursor": "17",
                    "message_id": 42,
                    "message_type": "JW301",
                    "direction": "in",
                    "sender": "0363",
                    "receiver": "12345678",
                    "identificatie": "BO1A2B3C4D5E",
                    "verdict": "sent",
                    "retour_codes": [],
                    "answers": None,
                    "received_at": "2026-06-15T10:12:03Z",
                    "xml": "<?xml version='1.0' encoding='UTF-8'?><jw301:Bericht ...",
                }
            ]
        }
    )

    cursor: str


class FeedPage(BaseModel):
    """One page of a feed; poll again with `next_cursor` (also when nothing new came)."""

    items: list[FeedItem]
    next_cursor: str
    has_more: bool


class MessageDetail(Message):
    """One message with our findings and the id of our answer."""

    findings: list[dict[str, object]]
    answer_id: int | None


@router.post(
    "",
    summary="Post an iJw message",
    description=_POST_DOC,
    response_class=Response,
    responses={200: {"content": {"application/xml": {}, "application/json": {}}}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def post_bericht(request: Request, party: CallerDep, svc: ServiceDep) -> Response:
    limit = svc.settings.max_body_bytes
    data = await read_limited(
        request, limit, "IB003", f"the message exceeds the maximum of {limit} bytes"
    )
    answer = await run_in_threadpool(svc.intake.receive, party.id, data)
    headers = {"X-Message-Id": str(answer.message_id)} if answer.message_id else {}
    if answer.resend:
        headers["X-Resend"] = "true"
    return Response(
        answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers
    )


@router.get("", summary="Poll the messages addressed to you")
def poll(
    party: CallerDep,
    s: SessionDep,
    svc: ServiceDep,
    since: str = Query("0", description="cursor from a previous page; 0 = from the start"),
    limit: int = Query(100, ge=1, le=feed.MAX_PAGE),
) -> FeedPage:
    """Messages addressed to the caller, oldest first; poll again with `next_cursor`.

    None is skipped or repeated: cursors are the caller's own sequence numbers, handed out in
    commit order.  Retours we answered synchronously are here too, for a client that timed out.
    """
    found = feed.poll(s, party, cursor_value(since), limit + 1)
    items = found[:limit]
    hops = svc.transport.hops(s, [i.record.id for i in items])
    return FeedPage(
        items=[
            FeedItem(cursor=i.cursor, **Message.of(i.record, hops.get(i.record.id)).model_dump())
            for i in items
        ],
        next_cursor=items[-1].cursor if items else since,
        has_more=len(found) > limit,
    )


@router.get("/{message_id}", summary="One message you sent or received, with our answer")
def get_bericht(
    message_id: MessageId, party: CallerDep, s: SessionDep, svc: ServiceDep
) -> MessageDetail:
    """The message log entry: verdict, findings, our answer, how it came and how it left."""
    rec = log.message_of(s, party, message_id)
    if rec is None:
        raise not_found(f"message {message_id}")
    hops = svc.transport.hops(s, [rec.id]).get(rec.id)
    return MessageDetail(
        **Message.of(rec, hops).model_dump(),
        findings=list(rec.findings or []),
        answer_id=rec.answer_id,
    )
