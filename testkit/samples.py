"""Generators of realistic, valid iJw 3.2 messages for every message type.

Every generator returns model-shaped data (the shape `app.ijw.model.to_model` produces and
`app.ijw.render.render` consumes): dicts of element name -> value, `date`/`time`/`int`/`str` for
simple content and a list for every repeating child.  Generated messages are

* valid against the iJw 3.2 XSDs (level 1), and
* clean for every in-message rule (level 2, spec §3b): 11-proof BSNs, dates not after the
  Dagtekening, no overlapping allocations of the same product, the Omvang/Budget conditions,
  CS338 frequencies, Dutch postcodes, reachable contacts, unique logical keys, declaration totals,
  whole-month declaration periods, tariffs only when Eenheid is not 83, JW325 totals, ...

Everything is deterministic for a given `random.Random`, so benches and demos can regenerate the
same data from a seed.  Hypothesis strategies over these generators live in
`testkit.strategies` (hypothesis is a development dependency; this module does not import
it).

Entry points:

* `random_message(name, rng, **options)`: one message of any type.
* `retour_for(name, forward, rng, ...)`, `declaration_answer(jw323, rng, ...)`: answers to given
  forward messages.
* `declaration_with_allocations(n_prestaties, ...)` and `big_declaration(n_prestaties, ...)`:
  large JW323 declarations for benchmarks, with the allocations and contracted products they
  declare on (about 960 bytes per prestatie).
* helpers: `random_xml` (rendered), `iter_messages` (consecutive seeds), `random_bsn`,
  `elfproef`, `month_start`/`month_end`/`add_months`.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from app.ijw.catalogue import CATALOGUE, resolve
from app.ijw.catalogue.structure import Simple
from app.ijw.catalogue.xsd_model import BASIS_XSD_VERSION, MESSAGES, SIMPLE_TYPES
from app.ijw.render import render

MESSAGE_TYPES: tuple[str, ...] = tuple(MESSAGES)
"""All 14 message types, in catalogue order."""

FORWARD_OF: dict[str, str] = {
    name: info.answers for name, info in CATALOGUE.items() if info.answers is not None
}
"""Retour (and JW325) -> the forward message it answers."""

Data = dict[str, Any]

EARLIEST = date(2021, 1, 1)  # CS100 and the "after 2020" conditions of CD080/CS338
DEFAULT_DAGTEKENING_RANGE = (date(2022, 3, 1), date(2026, 6, 30))

# Real CBS municipality codes (a handful is enough for realistic traffic).
GEMEENTEN = ("0363", "0599", "0518", "0344", "0384", "0014", "0200", "0772", "1680", "1916")

_CATEGORIES = SIMPLE_TYPES["LDT_ProductCategorie"].enum
_LANDCODES = SIMPLE_TYPES["LDT_LandCode"].enum

# Eenheid -> allowed Frequenties (CS338: 14, 16, 83 and 84 never per day after 2020).
UNIT_FREQUENCIES: dict[str, tuple[str, ...]] = {
    "01": ("1", "2", "4", "6"),
    "04": ("1", "2", "4", "6"),
    "82": ("1", "2", "4", "6"),
    "14": ("2", "4", "6"),
    "16": ("2", "4", "6"),
    "83": ("2", "4", "6"),
    "84": ("2", "4", "6"),
}
_VOLUMES: dict[str, tuple[int, int]] = {
    "01": (15, 2400),  # minutes
    "04": (1, 40),  # hours
    "14": (1, 31),  # etmaal
    "16": (1, 14),  # dagdeel
    "82": (1, 12),  # stuks (output)
    "83": (5_000, 2_500_000),  # euro, in cents
    "84": (1, 30),  # stuks (inspanning)
}
_TARIFFS: dict[str, tuple[int, int]] = {  # cents per unit
    "01": (80, 250),
    "04": (5_000, 15_000),
    "14": (15_000, 45_000),
    "16": (4_000, 12_000),
    "82": (10_000, 250_000),
    "84": (2_000, 60_000),
}

_SURNAMES: tuple[tuple[str | None, str], ...] = (
    (None, "Jansen"),
    ("de", "Vries"),
    ("van den", "Berg"),
    (None, "Bakker"),
    ("van", "Dijk"),
    (None, "Visser"),
    (None, "Smit"),
    ("de", "Boer"),
    ("van der", "Meer"),
    (None, "Mulder"),
    (None, "Yılmaz"),
    (None, "Çelik"),
    ("el", "Amrani"),
    (None, "Nguyễn"),
    (None, "Đorđević"),
    (None, "Østergaard"),
    (None, "Kowalczyk-Wiśniewska"),
    (None, "O'Connor"),
    (None, "Müller-Lüdenscheidt"),
    (None, "Łukasiewicz"),
    (None, "Ζαχαρίου"),
    (None, "Иванова"),
    (None, "王"),
    (None, "𠮷野"),
    ("'t", "Hoen"),
    ("van 't", "Hof"),
)
_FIRST_NAMES = (
    "Daan",
    "Emma",
    "Noah",
    "Julia",
    "Lucas",
    "Sophie",
    "Mohammed",
    "Fatma",
    "Zoë",
    "Chloé",
    "Thijs",
    "Anouk",
    "Søren",
    "Łucja",
    "Dženana",
    "Ayşe",
    "Jan-Willem",
    "Mees",
    "Noor",
    "Ilse",
    "Émile",
    "Ольга",
    "Ngọc Anh",
    "Sem Lucas",
    "Ὅμηρος",
)
_STREETS = (
    "Kerkstraat",
    "Dorpsstraat",
    "Molenweg",
    "Stationsplein",
    "Hoofdstraat",
    "Schoolstraat",
    "Van Woustraat",
    "Lange Nieuwstraat",
    "Burg. de Withstraat",
    "Oude Gracht",
    "Ir. Lelyweg",
)
_PLACES = (
    "Amsterdam",
    "Rotterdam",
    "'s-Gravenhage",
    "Utrecht",
    "Oss",
    "Groningen",
    "Den Helder",
    "Sint-Oedenrode",
    "Ee",
    "Nijmegen",
    "'s-Hertogenbosch",
    "Zoetermeer",
)
_ORGANISATIONS = (
    "Jeugdzorg Noord",
    "Stichting De Opvang",
    "Gezinshuis De Linde",
    "Revalidatiecentrum Oost",
    "Ouder-kindhuis Ûtwei",
)
_FOREIGN = (
    ("BE", "1000", "Brussel"),
    ("DE", "10115", "Berlin"),
    ("GB", "SW1A1AA", "London"),
    ("FR", "75001", "Paris"),
    ("PL", "00-950", "Warszawa"),
    ("TR", "06100", "Ankara"),
    ("MA", "20000", "Casablanca"),
)
_LANGUAGES = ("Arabisch", "Turks", "Pools", "Tigrinya", "Oekraïens", "Nederlandse Gebarentaal")
_COMMENTS = (
    "Zie beschikking.",
    "Afgestemd met de jeugdconsulent.",
    "Spoed: start zo snel mogelijk",
    "Opvolging van eerdere toewijzing",
    "Regelmatig overleg met ouders; voortgang na 3 maanden evalueren.",
)
# Text for the rare maximum-length values: mixes scripts and non-BMP characters.
_FILLER = "Ünïcødé naam ẞtraße 𠮷 Ŋ ø łódź Ωμέγα Кириллица "

# Retour codes used per class when a generated retour rejects on content.
_CLASS_CODES: dict[str, tuple[str, ...]] = {
    "Client": ("8187", "9374"),
    "Relatie": ("9019",),
    "Contact": ("9019",),
    "ToegewezenProduct": ("9332", "9379", "9385", "S329"),
    "StartProduct": ("9019", "9063", "9071", "9074", "9326", "S329"),
    "StopProduct": ("9019", "9063", "9069", "9074", "9413", "9414", "9415", "S329"),
    "AangevraagdProduct": ("9347", "S329"),
    "Verzoek": ("9347", "9349", "9374"),
    "OngewijzigdProduct": ("9350",),
    "TeWijzigenProduct": ("9351", "9357", "9373", "9375", "9411", "9412"),
    "NieuwProduct": ("9361", "S329"),
    "Antwoord": ("9355", "9359", "9360", "9365"),
    "Woonplaatsbeginsel": ("S300",),
    "Prestatie": (
        "0611",
        "8017",
        "8021",
        "8187",
        "9307",
        "9308",
        "9321",
        "9322",
        "9338",
        "9339",
        "9340",
        "9341",
        "9346",
        "9369",
        "9384",
        "9387",
        "9388",
        "9389",
        "9390",
        "S329",
    ),
}
_HEADER_REJECTIONS = ("0001", "8848", "9056", "S300")


# --------------------------------------------------------------------------- small helpers


def elfproef(bsn: str) -> bool:
    """True when a 9-digit BSN passes the 11-proof (weights 9..2 and -1, CS002)."""
    if len(bsn) != 9 or not bsn.isdigit():
        return False
    total = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2, -1), bsn, strict=True))
    return total % 11 == 0


def random_bsn(
    rng: random.Random, *, test_range: bool = False, avoid: set[str] | frozenset[str] = frozenset()
) -> str:
    """A random 11-proof BSN not in `avoid`; `test_range` draws from the test BSNs
    999900006..999999990.  One draw, then the next valid number, so it terminates even for a
    degenerate random source (Hypothesis shrinking)."""
    if test_range:
        lo, span = 99_990_000, 10_000
    else:
        # mostly the usual 1..9 first digit, sometimes a leading zero (BSN is a string)
        lo = 0 if rng.random() < 0.05 else 10_000_000
        span = 100_000_000 - lo
    offset = rng.randrange(span)
    for step in range(span):
        head = f"{lo + (offset + step) % span:08d}"
        rest = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), head, strict=True)) % 11
        bsn = head + str(rest)
        if rest == 10 or bsn == "000000000" or bsn in avoid:
            continue
        if not test_range or "999900006" <= bsn <= "999999990":
            return bsn
    raise ValueError("no BSN left in the range")


def month_start(d: date) -> date:
    """First day of the month of `d`."""
    return d.replace(day=1)


def month_end(d: date) -> date:
    """Last day of the month of `d`."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    """The first day of the month `n` months after the month of `d` (n may be negative)."""
    y, m = divmod(d.month - 1 + n, 12)
    return date(d.year + y, m + 1, 1)


def _rand_date(rng: random.Random, lo: date, hi: date) -> date:
    if hi <= lo:
        return lo
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def _overlaps(a0: date, a1: date | None, b0: date, b1: date | None) -> bool:
    return (a1 is None or b0 <= a1) and (b1 is None or a0 <= b1)


def _product_conflict(p: tuple[str | None, str | None], q: tuple[str | None, str | None]) -> bool:
    """Whether two products count as "the same product" for TR302/TR386/TR410.

    Conservative reading of the rule text: no product conflicts with everything, a product
    without code conflicts with its whole category, two codes only with the same code.
    """
    if p[0] is None or q[0] is None:
        return True
    if p[0] != q[0]:
        return False
    if p[1] is not None and q[1] is not None:
        return p[1] == q[1]
    return True


@dataclass
class _Planner:
    """Places product periods so that the same product never overlaps itself."""

    placed: list[tuple[tuple[str | None, str | None], date, date | None]] = field(
        default_factory=list
    )

    def place(
        self,
        product: tuple[str | None, str | None],
        start: date,
        length: int | None,
        *,
        max_start: date | None = None,
    ) -> tuple[date, date | None] | None:
        """Earliest start >= `start` free for `product`; `length` days (None = open end).

        Returns None when a conflicting period is open-ended or the start would pass
        `max_start`; the caller then picks another product.
        """
        moved = True
        while moved:
            moved = False
            end = None if length is None else start + timedelta(days=length)
            for other, o_start, o_end in self.placed:
                if _product_conflict(product, other) and _overlaps(start, end, o_start, o_end):
                    if o_end is None:
                        return None
                    start = o_end + timedelta(days=1)
                    moved = True
                    break
        if max_start is not None and start > max_start:
            return None
        end = None if length is None else start + timedelta(days=length)
        self.placed.append((product, start, end))
        return start, end


# --------------------------------------------------------------------------- the generator


class _Gen:
    """Holds the options of one generation run and builds the parts of messages."""

    def __init__(
        self,
        rng: random.Random,
        *,
        dagtekening: date | None = None,
        gemeente: str | None = None,
        aanbieder: str | None = None,
        max_repeats: int = 4,
        edge: float = 0.1,
        xsd_version: str | None = None,
        bsn: str | None = None,
    ) -> None:
        if max_repeats < 1:
            raise ValueError("max_repeats must be at least 1")
        self.rng = rng
        self.dag = dagtekening or _rand_date(rng, *DEFAULT_DAGTEKENING_RANGE)
        self.gemeente = gemeente or rng.choice(GEMEENTEN)
        self.aanbieder = aanbieder or f"{rng.randint(0, 99_999_999):08d}"
        self.max_repeats = max_repeats
        self.edge = edge
        self.xsd_version = xsd_version
        self.bsn = bsn

    # -- primitive values

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def edgy(self) -> bool:
        return self.edge > 0 and self.rng.random() < self.edge

    def repeats(self, lo: int = 1, hi: int | None = None) -> int:
        hi = self.max_repeats if hi is None else min(hi, self.max_repeats)
        return self.rng.randint(lo, max(lo, hi))

    def long_text(self, max_length: int) -> str:
        """A string of exactly `max_length` characters, mixed scripts, no edge whitespace."""
        text = (_FILLER * (max_length // len(_FILLER) + 2))[
            self.rng.randrange(len(_FILLER)) :
        ].lstrip()
        text = text[:max_length]
        return text[:-1] + "x" if text[-1].isspace() else text

    def text(self, choices: Sequence[str], max_length: int) -> str:
        if self.edgy():
            return self.long_text(max_length)
        return self.rng.choice(choices)[:max_length]

    def ident(self, max_length: int = 12) -> str:
        """A message identification (1..12 characters, not blank)."""
        r = self.rng.random()
        if self.edgy():
            return (
                "".join(self.rng.choice("ABCXYZ0123456789-_ Ü") for _ in range(max_length - 1))
                + "9"
            )
        if r < 0.5:
            return str(self.rng.randint(1, 10 ** self.rng.randint(1, max_length) - 1))
        if r < 0.8:
            return f"{self.rng.choice(['MSG', 'ID', 'JW', 'x'])}{self.rng.randint(1, 99999)}"
        return f"{self.dag:%Y%m%d}-{self.rng.randint(1, 999)}"

    def version(self) -> str:
        if self.xsd_version is not None:
            return self.xsd_version
        if self.edgy():
            return f"{self.rng.randint(0, 99)}.{self.rng.randint(0, 999)}.{self.rng.randint(0, 12)}"
        return self.rng.choice((BASIS_XSD_VERSION, BASIS_XSD_VERSION, "1.0.0"))

    def xsd_versie(self) -> Data:
        return {"BasisschemaXsdVersie": self.version(), "BerichtXsdVersie": self.version()}

    def client_bsn(self) -> str:
        if self.bsn is not None:
            return self.bsn
        return random_bsn(self.rng, test_range=self.chance(0.2))

    def comment(self) -> str:
        if self.edgy():
            return self.rng.choice(
                ("Regel één.\nRegel twee.", "  ingesprongen  ", self.long_text(1000), "…")
            )
        return self.rng.choice(_COMMENTS)

    def referentie(self, used: set[str]) -> str:
        if self.edgy():
            ref = "".join(self.rng.choice("ABCDEF0123456789-") for _ in range(36))
        else:
            ref = f"{self.rng.choice(['REF', 'VOT', 'VOW', 'A', ''])}{self.rng.randint(1, 10**9)}"
        base, n = ref, 0
        while ref in used:  # unique (TR383, TR101), also for a degenerate random source
            n += 1
            ref = f"{base[: 35 - len(str(n))]}-{n}"
        used.add(ref)
        return ref

    def amount(self, lo: int, hi: int) -> int:
        return 99_999_999 if self.edgy() and self.chance(0.3) else self.rng.randint(lo, hi)

    # -- people

    def birth(self, *, youth: bool) -> Data:
        """Geboortedatum with DatumGebruik consistent with the date (CS139), not after the
        Dagtekening (TR134) and at most 120 years before it unless unknown (TR002)."""
        rng = self.rng
        if self.chance(0.04):
            return {"Datum": date(1900, 1, 1), "DatumGebruik": "3"}
        if youth:
            lo = self.dag - timedelta(days=int(365.25 * 23))
            hi = self.dag
        else:
            lo = self.dag - timedelta(days=int(365.25 * 119))
            hi = self.dag - timedelta(days=365 * 16)
        d = _rand_date(rng, lo + timedelta(days=366), hi)
        if self.edgy():  # born on the Dagtekening / almost 120 years before it
            return {"Datum": self.dag if youth else lo + timedelta(days=2)}
        out: Data = {"Datum": d}
        kind = rng.random()
        if kind < 0.08:
            out = {"Datum": d.replace(day=1), "DatumGebruik": "1"}
        elif kind < 0.13:
            out = {"Datum": d.replace(month=1, day=1), "DatumGebruik": "2"}
        return out

    def surname(self) -> Data:
        prefix, name = self.rng.choice(_SURNAMES)
        out: Data = {"Achternaam": self.long_text(200) if self.edgy() else name}
        if prefix is not None:
            out["Voorvoegsel"] = prefix
        elif self.edgy():
            out["Voorvoegsel"] = "van der de"[:10]
        return out

    def given_names(self, out: Data) -> None:
        names = " ".join(self.rng.sample(_FIRST_NAMES, self.rng.randint(1, 3)))
        if self.chance(0.8):
            out["Voornamen"] = self.long_text(200) if self.edgy() else names
        if self.chance(0.8):
            initials = "".join(
                part[0].upper() for part in names.replace("-", " ").split() if _voorletter(part[0])
            )
            if self.edgy():
                initials = "ÀÉÎÕÜỳ"
            if initials:
                out["Voorletters"] = initials[:6]

    def short_name(self) -> Data:
        """CDT_VerkorteNaam (305, 307, 315)."""
        out: Data = {"Geslachtsnaam": self.surname()}
        self.given_names(out)
        return out

    def full_name(self, *, client: bool) -> Data:
        """CDT_VolledigeNaam (301): NaamGebruik per CS050, never 6 for the client (CS318)."""
        out: Data = {"Geslachtsnaam": self.surname()}
        organisation = not client and self.chance(0.1)
        partner = not organisation and self.chance(0.05 if client else 0.35)
        if partner:
            out["Partnernaam"] = self.surname()
        if not organisation:
            self.given_names(out)
        if partner:
            out["NaamGebruik"] = self.rng.choice("1234")
        else:
            out["NaamGebruik"] = "6" if organisation else "1"
        return out

    # -- contacts (301)

    def address(self, *, full: bool) -> Data:
        """CDT_Adres: a full address has Huis, Postcode and LandCode together (CD005, CD025,
        CS089 for NL); a partial one has none of the three."""
        rng = self.rng
        if not full:
            out: Data = {"Plaatsnaam": self.text(_PLACES, 80)}
            if self.chance(0.5):
                out = {"Straatnaam": self.text(_STREETS, 24), **out}
            return out
        huis: Data = {"Huisnummer": 99_999 if self.edgy() else rng.randint(1, 350)}
        if self.chance(0.2):
            huis["Huisletter"] = rng.choice("ABCabc")
        if self.chance(0.2):
            huis["HuisnummerToevoeging"] = rng.choice(("1", "II", "bis", "K123", "BEL"))
        if self.chance(0.1):
            huis["AanduidingWoonadres"] = rng.choice(SIMPLE_TYPES["LDT_AanduidingWoonadres"].enum)
        if self.chance(0.85):
            letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXZ") for _ in range(2))
            if self.edgy():
                letters = letters.lower()
            nl: Data = {"Huis": huis, "Postcode": f"{rng.randint(1000, 9999)}{letters}"}
            # CD025 asks only for Huis with LandCode NL (the checker accepts a missing street)
            if self.chance(0.95):
                nl["Straatnaam"] = self.text(_STREETS, 24)
            if self.chance(0.95):
                nl["Plaatsnaam"] = self.text(_PLACES, 80)
            nl["LandCode"] = "NL"
            return nl
        land, postcode, place = rng.choice(_FOREIGN)
        out = {"Huis": huis, "Postcode": postcode}
        if self.chance(0.7):
            out["Straatnaam"] = self.text(_STREETS, 24)
        if self.chance(0.8):
            out["Plaatsnaam"] = place
        out["LandCode"] = land
        return out

    def phone(self) -> Data:
        def one() -> Data:
            number = "0" + "".join(self.rng.choice("0123456789") for _ in range(9))
            if self.edgy():
                number = "".join(self.rng.choice("0123456789") for _ in range(15))
            return {"Telefoonnummer": number, "Landnummer": self.rng.choice(("0031", "0032", "31"))}

        out: Data = {"Telefoon01": one()}
        if self.chance(0.3):
            out["Telefoon02"] = one()
        return out

    def contact(self, soort: str) -> Data:
        """One Contact: Adres for 01/03 (CD034), Telefoon or Huisnummer+Postcode (TR006),
        Periode only for 04 (CD009), a Periode end never before its start (CS003)."""
        out: Data = {"Soort": soort}
        addr: Data | None = None
        if soort in ("01", "03") or self.chance(0.6):
            addr = self.address(full=soort in ("01", "03") or self.chance(0.7))
            out["Adres"] = addr
        if self.chance(0.2):
            out["Organisatie"] = self.text(_ORGANISATIONS, 35)
        if addr is None or "Postcode" not in addr or self.chance(0.7):
            out["Telefoon"] = self.phone()
        if self.chance(0.5):
            local = "a" * 67 if self.edgy() else self.rng.choice(("info", "j.jansen", "ouder1"))
            out["Emailadres"] = f"{local}@voorbeeld.nl"
        if soort == "04" and self.chance(0.7):
            begin = _rand_date(
                self.rng, self.dag - timedelta(days=400), self.dag + timedelta(days=60)
            )
            periode: Data = {"Begindatum": begin}
            if self.chance(0.5):
                periode["Einddatum"] = begin + timedelta(days=self.rng.randint(0, 365))
            out["Periode"] = periode
        return out

    # -- products

    def product_code(self, categorie: str) -> str:
        if self.edgy():
            return self.rng.choice(("7", f"{categorie}ÄZ9", f"{categorie}999"))
        return f"{categorie}{self.rng.choice('ABCDE')}{self.rng.randint(1, 12):02d}"

    def omvang(self) -> Data:
        rng = self.rng
        eenheid = rng.choice(tuple(UNIT_FREQUENCIES))
        frequentie = rng.choice(UNIT_FREQUENCIES[eenheid])
        lo, hi = _VOLUMES[eenheid]
        volume = rng.randint(lo, hi)
        if self.edgy():
            volume = rng.choice((0, 99_999_999))
        return {"Volume": volume, "Eenheid": eenheid, "Frequentie": frequentie}

    def order(
        self,
        planner: _Planner,
        *,
        start_lo: date,
        start_hi: date,
        allow_open: bool = True,
        kinds: Sequence[str] = ("specific", "specific", "specific", "aspecific", "generic"),
    ) -> Data:
        """Product, period and Omvang/Budget of one allocation-like class, keyed with the
        generic names Product, Begin, Eind, Omvang, Budget (the caller renames them).

        specific: Product with Code and Omvang (CD041); aspecific: Product without Code and
        without Omvang (CD080/CD095/CD096), optional Budget; generic: no Product, Budget
        required (CD079).  Budget and per-week frequencies need an end date (CD075, CD076);
        Omvang and Budget never together (CD077, CD078).
        """
        rng = self.rng
        for attempt in range(60):
            # after a few collisions: a specific product, the category rotating, so that even a
            # degenerate random source (Hypothesis shrinking) finds a free product
            kind = rng.choice(kinds) if attempt < 10 else "specific"
            cat: str | None = None
            code: str | None = None
            omvang: Data | None = None
            budget: int | None = None
            if kind != "generic":
                cat = _CATEGORIES[(rng.randrange(len(_CATEGORIES)) + attempt) % len(_CATEGORIES)]
            if kind == "specific":
                code = self.product_code(cat)  # type: ignore[arg-type]
                omvang = self.omvang()
            elif kind == "generic" or self.chance(0.5):
                budget = self.amount(10_000, 5_000_000)
            needs_end = budget is not None or (omvang is not None and omvang["Frequentie"] == "2")
            length: int | None = rng.choice((0, 6, 30, 90, 182, 364, 729))
            if not needs_end and allow_open and self.chance(0.3):
                length = None
            placed = planner.place(
                (cat, code),
                _rand_date(rng, start_lo, start_hi),
                length,
                max_start=start_hi + timedelta(days=731 * (len(planner.placed) + 1)),
            )
            if placed is None:
                continue
            begin, end = placed
            out: Data = {"Begin": begin, "Eind": end, "Omvang": omvang, "Budget": budget}
            if cat is not None:
                out["Product"] = (
                    {"Categorie": cat} if code is None else {"Categorie": cat, "Code": code}
                )
            else:
                out["Product"] = None
            return out
        raise RuntimeError("could not place a non-overlapping product")  # pragma: no cover

    # -- headers

    def header(self, name: str, afzender: str, ontvanger: str) -> Data:
        return {
            "BerichtCode": MESSAGES[name].code,
            "BerichtVersie": 3,
            "BerichtSubversie": 2,
            "Afzender": afzender,
            "Ontvanger": ontvanger,
            "BerichtIdentificatie": {"Identificatie": self.ident(), "Dagtekening": self.dag},
            "XsdVersie": self.xsd_versie(),
        }

    def from_gemeente(self, name: str) -> Data:
        return self.header(name, self.gemeente, self.aanbieder)

    def from_aanbieder(self, name: str) -> Data:
        return self.header(name, self.aanbieder, self.gemeente)


def _voorletter(ch: str) -> bool:
    return (ch.isascii() and ch.isalpha()) or ("\u00c0" <= ch <= "\u1ef3" and ch.isalpha())


def _clean(d: Data) -> Data:
    """Drop absent (None) values so the data equals what the parser gives back."""
    return {k: v for k, v in d.items() if v is not None}


# --------------------------------------------------------------------------- forward messages


def _jw301(g: _Gen) -> Data:
    rng = g.rng
    client: Data = {
        "Bsn": g.client_bsn(),
        "Geboortedatum": g.birth(youth=True),
        "Geslacht": rng.choice("012"),
        "Naam": g.full_name(client=True),
    }
    if g.chance(0.3):
        vorm = rng.choice("123")
        client["Communicatie"] = (
            {"Vorm": vorm, "Taal": g.text(_LANGUAGES, 25)} if vorm == "1" else {"Vorm": vorm}
        )
    if g.chance(0.4):
        client["JuridischeStatus"] = rng.choice(SIMPLE_TYPES["LDT_JuridischeStatus"].enum)
    if g.chance(0.4):
        client["WettelijkeVertegenwoordiging"] = rng.choice(
            SIMPLE_TYPES["LDT_WettelijkeVertegenwoordiging"].enum
        )
    if g.chance(0.3):
        client["Commentaar"] = g.comment()
    if g.chance(0.6):
        relaties = []
        for i in range(g.repeats()):
            rel: Data = {"Nummer": f"{i + 1}" if not g.edgy() else f"R{i:019d}"[-20:]}
            if g.chance(0.6):
                rel["Volgorde"] = 99 if g.edgy() else i + 1
            rel["Soort"] = rng.choice(SIMPLE_TYPES["LDT_SoortRelatie"].enum)
            naam = g.full_name(client=False)
            if naam["NaamGebruik"] != "6":
                if g.chance(0.6):
                    rel["Geboortedatum"] = g.birth(youth=False)
                if g.chance(0.7):
                    rel["Geslacht"] = rng.choice("012")
            rel["Naam"] = naam
            rel["Contact"] = g.contact(rng.choice(("01", "02", "03", "04")))
            relaties.append(rel)
        client["Relaties"] = {"Relatie": relaties}
    # unique Soort per Contact (TR101) with at least one 01, 02 or 03 (TR061)
    soorten = [rng.choice(("01", "02", "03"))]
    others = [s for s in ("01", "02", "03", "04") if s != soorten[0]]
    soorten += rng.sample(others, rng.randint(0, min(3, g.max_repeats - 1)))
    rng.shuffle(soorten)
    client["Contactgegevens"] = {"Contact": [g.contact(s) for s in soorten]}
    planner = _Planner()
    products = []
    unique = _Unique(rng, used={999_999_999})  # the edge value below stays unique too
    nummers = [unique.new() for _ in range(g.max_repeats + 1)]  # unique (TR101)
    refs: set[str] = set()
    for i in range(g.repeats()):
        o = g.order(
            planner,
            start_lo=max(EARLIEST, g.dag - timedelta(days=730)),
            start_hi=g.dag + timedelta(days=90),
        )
        tp: Data = {"ToewijzingNummer": 999_999_999 if g.edgy() and i == 0 else nummers[i]}
        if g.chance(0.3):
            tp["ReferentieAanbieder"] = g.referentie(refs)
        tp["Product"] = o["Product"]
        ingang: date = o["Begin"]
        tp["Toewijzingsdatum"] = _rand_date(rng, min(ingang, g.dag) - timedelta(days=45), g.dag)
        tp["Toewijzingstijd"] = time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        tp["Ingangsdatum"] = ingang
        tp["Einddatum"] = o["Eind"]
        r = rng.random()
        if o["Eind"] is not None and o["Eind"] == ingang and r < 0.5:
            tp["RedenWijziging"] = "13"  # deleted: Einddatum = Ingangsdatum (CS335)
        elif o["Eind"] is not None and r < 0.3:
            tp["RedenWijziging"] = rng.choice(
                ("02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "14")
            )
        tp["Omvang"] = o["Omvang"]
        tp["Budget"] = o["Budget"]
        if g.chance(0.2):
            tp["Commentaar"] = g.comment()
        products.append(_clean(tp))
    if g.chance(0.3):
        _change_scenario(
            g, products, [n for n in nummers if n not in {p["ToewijzingNummer"] for p in products}]
        )
    client["ToegewezenProducten"] = {"ToegewezenProduct": products}
    return {"Header": g.from_gemeente("JW301"), "Client": client}


def _change_scenario(g: _Gen, products: list[Data], free: list[int]) -> None:
    """Turn one allocation into a realistic change inside the same 301 (spec §4.1):

    * delete + replace: the old number gets RedenWijziging 13 with Einddatum = Ingangsdatum, a
      new number takes over the same product and period (deleted allocations do not count for
      TR302, so the periods may coincide);
    * Omvang change: the old number ends the day before the change (RedenWijziging 05 or 12),
      the new one starts on that day with another Volume (IV093).
    """
    rng = g.rng
    candidates = [p for p in products if p.get("RedenWijziging") is None and "Omvang" in p]
    if not candidates or not free:
        return
    old = rng.choice(candidates)
    new = _copy(old)
    new["ToewijzingNummer"] = free[0]
    new.pop("ReferentieAanbieder", None)
    start, end = old["Ingangsdatum"], old.get("Einddatum")
    if rng.random() < 0.5:
        old["Einddatum"] = start
        old["RedenWijziging"] = "13"
    else:
        last = end if end is not None else start + timedelta(days=400)
        if last <= start:
            return
        change = _rand_date(rng, start + timedelta(days=1), last)
        old["Einddatum"] = change - timedelta(days=1)
        old["RedenWijziging"] = rng.choice(("05", "12"))
        new["Ingangsdatum"] = change
        lo, hi = _VOLUMES[new["Omvang"]["Eenheid"]]
        new["Omvang"] = {**new["Omvang"], "Volume": rng.randint(lo, hi)}
    products.insert(products.index(old) + 1, new)


def _start_stop_client(g: _Gen) -> Data:
    return {
        "Bsn": g.client_bsn(),
        "Geboortedatum": g.birth(youth=True),
        "Geslacht": g.rng.choice("012"),
        "Naam": g.short_name(),
    }


def _delivery(g: _Gen, keys: set[tuple[Any, ...]], *, stop: bool) -> Data:
    """A StartProduct/StopProduct with a key unique in the message (TR101), dates not after the
    Dagtekening (TR134) and, for a stop, Einddatum >= Begindatum (TR018)."""
    rng = g.rng
    out: Data = {}
    if g.chance(0.9):
        out["ToewijzingNummer"] = rng.randint(1, 999_999_999)
    if g.chance(0.8):
        cat = rng.choice(_CATEGORIES)
        out["Product"] = (
            {"Categorie": cat, "Code": g.product_code(cat)} if g.chance(0.7) else {"Categorie": cat}
        )
    begin = _rand_date(rng, max(EARLIEST, g.dag - timedelta(days=500)), g.dag)
    product = out.get("Product") or {}
    while (
        out.get("ToewijzingNummer"),
        product.get("Categorie"),
        product.get("Code"),
        begin,
    ) in keys:
        begin -= timedelta(days=1)  # taken: an earlier start keeps the key unique
    keys.add((out.get("ToewijzingNummer"), product.get("Categorie"), product.get("Code"), begin))
    if g.chance(0.5):
        out["ToewijzingIngangsdatum"] = _rand_date(rng, begin - timedelta(days=60), begin)
    out["Begindatum"] = begin
    if stop:
        out["RedenBeeindiging"] = rng.choice(SIMPLE_TYPES["LDT_RedenBeeindiging"].enum)
        out["Einddatum"] = _rand_date(rng, begin, g.dag)
    out["StatusAanlevering"] = "3" if g.chance(0.15) else "1"  # CS058
    return out


def _key(item: Data) -> tuple[Any, ...]:
    product = item.get("Product") or {}
    return (
        item.get("ToewijzingNummer"),
        product.get("Categorie"),
        product.get("Code"),
        item["Begindatum"],
    )


def _correction(g: _Gen, items: list[Data], keys: set[tuple[Any, ...]], *, stop: bool) -> None:
    """Sometimes a correction in one message (IV008, casus 4): delete an earlier delivery
    (StatusAanlevering 3) and deliver it anew with a corrected key element (1)."""
    if g.max_repeats < 2 or not g.chance(0.2):
        return
    rng = g.rng

    def full(item: Data) -> tuple[Any, ...]:  # the TR101 key (spec §7 Q5)
        return _key(item) + ((item["RedenBeeindiging"], item["Einddatum"]) if stop else ())

    old = items[0]
    old["StatusAanlevering"] = "3"
    new = _copy(old)
    new["StatusAanlevering"] = "1"
    for _ in range(20):
        if stop and rng.random() < 0.5:
            reasons = [
                r for r in SIMPLE_TYPES["LDT_RedenBeeindiging"].enum if r != old["RedenBeeindiging"]
            ]
            new["RedenBeeindiging"] = rng.choice(reasons)
        else:
            new["Begindatum"] = _rand_date(
                rng, old["Begindatum"] - timedelta(days=20), old["Begindatum"]
            )
            if stop:
                new["Einddatum"] = _rand_date(rng, new["Begindatum"], g.dag)
            if "ToewijzingIngangsdatum" in new:
                new["ToewijzingIngangsdatum"] = min(
                    new["ToewijzingIngangsdatum"], new["Begindatum"]
                )
        if full(new) not in {full(item) for item in items}:
            keys.add(_key(new))
            items.insert(1, new)
            return


def _jw305(g: _Gen) -> Data:
    keys: set[tuple[Any, ...]] = set()
    client = _start_stop_client(g)
    items = [_delivery(g, keys, stop=False) for _ in range(g.repeats())]
    _correction(g, items, keys, stop=False)
    client["StartProducten"] = {"StartProduct": items}
    return {"Header": g.from_aanbieder("JW305"), "Client": client}


def _jw307(g: _Gen) -> Data:
    keys: set[tuple[Any, ...]] = set()
    client = _start_stop_client(g)
    items = [_delivery(g, keys, stop=True) for _ in range(g.repeats())]
    _correction(g, items, keys, stop=True)
    client["StopProducten"] = {"StopProduct": items}
    return {"Header": g.from_aanbieder("JW307"), "Client": client}


def _verwijzer(g: _Gen) -> Data:
    """Verwijzer per CD066-CD068: types 02-05 carry exactly one of ZorgverlenerCode and Naam,
    the other types never a ZorgverlenerCode."""
    rng = g.rng
    soort = rng.choice(SIMPLE_TYPES["LDT_TypeVerwijzer"].enum)
    out: Data = {"Type": soort}
    naam = g.long_text(64) if g.edgy() else rng.choice(("Dr. A. Huisarts", "GI Noord", "J. Arts"))
    if soort in ("02", "03", "04", "05"):
        if g.chance(0.5):
            out["ZorgverlenerCode"] = f"{rng.randint(1_000_000, 99_999_999):08d}"
        else:
            out["Naam"] = naam
    elif g.chance(0.5):
        out["Naam"] = naam
    return out


def _jw315(g: _Gen) -> Data:
    rng = g.rng
    client: Data = {
        "Bsn": g.client_bsn(),
        "Geboortedatum": g.birth(youth=True),
        "Geslacht": rng.choice("012"),
        "Naam": g.short_name(),
    }
    if g.chance(0.3):
        client["GezagsdragerBekend"] = rng.choice("12")
    if g.chance(0.3):
        client["Commentaar"] = g.comment()
    planner = _Planner()
    refs: set[str] = set()
    products = []
    for _ in range(g.repeats()):
        o = g.order(
            planner,
            start_lo=max(EARLIEST, g.dag - timedelta(days=60)),
            start_hi=g.dag + timedelta(days=90),
        )
        ap: Data = {"ReferentieAanbieder": g.referentie(refs)}  # unique (TR383, TR101)
        beschikking = g.chance(0.4)  # BeschikkingNummer with BeschikkingIngangsdatum (CD043)
        if beschikking:
            ap["BeschikkingNummer"] = 999_999_999 if g.edgy() else rng.randint(1, 9_999_999)
        ap["Product"] = o["Product"]
        if beschikking:
            ap["BeschikkingIngangsdatum"] = _rand_date(rng, g.dag - timedelta(days=90), g.dag)
        ap["ToewijzingIngangsdatum"] = o["Begin"]
        ap["ToewijzingEinddatum"] = o["Eind"]
        ap["Omvang"] = o["Omvang"]
        ap["Budget"] = o["Budget"]
        ap["Verwijzer"] = _verwijzer(g)
        if g.chance(0.3):
            ap["Raamcontract"] = rng.choice("12")
        if g.chance(0.2):
            ap["Commentaar"] = g.comment()
        products.append(_clean(ap))
    client["AangevraagdeProducten"] = {"AangevraagdProduct": products}
    return {"Header": g.from_aanbieder("JW315"), "Client": client}


def _jw317(g: _Gen) -> Data:
    """A VOW with (Ongewijzigd or TeWijzigen) and (TeWijzigen or Nieuw) (TR352, TR353)."""
    rng = g.rng
    shape = rng.choice(("OT", "T", "ON", "TN", "OTN", "OT", "TN"))
    unique = _Unique(rng)
    nummers = [unique.new() for _ in range(2 * g.max_repeats)]  # unique (TR101)
    verzoek: Data = {
        "ReferentieAanbieder": g.referentie(set()),
        "RedenVerzoek": rng.choice("12"),
    }
    if "O" in shape:
        verzoek["OngewijzigdeProducten"] = {
            "OngewijzigdProduct": [{"ToewijzingNummer": nummers.pop()} for _ in range(g.repeats())]
        }
    if "T" in shape:
        items = []
        for _ in range(g.repeats()):
            tw: Data = {"ToewijzingNummer": nummers.pop()}
            start = _rand_date(
                rng, max(EARLIEST, g.dag - timedelta(days=180)), g.dag + timedelta(days=120)
            )
            tw["GewensteIngangsdatum"] = start
            what = rng.choice(("einde", "omvang", "budget", "omvang"))
            omvang = g.omvang() if what == "omvang" else None
            budget = g.amount(10_000, 5_000_000) if what == "budget" else None
            needs_end = budget is not None or (omvang is not None and omvang["Frequentie"] == "2")
            if needs_end or what == "einde" or g.chance(0.5):
                tw["Einddatum"] = start + timedelta(days=rng.choice((0, 30, 181, 365)))
            tw["Omvang"] = omvang
            tw["Budget"] = budget
            items.append(_clean(tw))
        verzoek["TeWijzigenProducten"] = {"TeWijzigenProduct": items}
    if "N" in shape:
        planner = _Planner()
        items = []
        for _ in range(g.repeats()):
            # GewensteIngangsdatum after the Dagtekening (TR380); no overlap (TR410)
            o = g.order(
                planner,
                start_lo=g.dag + timedelta(days=1),
                start_hi=g.dag + timedelta(days=120),
            )
            items.append(
                _clean(
                    {
                        "Product": o["Product"],
                        "GewensteIngangsdatum": o["Begin"],
                        "Einddatum": o["Eind"],
                        "Omvang": o["Omvang"],
                        "Budget": o["Budget"],
                    }
                )
            )
        verzoek["NieuweProducten"] = {"NieuwProduct": items}
    return {
        "Header": g.from_aanbieder("JW317"),
        "Client": {"Bsn": g.client_bsn(), "Verzoek": verzoek},
    }


def _jw319(g: _Gen) -> Data:
    """Antwoord per CD085/CD086 and TR377/TR409 (Woonplaatsbeginsel exactly with reason 8)."""
    rng = g.rng
    antwoord: Data = {"ReferentieAanbieder": g.referentie(set())}
    if g.chance(0.7):
        antwoord["VerzoekAntwoord"] = "1"
        reden = rng.choice(SIMPLE_TYPES["LDT_RedenAfwijzingVerzoek"].enum)
        antwoord["RedenAfwijzingVerzoek"] = reden
        if reden == "8":
            antwoord["Woonplaatsbeginsel"] = {
                "Gemeente": rng.choice([x for x in GEMEENTEN if x != g.gemeente])
            }
    else:
        antwoord["VerzoekAntwoord"] = "2"
    return {"Header": g.from_gemeente("JW319"), "Antwoord": antwoord}


# --------------------------------------------------------------------------- declarations


def _signed(bedrag: Data) -> int:
    value = bedrag.get("Bedrag", bedrag.get("TotaalBedrag"))
    return value if bedrag["DebetCredit"] == "D" else -value


def _total(value: int) -> Data:
    """CDT_TotaalBedragMetDC of a signed amount; zero carries D (CS325)."""
    return {"TotaalBedrag": abs(value), "DebetCredit": "C" if value < 0 else "D"}


def _prestatie_amounts(g: _Gen, eenheid: str, volume_hi: int | None = None) -> Data:
    """GeleverdVolume, Eenheid, ProductTarief and Bedrag: no tariff for Eenheid 83 (CD087) and
    then Bedrag = GeleverdVolume (CS339); otherwise Bedrag = GeleverdVolume x tariff (TR346)."""
    rng = g.rng
    lo, hi = _VOLUMES[eenheid]
    if volume_hi is not None:
        hi = max(lo, min(hi, volume_hi))
    if eenheid == "83":
        volume = rng.randint(lo, hi)
        if g.edgy():
            volume = rng.choice((0, 99_999_999))
        return {"GeleverdVolume": volume, "Eenheid": "83", "Bedrag": volume}
    tarief = rng.randint(*_TARIFFS[eenheid])
    volume = rng.randint(lo, hi)
    if g.edgy():
        tarief, volume = rng.choice(((1, 99_999_999), (99_999_999, 1), (tarief, 0)))
    volume = min(volume, 99_999_999 // max(tarief, 1))
    return {
        "GeleverdVolume": volume,
        "Eenheid": eenheid,
        "ProductTarief": tarief,
        "Bedrag": volume * tarief,
    }


def _prestatie(
    refnr: str,
    nummer: int,
    cat: str,
    code: str,
    begin: date,
    end: date,
    amounts: Data,
    credit_of: str | None = None,
) -> Data:
    ref: Data = {"ReferentieNummer": refnr}
    if credit_of is not None:
        ref["VorigReferentieNummer"] = credit_of  # CD060: exactly for credits
    out: Data = {
        "ProductReferentie": ref,
        "ToewijzingNummer": nummer,
        "ProductCategorie": cat,
        "ProductCode": code,
        "ProductPeriode": {"Begindatum": begin, "Einddatum": end},
        "GeleverdVolume": amounts["GeleverdVolume"],
        "Eenheid": amounts["Eenheid"],
    }
    if "ProductTarief" in amounts:
        out["ProductTarief"] = amounts["ProductTarief"]
    out["IngediendBedrag"] = {
        "Bedrag": amounts["Bedrag"],
        "DebetCredit": "C" if credit_of is not None else "D",
    }
    return out


def _declaratie(g: _Gen, clients: list[Data], periode: date, nummer: str) -> Data:
    """The Declaratie class around `clients`, total per TR358, DeclaratieDagtekening = the
    message's Dagtekening (TR134), the period a whole month (CS340)."""
    total = sum(
        _signed(p["IngediendBedrag"]) for c in clients for p in c["Prestaties"]["Prestatie"]
    )
    return {
        "DeclaratieNummer": nummer,
        "DeclaratiePeriode": {"Begindatum": month_start(periode), "Einddatum": month_end(periode)},
        "DeclaratieDagtekening": g.dag,
        "TotaalIngediendBedrag": _total(total),
        "Clienten": {"Client": clients},
    }


