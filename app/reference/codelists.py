"""External code lists (EXT, spec §3c): the CBS municipality list with validity periods (TR378).

TR378 (S300): the gemeentecode must exist in the CBS list that is current on the Ingangsdatum
(301) or ToewijzingIngangsdatum (305, 307, 315); after a municipal merger an older list may be
used for allocations that started before it.  A single snapshot (the reference list is the
1-1-2026 one, §7 Q18) cannot answer that, so the service ships its own dated list,
`app/data/gemeenten.csv` (code, name, valid_from, valid_to): every code of the 2026 list plus
the codes abolished by the mergers of 2017-2023 with their last day, and the merged
municipalities' first day.  An empty date means "open" on that side.

The list can be updated without a release: `ijw codelist import FILE.csv` replaces it in the
database (table flow_gemeente_codes) and `ijw codelist import-cbs FILE.md --peildatum DATE`
merges a new CBS snapshot (new codes start on the peildatum, codes missing from it end the day
before).  While the table is empty the shipped file applies.

A code passes TR378 when it is valid on any of the dates that matter for the message (see
`relevant_dates`): the Dagtekening (today's list) and the (Toewijzing)Ingangsdatum values it
carries or refers to (the older list the rule allows).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import bindparam, delete, func, or_, select
from sqlalchemy.orm import Session

from app.exchange.flow import Context
from app.exchange.header_rules import HeaderFinding
from app.ijw.model import Message, walk
from app.reference.models import GemeenteCodeRow

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "gemeenten.csv"
CODE = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class GemeenteCode:
    """One CBS gemeentecode with its validity period (None = open on that side)."""

    code: str
    name: str
    valid_from: date | None
    valid_to: date | None

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )


class CodelistError(ValueError):
    """A code list file cannot be read."""


def _date(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text) if text else None


def parse_csv(text: str) -> list[GemeenteCode]:
    """Read the `code,name,valid_from,valid_to` format (header row required)."""
    reader = csv.DictReader(io.StringIO(text))
    wanted = {"code", "name", "valid_from", "valid_to"}
    if reader.fieldnames is None or not wanted <= set(reader.fieldnames):
        raise CodelistError(f"a code list needs the columns {sorted(wanted)}")
    out = []
    for n, row in enumerate(reader, 2):
        code = (row["code"] or "").strip()
        if not CODE.fullmatch(code):
            raise CodelistError(f"line {n}: {code!r} is not a 4-digit gemeentecode")
        try:
            item = GemeenteCode(
                code,
                (row["name"] or "").strip(),
                _date(row["valid_from"] or ""),
                _date(row["valid_to"] or ""),
            )
        except ValueError as exc:
            raise CodelistError(f"line {n}: {exc}") from exc
        if item.valid_from and item.valid_to and item.valid_to < item.valid_from:
            raise CodelistError(f"line {n}: valid_to before valid_from")
        out.append(item)
    return out


def to_csv(items: Iterable[GemeenteCode]) -> str:
    """Write the list in the shipped format."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["code", "name", "valid_from", "valid_to"])
    for i in sorted(items, key=lambda g: (g.code, g.valid_from or date.min)):
        writer.writerow(
            [i.code, i.name, i.valid_from or "", i.valid_to or ""]  # dates print as ISO
        )
    return buf.getvalue()


@cache
def shipped_list() -> tuple[GemeenteCode, ...]:
    """The list shipped with the service (app/data/gemeenten.csv)."""
    return tuple(parse_csv(SHIPPED.read_text(encoding="utf-8")))


def current_list(session: Session) -> list[GemeenteCode]:
    """The list in use: the database table when filled, else the shipped file."""
    rows = session.scalars(select(GemeenteCodeRow).order_by(GemeenteCodeRow.code)).all()
    if not rows:
        return list(shipped_list())
    return [GemeenteCode(r.code, r.name, r.valid_from, r.valid_to) for r in rows]


# The code's rows and, in the same statement, whether the table holds any row at all (one round
# trip on the path of every message: TR378 runs on each).
_LOOKUP = select(
    GemeenteCodeRow.code,
    GemeenteCodeRow.name,
    GemeenteCodeRow.valid_from,
    GemeenteCodeRow.valid_to,
).where(
    or_(
        GemeenteCodeRow.code == bindparam("code"),
        GemeenteCodeRow.id == select(func.min(GemeenteCodeRow.id)).scalar_subquery(),
    )
)


def lookup(session: Session, code: str) -> list[GemeenteCode]:
    """Every period of one code in the list in use."""
    rows = session.execute(_LOOKUP, {"code": code}).all()
    if rows:
        # a filled table is authoritative: without a row for the code, the code is not in it
        return [GemeenteCode(*r) for r in rows if r.code == code]
    return [g for g in shipped_list() if g.code == code]


