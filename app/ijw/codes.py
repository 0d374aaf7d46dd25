"""Code-list values the rules compare against, named once (the lists themselves are XSD
enumerations in `app.ijw.catalogue.xsd_model`)."""

from __future__ import annotations

# WJ756 Eenheid
MINUTES = "01"
HOURS = "04"
OUTPUT_PIECES = "82"  # stuks (output)
EURO = "83"

# JZ002 RedenWijziging
OBSOLETE_CORRECTION = "01"  # administrative correction, obsolete (CS336)
DELETED = "13"  # deleted, treated as never issued (CS335: Einddatum = Ingangsdatum)

# JZ588 RedenBeeindiging
TEMPORARY_STOP = "20"