def _declaratienummer(g: _Gen) -> str:
    if g.edgy():
        return "".join(g.rng.choice("ABCXYZabcxyz0123456789") for _ in range(12))
    return f"{g.rng.choice(('D', 'DN', 'DECL', ''))}{g.rng.randint(1, 99_999_999)}"


def _jw323(
    g: _Gen,
    *,
    n_clients: int | None = None,
    n_prestaties: int | None = None,
    credit_fraction: float = 0.15,
    months_back: int = 3,
) -> Data:
    """A declaration: a whole-month DeclaratiePeriode from 2021 before the Dagtekening; product
    periods inside one month, not after the declaration month and from 2021 (CS337, TR319,
    CS100); one debet per allocation/product/period (TR416); credits refer to earlier debets
    outside this message (TR316) exactly once (TR315)."""
    rng = g.rng
    earliest_period = add_months(EARLIEST, months_back)
    if g.dag < add_months(earliest_period, 1):
        g.dag = _rand_date(rng, add_months(earliest_period, 1), add_months(earliest_period, 2))
    # the declaration month ends before the Dagtekening (TR137)
    last = add_months(g.dag, -1)
    periode = add_months(last, -rng.randint(0, 2))
    periode = max(periode, earliest_period)
    n_clients = n_clients or g.repeats()
    bsns: set[str] = set()
    refs = _RefCounter(g)
    debet_keys: set[tuple[Any, ...]] = set()
    numbers = _Unique(rng)
    clients = []
    for _ in range(n_clients):
        bsn = random_bsn(rng, test_range=g.chance(0.2), avoid=bsns)
        bsns.add(bsn)
        allocations = [
            (numbers.new(), cat, g.product_code(cat), rng.choice(tuple(_VOLUMES)))
            for cat in rng.sample(_CATEGORIES, rng.randint(1, 3))
        ]
        prestaties = []
        for _ in range(n_prestaties or g.repeats()):
            nummer, cat, code, eenheid = rng.choice(allocations)
            month = add_months(periode, -rng.randint(0, months_back))
            begin, end = month_start(month), month_end(month)
            if g.chance(0.2):  # allocation started or ended inside this month
                begin = _rand_date(rng, begin, end)
                end = _rand_date(rng, begin, end) if g.chance(0.5) else end
            amounts = _prestatie_amounts(g, eenheid)
            key = (nummer, cat, code, begin, end)
            credit = rng.random() < credit_fraction and amounts["Bedrag"] > 0
            if credit:
                # a credit of an earlier debet (a number not used in this message)
                prestaties.append(
                    _prestatie(refs.next(), nummer, cat, code, begin, end, amounts, refs.old())
                )
                if key not in debet_keys and g.chance(0.5):  # ... and the corrected debet
                    debet_keys.add(key)
                    amounts = _prestatie_amounts(g, eenheid)
                    prestaties.append(
                        _prestatie(refs.next(), nummer, cat, code, begin, end, amounts)
                    )
            elif key not in debet_keys:
                debet_keys.add(key)
                prestaties.append(_prestatie(refs.next(), nummer, cat, code, begin, end, amounts))
        if g.chance(0.15):
            # consecutive allocations of one product inside one month: one prestatie each (IV084)
            _, cat, code, eenheid = allocations[0]
            month = add_months(periode, -rng.randint(0, months_back))
            split = _rand_date(rng, month_start(month), month_end(month) - timedelta(days=1))
            for begin, end in (
                (month_start(month), split),
                (split + timedelta(days=1), month_end(month)),
            ):
                nummer = numbers.new()  # a fresh allocation: its debet key is new too
                debet_keys.add((nummer, cat, code, begin, end))
                prestaties.append(
                    _prestatie(
                        refs.next(), nummer, cat, code, begin, end, _prestatie_amounts(g, eenheid)
                    )
                )
        while not prestaties:
            nummer, cat, code, eenheid = numbers.new(), *allocations[0][1:]
            key = (nummer, cat, code, month_start(periode), month_end(periode))
            if key in debet_keys:
                continue
            debet_keys.add(key)
            prestaties.append(
                _prestatie(
                    refs.next(), nummer, cat, code, key[3], key[4], _prestatie_amounts(g, eenheid)
                )
            )
        clients.append({"Bsn": bsn, "Prestaties": {"Prestatie": prestaties}})
    return {
        "Header": g.from_aanbieder("JW323"),
        "Declaratie": _declaratie(g, clients, periode, _declaratienummer(g)),
    }