def gemeente_valid(session: Session, code: str, on: date | Iterable[date]) -> bool:
    """TR378: `code` is in the CBS list current on `on` (or on any of several dates)."""
    days = [on] if isinstance(on, date) else list(on)
    periods = lookup(session, code)
    return any(p.valid_on(d) for p in periods for d in days)


def replace_list(session: Session, items: list[GemeenteCode]) -> int:
    """Replace the list in use by `items` (ijw codelist import)."""
    session.execute(delete(GemeenteCodeRow))
    session.add_all(
        GemeenteCodeRow(code=i.code, name=i.name, valid_from=i.valid_from, valid_to=i.valid_to)
        for i in items
    )
    session.flush()
    return len(items)


_CBS_ROW = re.compile(r"^\|\s*([0-9]{4})\s*\|\s*([^|]+?)\s*\|")


def parse_cbs_snapshot(text: str) -> dict[str, str]:
    """Code -> name from a CBS "gemeentelijke indeling" table (markdown rows `| code | name |`
    as in the reference list, or a `code,name` CSV)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        m = _CBS_ROW.match(line)
        if m:
            out[m.group(1)] = m.group(2)
            continue
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 2 and CODE.fullmatch(parts[0]):
            out[parts[0]] = parts[1]
    if not out:
        raise CodelistError("no `| code | name |` rows or `code,name` lines found")
    return out


@dataclass(frozen=True)
class MergeSummary:
    """What merging a CBS snapshot changed."""

    added: list[str]
    ended: list[str]
    unchanged: int


def merge_snapshot(
    current: list[GemeenteCode], snapshot: dict[str, str], peildatum: date
) -> tuple[list[GemeenteCode], MergeSummary]:
    """A new dated list from the current one and a CBS snapshot valid from `peildatum`.

    Codes in the snapshot without an open period start on the peildatum; open codes missing
    from it end the day before.  Closed periods are kept (history stays answerable).
    """
    out: list[GemeenteCode] = []
    open_codes = {g.code for g in current if g.valid_to is None}
    ended: list[str] = []
    for g in current:
        if g.valid_to is None and g.code not in snapshot:
            out.append(GemeenteCode(g.code, g.name, g.valid_from, peildatum - timedelta(days=1)))
            ended.append(g.code)
        else:
            out.append(g)
    added = sorted(code for code in snapshot if code not in open_codes)
    out.extend(GemeenteCode(code, snapshot[code], peildatum, None) for code in added)
    return out, MergeSummary(added, sorted(ended), len(open_codes) - len(ended))


# -- TR378 ------------------------------------------------------------------------------------

_DATE_NAMES = {"Ingangsdatum", "ToewijzingIngangsdatum", "GewensteIngangsdatum"}

DateSource = Callable[[Session, Message], Iterable[date]]
"""More dates a message refers to through stored state (e.g. the Ingangsdatum of an allocation a
JW317 names): given by the flows that own that state."""


def relevant_dates(
    session: Session, message: Message, sources: Sequence[DateSource] = ()
) -> list[date]:
    """The dates on which the gemeentecode of `message` may be judged (module docstring)."""
    days = {message.dagtekening}
    for node in walk(message.root):
        for name in _DATE_NAMES:
            value = node.get(name)
            if isinstance(value, date):
                days.add(value)
        periode = node.get("ProductPeriode") if node.name == "Prestatie" else None
        if periode is not None:
            days.add(periode["Begindatum"])
    for source in sources:
        days.update(source(session, message))
    return sorted(days)


def gemeente_of(message: Message) -> str:
    """The gemeentecode in a header: Afzender of 301/319/325, Ontvanger of the rest."""
    if message.name in ("JW301", "JW319", "JW325"):
        return message.sender
    return message.receiver


@dataclass(frozen=True)
class Tr378:
    """TR378 (S300) as a header rule: the header's gemeentecode is in the CBS list on a relevant
    date; `sources` add the dates a message refers to through stored state."""

    sources: tuple[DateSource, ...] = ()

    def __call__(self, ctx: Context) -> list[HeaderFinding]:
        message = ctx.message
        code = gemeente_of(message)
        # Nearly always the code is valid on the Dagtekening; only a merged-away gemeente needs
        # the walk over the message for older dates (~0.4 s on a 25 MB declaration).
        if gemeente_valid(ctx.session, code, [message.dagtekening]):
            return []
        if gemeente_valid(ctx.session, code, relevant_dates(ctx.session, message, self.sources)):
            return []
        field = "Afzender" if code == message.sender else "Ontvanger"
        return [("TR378", message.header.loc(field))]
