"""The one builder of the header of a forward message we (or a test, or the harness) write.

Retours copy the forward header instead (IV028, `app.ijw.retour`); the JW325 builds its own
from the JW323 (IV087).  Versions are ours (spec §2.1, §7 Q7): the schemas' appinfo unless
configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from app.ijw.catalogue.xsd_model import BASIS_XSD_VERSION, MESSAGES

BERICHT_VERSIE = 3
BERICHT_SUBVERSIE = 2


@dataclass(frozen=True)
class Versions:
    """What we write as our own versions (spec §2.1, §7 Q7): appinfo unless configured."""

    xsd: str | None = None  # overrides both BasisschemaXsdVersie and BerichtXsdVersie
    xslt: str | None = None  # XsltVersie is only written when configured

    def xsd_block(self, message: str) -> dict[str, str]:
        """The XsdVersie block of one of our messages."""
        return {
            "BasisschemaXsdVersie": self.xsd or BASIS_XSD_VERSION,
            "BerichtXsdVersie": self.xsd or MESSAGES[message].xsd_version,
        }


def forward_header(
    kind: str,
    sender: str,
    receiver: str,
    identificatie: str,
    dagtekening: date,
    versions: Versions = Versions(),
) -> dict[str, Any]:
    """The Header of a forward message `kind` (JW301, JW305, ...) in the parsed-model shape
    (forward headers carry no XsltVersie)."""
    return {
        "BerichtCode": MESSAGES[kind].code,
        "BerichtVersie": BERICHT_VERSIE,
        "BerichtSubversie": BERICHT_SUBVERSIE,
        "Afzender": sender,
        "Ontvanger": receiver,
        "BerichtIdentificatie": {"Identificatie": identificatie, "Dagtekening": dagtekening},
        "XsdVersie": versions.xsd_block(kind),
    }