class _Unique:
    """Allocation numbers not used before in this message."""

    def __init__(self, rng: random.Random, used: set[int] | None = None) -> None:
        self.rng = rng
        self.used: set[int] = set(used or ())

    def new(self) -> int:
        n = self.rng.randint(1, 999_999_999)
        while n in self.used:
            n = n % 999_999_999 + 1
        self.used.add(n)
        return n


class _RefCounter:
    """Unique ReferentieNummers; credits point at numbers never used in this message."""

    def __init__(self, g: _Gen) -> None:
        self.prefix = g.rng.choice(("RN", "REF-", "", "P"))
        self.start = g.rng.randint(1, 10**6)
        self.n = 0
        self.old_n = 0
        self.long = g.edgy()

    def next(self) -> str:
        self.n += 1
        text = f"{self.prefix}{self.start + self.n}"
        return text.rjust(20, "0") if self.long else text

    def old(self) -> str:
        self.old_n += 1
        return f"OLD{self.start}-{self.old_n}"


def declaration_answer(
    jw323: Data,
    rng: random.Random,
    *,
    outcome: str | None = None,
    dagtekening: date | None = None,
    xsd_version: str | None = None,
) -> Data:
    """A JW325 answering `jw323` (IV087/IV088, spec §2.5).

    outcome: "header" (header-only rejection: 0001, 8848, 9056 or S300), "approved" (8001,
    Toegekend = Ingediend), "declaration" (9333/8214 on DeclaratieAntwoord, Toegekend 0) or
    "partial" (some prestaties rejected; TR342 holds).  Random when None.
    """
    fwd = jw323["Header"]
    decl = jw323["Declaratie"]
    g = _Gen(
        rng,
        dagtekening=dagtekening
        or fwd["BerichtIdentificatie"]["Dagtekening"] + timedelta(days=rng.randint(0, 14)),
        gemeente=fwd["Ontvanger"],
        aanbieder=fwd["Afzender"],
        xsd_version=xsd_version,
        edge=0.0,
    )
    outcome = outcome or rng.choice(("header", "approved", "declaration", "partial", "partial"))
    header: Data = {
        "BerichtCode": MESSAGES["JW325"].code,
        "BerichtVersie": 3,
        "BerichtSubversie": 2,
        "Afzender": fwd["Ontvanger"],
        "Ontvanger": fwd["Afzender"],
        "BerichtIdentificatie": {"Identificatie": g.ident(), "Dagtekening": g.dag},
        "XsdVersie": g.xsd_versie(),
        "DeclaratieIdentificatie": dict(fwd["BerichtIdentificatie"]),
    }
    if outcome == "header":
        code = rng.choice(_HEADER_REJECTIONS)
        if code == "0001":
            header["XsltVersie"] = "2.10.5"
        header["XsdVersieDeclaratie"] = dict(fwd["XsdVersie"])
        header["RetourCodes"] = {"RetourCode": [code]}
        return {"Header": header}
    header["XsdVersieDeclaratie"] = dict(fwd["XsdVersie"])
    header["RetourCodes"] = {"RetourCode": ["0200"]}
    ingediend = decl["TotaalIngediendBedrag"]
    answer: Data = {
        "DeclaratieNummer": decl["DeclaratieNummer"],
        "TotaalIngediendBedrag": dict(ingediend),
    }
    if outcome == "approved":
        answer["TotaalToegekendBedrag"] = dict(ingediend)
        answer["RetourCodes"] = {"RetourCode": ["8001"]}
    elif outcome == "declaration":
        answer["TotaalToegekendBedrag"] = _total(0)
        answer["RetourCodes"] = {"RetourCode": [rng.choice(("9333", "8214"))]}
    elif outcome == "partial":
        rejected = 0
        clients = []
        for client in decl["Clienten"]["Client"]:
            prestaties = client["Prestaties"]["Prestatie"]
            if rng.random() < 0.2:  # client-level rejection: every prestatie not assessed
                listed = [_with_codes(p, ["0233"]) for p in prestaties]
                client_codes = [rng.choice(("8187", "9338"))]
            else:
                listed = [
                    _with_codes(p, rng.sample(_CLASS_CODES["Prestatie"], rng.randint(1, 3)))
                    for p in prestaties
                    if rng.random() < 0.4
                ]
                client_codes = ["0200"]
            if listed:
                rejected += sum(_signed(p["IngediendBedrag"]) for p in listed)
                clients.append(
                    {
                        "Bsn": client["Bsn"],
                        "Prestaties": {"Prestatie": listed},
                        "RetourCodes": {"RetourCode": client_codes},
                    }
                )
        if not clients:
            first = decl["Clienten"]["Client"][0]
            p = first["Prestaties"]["Prestatie"][0]
            rejected = _signed(p["IngediendBedrag"])
            clients = [
                {
                    "Bsn": first["Bsn"],
                    "Prestaties": {"Prestatie": [_with_codes(p, ["9338"])]},
                    "RetourCodes": {"RetourCode": ["0200"]},
                }
            ]
        # TR342: sum of the listed prestaties = TotaalIngediend - TotaalToegekend
        answer["TotaalToegekendBedrag"] = _total(_signed(ingediend) - rejected)
        answer["Clienten"] = {"Client": clients}
        answer["RetourCodes"] = {"RetourCode": ["0200"]}
    else:
        raise ValueError(f"unknown JW325 outcome {outcome!r}")
    return {"Header": header, "DeclaratieAntwoord": answer}


