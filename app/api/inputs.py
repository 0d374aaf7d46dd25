"""What every JSON request body is built from: strict models (an unknown field is an error, so
a typo never silently changes nothing) and text the XML layer can carry."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict

# XML 1.0 cannot carry these: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/FFFF.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(value: str) -> str:
    """Refuse text an iJw message cannot carry (NUL, control characters, lone surrogates)."""
    found = _NOT_XML.search(value)
    if found:
        raise ValueError(
            f"character U+{ord(found.group()):04X} at position {found.start()} cannot be carried "
            "in an iJw message"
        )
    return value


Text = Annotated[str, AfterValidator(xml_safe)]


def _xml_safe_tree(value: Any) -> Any:
    if isinstance(value, str):
        xml_safe(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            xml_safe(str(key))
            _xml_safe_tree(item)
    elif isinstance(value, list):
        for item in value:
            _xml_safe_tree(item)
    return value


MessageData = Annotated[dict[str, Any], AfterValidator(_xml_safe_tree)]
"""Part of a message in the parsed-model shape (element names as keys), e.g. Client data."""


class Strict(BaseModel):
    """A request body: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date_text(value: Any) -> Any:
    """Only YYYY-MM-DD text is a date here (pydantic would also take numbers as timestamps)."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is written YYYY-MM-DD")
    if isinstance(value, int | float):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
"""A date as the OpenAPI document says: `format: date`, written YYYY-MM-DD."""
