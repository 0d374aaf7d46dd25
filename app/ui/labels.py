"""Dutch words for the codes and states the pages show (code stays English, people read Dutch).

Code-list values are written as short labels of our own; the rule texts come from the rule
catalogue (`app.ijw.rules.catalogue`), so a decision is always explained by the rule itself.
"""

from __future__ import annotations

from app.accounts.store import CASE_WORKER, CONTRACT_MANAGER, READ_ONLY
from app.ijw.rules.catalogue import RULES

ROLES = {
    READ_ONLY: "Alleen lezen",
    CASE_WORKER: "Behandelaar",
    CONTRACT_MANAGER: "Contractbeheerder",
}

ALLOCATION_STATES = {
    "sent": "Verstuurd, wacht op retour",
    "acknowledged": "Ontvangst bevestigd",
    "rejected": "Afgekeurd door aanbieder",
    "started": "Zorg gestart",
    "stopped": "Zorg gestopt",
    "ended": "Afgelopen",
    "withdrawn": "Ingetrokken",
    "deleted": "Verwijderd",
    "undelivered": "Niet afgeleverd (GGk)",
}

VERSION_STATUS = {"sent": "Wacht op JW302", "accepted": "Geaccepteerd", "rejected": "Afgekeurd"}

REQUEST_STATES = {
    "pending": "Open",
    "in_onderzoek": "In onderzoek",
    "honoured": "Toegewezen",
    "rejected": "Afgewezen",
}

REQUEST_KINDS = {"VOT": "Verzoek om toewijzing", "VOW": "Verzoek om wijziging"}

DUE_KINDS = {
    "verzoek_besluit": "Besluit op verzoek",
    "verzoek_onderzoek": "Definitief besluit na onderzoek",
    "retour_302": "Aanbieder moet toewijzing bevestigen (JW302)",
    "retour_320": "Aanbieder moet antwoord bevestigen (JW320)",
}

DECLARATION_STATES = {
    "accepted": "Volledig goedgekeurd",
    "partially_accepted": "Deels goedgekeurd",
    "rejected": "Afgekeurd",
}

LINE_STATES = {
    "approved": "Goedgekeurd",
    "rejected": "Afgekeurd",
    "not_assessed": "Niet beoordeeld",
}

VERDICTS = {
    "accepted": "Geaccepteerd",
    "partially_accepted": "Deels geaccepteerd",
    "rejected": "Afgekeurd",
    "refused": "Geweigerd (niet ontvangen)",
    "sent": "Verstuurd",
    "pending": "In behandeling",
}

DELIVERY_STATES = {"active": "Loopt", "temp_stopped": "Tijdelijk gestopt", "stopped": "Gestopt"}

MESSAGE_TYPES = {
    "JW301": "Toewijzing",
    "JW302": "Retour toewijzing",
    "JW305": "Start zorg",
    "JW306": "Retour start zorg",
    "JW307": "Stop zorg",
    "JW308": "Retour stop zorg",
    "JW315": "Verzoek om toewijzing",
    "JW316": "Retour verzoek om toewijzing",
    "JW317": "Verzoek om wijziging",
    "JW318": "Retour verzoek om wijziging",
    "JW319": "Antwoord op verzoek",
    "JW320": "Retour antwoord op verzoek",
    "JW323": "Declaratie",
    "JW325": "Declaratie-antwoord",
}

# WJ759: why a request is rejected
REJECTION_REASONS = {
    "1": "Geen wijziging maar een nieuwe aanvraag",
    "2": "Past niet binnen het budget",
    "3": "Geen contract",
    "4": "Past niet binnen het contract",
    "5": "Andere gemeente",
    "6": "Stapeling",
    "7": "Zorginhoudelijke afwijzing",
    "8": "Woonplaatsbeginsel (andere gemeente verantwoordelijk)",
    "9": "Leeftijdsgrens bereikt",
}

# JZ002: why an allocation changes (01 is never used, CS336)
CHANGE_REASONS = {
    "02": "Cliënt overleden",
    "03": "Contractwijziging",
    "04": "Verlenging na herbeoordeling",
    "05": "Verkorting na herbeoordeling",
    "06": "Uitstroom naar ander domein (Wmo, Zvw, Wlz)",
    "07": "Verhuisd naar andere gemeente",
    "08": "Overstap naar pgb",
    "09": "Overstap naar andere aanbieder",
    "10": "Nieuwe bekostiging",
    "11": "Gemeentelijke herindeling",
    "12": "Op verzoek van de aanbieder",
    "13": "Verwijderd (ten onrechte verstuurd)",
    "14": "Administratieve correctie of intrekking",
}

# JZ588: why care stopped
STOP_REASONS = {
    "02": "Overlijden",
    "20": "Tijdelijk gestopt",
    "31": "Volgens plan beëindigd",
    "32": "Voortijdig gestopt door cliënt",
    "33": "Voortijdig gestopt door aanbieder",
    "34": "Voortijdig gestopt in overleg",
    "35": "Voortijdig gestopt, externe oorzaak",
    "36": "Op initiatief van de gemeente",
    "37": "Na een verzoek om wijziging",
    "38": "Overstap naar andere aanbieder",
    "39": "Uitstroom naar ander domein",
}

# WJ756
UNITS = {
    "01": "minuten",
    "04": "uren",
    "14": "etmalen",
    "16": "dagdelen",
    "82": "stuks (output)",
    "83": "euro",
    "84": "stuks (inspanning)",
}

# WMO757
FREQUENCIES = {"1": "per dag", "2": "per week", "4": "per maand", "6": "in totaal"}

# JZ020, the categories in use
CATEGORIES = {
    "40": "Persoonlijke verzorging",
    "41": "Dagbehandeling",
    "42": "Vervoer",
    "43": "Verblijf met behandeling",
    "44": "Verblijf zonder behandeling",
    "45": "Ambulante jeugdhulp",
    "46": "Crisis",
    "47": "Jeugdreclassering",
    "48": "Jeugdbescherming",
    "49": "Preventief justitieel kader",
    "50": "Maatwerkarrangementen",
    "51": "Basis-ggz",
    "52": "Specialistische ggz",
    "53": "Kindergeneeskunde",
    "54": "Jeugd-ggz",
    "55": "Landelijk ingekocht",
}

# The codes of checks that are not iJw rules: the back office's own refusals and warnings.
CHECKS = {
    "CEILING_EXCEEDED": "Het harde budgetplafond wordt overschreden",
    "SPENDING_ROOM_EXCEEDED": "De bestedingsruimte wordt overschreden",
    "CLIENT_REQUIRED": "Deze cliënt is nog niet bekend bij de aanbieder: vul de cliëntgegevens in",
    "IB010": "Deze aanbieder is niet bekend bij deze dienst",
    "INVALID_ALLOCATION": "De toewijzing is niet volledig",
    "OP087": "Een lopende toewijzing ontbreekt in het bericht",
}


def rule_text(rule: str | None) -> str:
    """The rule catalogue's summary of a rule (English, as the catalogue keeps it)."""
    meta = RULES.get(rule or "")
    return meta.summary if meta is not None else ""


def category(code: str | None) -> str:
    """'45 Ambulante jeugdhulp' for a JZ020 category (the bare code when unknown)."""
    if not code:
        return ""
    name = CATEGORIES.get(code)
    return f"{code} {name}" if name else code