def _with_codes(prestatie: Data, codes: list[str]) -> Data:
    return {**_copy(prestatie), "RetourCodes": {"RetourCode": list(codes)}}


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# --------------------------------------------------------------------------- retours


RETOUR_OUTCOMES = ("accepted", "header", "classes")


def retour_for(
    name: str,
    forward: Data,
    rng: random.Random,
    *,
    outcome: str | None = None,
    dagtekening_retour: date | None = None,
    xsd_version: str | None = None,
) -> Data:
    """The retour `name` (302, 306, 308, 316, 318, 320) on the forward message `forward` (IV028).

    The header is copied with the retour's BerichtCode and our own IdentificatieRetour,
    DagtekeningRetour and XsdVersieRetour.  outcome: "accepted" (no codes, no body), "header"
    (header-only rejection 0001 + XsltVersie, 8848, 9056 or S300) or "classes" (Header 0200 and
    the full forward body with RetourCodes on every class: an error code, 0200, or 0233 below a
    failed class).  Random when None.
    """
    if name not in FORWARD_OF or name == "JW325":
        raise ValueError(f"{name} is not a header-copy retour")
    fwd_header = forward["Header"]
    dag = fwd_header["BerichtIdentificatie"]["Dagtekening"]
    g = _Gen(rng, dagtekening=dag, xsd_version=xsd_version, edge=0.0)
    outcome = outcome or rng.choice(RETOUR_OUTCOMES)
    header = _copy(fwd_header)
    header["BerichtCode"] = MESSAGES[name].code
    header["IdentificatieRetour"] = g.ident()
    header["DagtekeningRetour"] = dagtekening_retour or dag + timedelta(days=rng.randint(0, 5))
    if outcome == "header":
        code = rng.choice(_HEADER_REJECTIONS)
        if code == "0001":
            header["XsltVersie"] = "2.10.5"
        header["XsdVersieRetour"] = g.xsd_versie()
        header["RetourCodes"] = {"RetourCode": [code]}
        return {"Header": header}
    if g.chance(0.2):
        header["XsltVersie"] = f"2.{rng.randint(0, 12)}.{rng.randint(0, 9)}"
    header["XsdVersieRetour"] = g.xsd_versie()
    if outcome == "accepted":
        return {"Header": header}
    if outcome != "classes":
        raise ValueError(f"unknown retour outcome {outcome!r}")
    header["RetourCodes"] = {"RetourCode": ["0200"]}
    schema = MESSAGES[name]
    out: Data = {"Header": header}
    body = [el for el in schema.types["Root"] if el.name != "Header" and el.name in forward]
    for attempt in range(20):
        failed: list[bool] = []
        force = attempt == 19  # last resort: reject the top class, nothing below assessed
        for el in body:
            data = _copy(forward[el.name])
            out[el.name] = _add_codes(schema, el.type, el.name, data, rng, force, failed)  # type: ignore[arg-type]
            if force:
                data["RetourCodes"] = {"RetourCode": [rng.choice(_CLASS_CODES[el.name])]}
        if any(failed) or force:
            break
    return out


def _add_codes(
    schema: Any,
    type_name: str,
    el_name: str,
    data: Data,
    rng: random.Random,
    below_failed: bool,
    failed: list[bool],
) -> Data:
    seq = resolve(schema, type_name)
    assert not isinstance(seq, Simple)
    names = {el.name for el in seq}
    fail_here = False
    if "RetourCodes" in names:
        if below_failed:
            codes = ["0233"]
        elif rng.random() < 0.3:
            pool = _CLASS_CODES.get(el_name, ("9019",))
            codes = rng.sample(pool, rng.randint(1, min(2, len(pool))))
            fail_here = True
            failed.append(True)
        else:
            codes = ["0200"]
        data["RetourCodes"] = {"RetourCode": codes}
    for el in seq:
        if el.name == "RetourCodes" or isinstance(el.type, Simple) or el.name not in data:
            continue
        target = resolve(schema, el.type)
        if isinstance(target, Simple):
            continue
        value = data[el.name]
        items = value if isinstance(value, list) else [value]
        done = [
            _add_codes(schema, el.type, el.name, item, rng, below_failed or fail_here, failed)
            for item in items
        ]
        data[el.name] = done if isinstance(value, list) else done[0]
    return data


# --------------------------------------------------------------------------- public API

_FORWARD_BUILDERS = {
    "JW301": _jw301,
    "JW305": _jw305,
    "JW307": _jw307,
    "JW315": _jw315,
    "JW317": _jw317,
    "JW319": _jw319,
}


def random_message(name: str, rng: random.Random, **options: Any) -> Data:
    """One valid, level-2-clean message of type `name` as model-shaped data.

    Options for every type:
      dagtekening (date): the message's Dagtekening (default: random in 2022-03..2026-06; use
        2021-05 or later: a JW323 needs earlier whole months from 2021 and moves it otherwise);
      gemeente (4 digits), aanbieder (8 digits): the parties (default: random);
      max_repeats (int, default 4): upper bound for the randomly drawn 1..n repeats (scenarios
        such as a correction pair or a credit with its corrected debet may add a few classes);
      edge (float 0..1, default 0.1): chance that a value is an edge case (maximum lengths and
        values, mixed scripts and non-BMP characters, leading zeros, ...);
      xsd_version (str "n.n.n"): XsdVersie values (default: mostly the schemas' 0.1.0, or 1.0.0);
      bsn (str): fix the client's BSN (forward messages with one client).
    JW323: n_clients, n_prestaties (per client), credit_fraction (default 0.15), months_back.
    Retours and JW325: outcome (see `retour_for` / `declaration_answer`); the forward message is
      generated with the same options first.
    """
    if name not in MESSAGES:
        raise ValueError(f"unknown message type {name!r}")
    common = {
        k: options.pop(k)
        for k in (
            "dagtekening",
            "gemeente",
            "aanbieder",
            "max_repeats",
            "edge",
            "xsd_version",
            "bsn",
        )
        if k in options
    }
    if name == "JW325":
        outcome = options.pop("outcome", None)
        jw323 = random_message("JW323", rng, **common, **options)
        return declaration_answer(
            jw323, rng, outcome=outcome, xsd_version=common.get("xsd_version")
        )
    if name in FORWARD_OF:
        outcome = options.pop("outcome", None)
        forward = random_message(FORWARD_OF[name], rng, **common, **options)
        return retour_for(
            name, forward, rng, outcome=outcome, xsd_version=common.get("xsd_version")
        )
    g = _Gen(rng, **common)
    if name == "JW323":
        allowed = {"n_clients", "n_prestaties", "credit_fraction", "months_back"}
        unknown = set(options) - allowed
        if unknown:
            raise TypeError(f"unknown option(s) for JW323: {sorted(unknown)}")
        return _jw323(g, **options)
    if options:
        raise TypeError(f"unknown option(s) for {name}: {sorted(options)}")
    return _FORWARD_BUILDERS[name](g)


def random_xml(name: str, rng: random.Random, **options: Any) -> bytes:
    """`random_message` rendered to bytes."""
    return render(name, random_message(name, rng, **options))


def iter_messages(
    name: str, count: int, *, seed: int = 0, **options: Any
) -> Iterable[tuple[int, Data]]:
    """`count` messages of type `name` from consecutive seeds (seed, seed+1, ...)."""
    for i in range(count):
        yield seed + i, random_message(name, random.Random(seed + i), **options)


# --------------------------------------------------------------------------- benchmarks


@dataclass(frozen=True)
class ProductTariff:
    """One contracted product of a benchmark bundle: its unit and tariff (None for 83)."""

    categorie: str
    code: str
    eenheid: str
    tarief: int | None


@dataclass(frozen=True)
class Allocation:
    """An allocation (ToegewezenProduct) a generated declaration declares on.

    Amounts in eurocents.  `tarief` is the contract tariff per Eenheid used in the declaration
    (None for Eenheid 83, where GeleverdVolume is the amount).
    """

    toewijzingnummer: int
    bsn: str
    gemeente: str
    aanbieder: str
    categorie: str
    code: str
    ingangsdatum: date
    einddatum: date | None
    volume: int
    eenheid: str
    frequentie: str
    tarief: int | None
    toewijzingsdatum: date
    toewijzingstijd: time

    def as_toegewezen_product(self) -> Data:
        """This allocation as a JW301 ToegewezenProduct (model shape)."""
        out: Data = {
            "ToewijzingNummer": self.toewijzingnummer,
            "Product": {"Categorie": self.categorie, "Code": self.code},
            "Toewijzingsdatum": self.toewijzingsdatum,
            "Toewijzingstijd": self.toewijzingstijd,
            "Ingangsdatum": self.ingangsdatum,
        }
        if self.einddatum is not None:
            out["Einddatum"] = self.einddatum
        out["Omvang"] = {
            "Volume": self.volume,
            "Eenheid": self.eenheid,
            "Frequentie": self.frequentie,
        }
        return out


@dataclass
class DeclarationBundle:
    """A JW323 (model shape), the allocations its prestaties refer to and the contracted
    products (one unit and tariff per code) they are priced with."""

    declaration: Data
    allocations: list[Allocation]
    products: list[ProductTariff] = field(default_factory=list)

    @property
    def n_prestaties(self) -> int:
        return sum(
            len(c["Prestaties"]["Prestatie"])
            for c in self.declaration["Declaratie"]["Clienten"]["Client"]
        )

    def xml(self) -> bytes:
        """The declaration rendered (UTF-8, CR/LF)."""
        return render("JW323", self.declaration)

    def allocation_messages(self, rng: random.Random | None = None) -> list[Data]:
        """One JW301 per client carrying that client's allocations (for loading them through
        the allocation flow); valid and level-2 clean like every generated JW301."""
        rng = rng or random.Random(0)
        by_bsn: dict[str, list[Allocation]] = {}
        for a in self.allocations:
            by_bsn.setdefault(a.bsn, []).append(a)
        out = []
        for bsn, allocs in by_bsn.items():
            first = allocs[0]
            dag = max(a.toewijzingsdatum for a in allocs)
            msg = random_message(
                "JW301",
                rng,
                dagtekening=dag,
                gemeente=first.gemeente,
                aanbieder=first.aanbieder,
                bsn=bsn,
                edge=0.0,
            )
            msg["Client"]["ToegewezenProducten"] = {
                "ToegewezenProduct": [a.as_toegewezen_product() for a in allocs]
            }
            out.append(msg)
        return out


# Units and frequencies used for benchmark allocations: every prestatie of at most the
# allocation's Volume then stays within TR321/TR322 (see spec §4.5).
_BENCH_FREQUENCIES: dict[str, tuple[str, ...]] = {
    "04": ("2", "4"),
    "01": ("1", "4"),
    "16": ("2",),
    "14": ("4",),
    "84": ("4",),
    "82": ("4",),
    "83": ("4",),
}


def _bench_catalogue(rng: random.Random, codes_per_category: int = 4) -> list[ProductTariff]:
    """A contract-like product list: every code has one unit and one tariff (TR341, TR418)."""
    out = []
    for cat in _CATEGORIES:
        for i in range(codes_per_category):
            eenheid = rng.choice(tuple(_BENCH_FREQUENCIES))
            tarief = None if eenheid == "83" else rng.randint(*_TARIFFS[eenheid])
            out.append(ProductTariff(cat, f"{cat}B{i + 1:02d}", eenheid, tarief))
    return out


def declaration_with_allocations(
    n_prestaties: int,
    *,
    seed: int = 0,
    n_clients: int | None = None,
    periode: date = date(2025, 5, 1),
    gemeente: str = "0363",
    aanbieder: str = "12345678",
    months: int = 3,
    first_toewijzingnummer: int = 1_000_000,
) -> DeclarationBundle:
    """A JW323 with exactly `n_prestaties` debet prestaties and the allocations they use.

    Clients default to n_prestaties / 4.  Products come from a contract-like list (96 codes,
    one unit and tariff each: `bundle.products`).  Each client has 1-3 specific allocations
    (distinct codes, a frequency that fits the unit) covering the declared months.  Each
    prestatie is one allocation x one month of the `months` months up to `periode` (the
    DeclaratiePeriode), clipped to the allocation (TR387/TR388), with GeleverdVolume <= the
    allocation's Volume (TR321, TR322) and IngediendBedrag = GeleverdVolume x the code's
    tariff (TR346/TR418).  The Dagtekening is in the month after `periode`.  Level-2 clean; on a
    fresh store holding these allocations and products every prestatie should be approved.
    """
    if n_prestaties < 1:
        raise ValueError("n_prestaties must be at least 1")
    rng = random.Random(seed)
    periode = month_start(periode)
    first_month = add_months(periode, -(months - 1))
    if first_month < EARLIEST:
        raise ValueError("declared months must start in 2021 or later (CS100)")
    dag = add_months(periode, 1) + timedelta(days=rng.randint(0, 9))
    g = _Gen(
        rng,
        dagtekening=dag,
        gemeente=gemeente,
        aanbieder=aanbieder,
        edge=0.0,
        xsd_version=BASIS_XSD_VERSION,
    )
    n_clients = max(1, min(n_prestaties, n_clients or (n_prestaties + 3) // 4))
    per_client = [n_prestaties // n_clients] * n_clients
    for i in range(n_prestaties % n_clients):
        per_client[i] += 1
    month_list = [add_months(first_month, i) for i in range(months)]
    catalogue = _bench_catalogue(rng)
    allocations: list[Allocation] = []
    clients = []
    bsns: set[str] = set()
    nummer = first_toewijzingnummer
    refnr = 0
    for count in per_client:
        bsn = random_bsn(rng, avoid=bsns)
        bsns.add(bsn)
        m = min(months, rng.randint(1, months), count)
        n_alloc = -(-count // m)
        declared = month_list[-m:]
        # distinct codes per client: its allocations may overlap in time (TR302)
        chosen = rng.sample(catalogue, min(n_alloc, len(catalogue)))
        client_allocs = []
        for i in range(n_alloc):
            product = chosen[i % len(chosen)]
            cat, code, eenheid = product.categorie, product.code, product.eenheid
            freq = rng.choice(_BENCH_FREQUENCIES[eenheid])
            lo, hi = _VOLUMES[eenheid]
            volume = rng.randint(max(lo, 1), hi)
            start = declared[0]
            if rng.random() < 0.3:  # started inside the first declared month
                start = _rand_date(rng, start, month_end(start) - timedelta(days=3))
            elif rng.random() < 0.5:
                start = add_months(start, -rng.randint(1, 12))
            end: date | None = None
            if freq == "2" or rng.random() < 0.6:  # per week needs an end (CD076)
                end = month_end(add_months(declared[-1], rng.randint(0, 12)))
                if rng.random() < 0.2 and end > month_end(declared[-1]):
                    end = end - timedelta(days=rng.randint(0, 20))
            tarief = product.tarief
            toewijzingsdatum = min(start, dag) - timedelta(days=rng.randint(0, 30))
            alloc = Allocation(
                toewijzingnummer=nummer,
                bsn=bsn,
                gemeente=gemeente,
                aanbieder=aanbieder,
                categorie=cat,
                code=code,
                ingangsdatum=start,
                einddatum=end,
                volume=volume,
                eenheid=eenheid,
                frequentie=freq,
                tarief=tarief,
                toewijzingsdatum=toewijzingsdatum,
                toewijzingstijd=time(rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59)),
            )
            nummer += 1
            client_allocs.append(alloc)
        allocations.extend(client_allocs)
        prestaties = []
        pairs = [(a, mo) for a in client_allocs for mo in declared][:count]
        for alloc, mo in pairs:
            begin = max(mo, alloc.ingangsdatum)
            end_p = (
                month_end(mo) if alloc.einddatum is None else min(month_end(mo), alloc.einddatum)
            )
            cap = alloc.volume if alloc.frequentie != "6" else max(1, alloc.volume // months)
            volume = rng.randint(max(1, cap // 2), cap)
            if alloc.tarief is None:
                amounts: Data = {"GeleverdVolume": volume, "Eenheid": "83", "Bedrag": volume}
            else:
                volume = min(volume, 99_999_999 // alloc.tarief)
                amounts = {
                    "GeleverdVolume": volume,
                    "Eenheid": alloc.eenheid,
                    "ProductTarief": alloc.tarief,
                    "Bedrag": volume * alloc.tarief,
                }
            refnr += 1
            prestaties.append(
                _prestatie(
                    f"B{seed}-{refnr:07d}",
                    alloc.toewijzingnummer,
                    alloc.categorie,
                    alloc.code,
                    begin,
                    end_p,
                    amounts,
                )
            )
        clients.append({"Bsn": bsn, "Prestaties": {"Prestatie": prestaties}})
    declaration = {
        "Header": g.from_aanbieder("JW323"),
        "Declaratie": _declaratie(g, clients, periode, f"BENCH{seed}"[:12]),
    }
    used = {a.code for a in allocations}
    return DeclarationBundle(declaration, allocations, [p for p in catalogue if p.code in used])


def big_declaration(n_prestaties: int, *, seed: int = 0, **options: Any) -> bytes:
    """A rendered JW323 with `n_prestaties` prestaties (see `declaration_with_allocations` for
    the options and for the allocations it declares on).  About 960 bytes per prestatie:
    26,000 prestaties make about 24.9 MB, within the 25 MiB intake limit (OP179)."""
    return declaration_with_allocations(n_prestaties, seed=seed, **options).xml()
