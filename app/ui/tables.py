"""A table is shown once and downloaded as CSV from the same rows, so both always agree.

CSV is written for a Dutch spreadsheet: `;` between fields, a decimal comma, amounts in euros,
UTF-8 with a byte-order mark (so accented names open correctly).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.ui import format as fmt

# column kinds: text | euro (cents) | int | pct (float) | month (YYYY-MM) | date (ISO)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"


@dataclass(frozen=True)
class Table:
    """Rows of dicts with the columns to show; `key` names its CSV download."""

    key: str
    title: str
    columns: Sequence[Column]
    rows: list[dict[str, Any]]
    caption: str = ""

    def cell(self, row: dict[str, Any], column: Column) -> str:
        """The value as the page shows it."""
        value = row.get(column.key)
        if value is None:
            return "–"
        if column.kind == "euro":
            return fmt.euro(int(value))
        if column.kind == "int":
            return fmt.thousands(int(value))
        if column.kind == "pct":
            return fmt.percentage(float(value))
        if column.kind == "month":
            return fmt.month(str(value))
        if column.kind == "date":
            return fmt.datum(str(value))
        return str(value)

    def csv(self) -> bytes:
        """The same rows as CSV (amounts in euros with a decimal comma)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.label + (" (€)" if c.kind == "euro" else "") for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_value(row.get(c.key), c.kind) for c in self.columns])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _csv_value(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "euro":
        cents = int(value)
        sign = "-" if cents < 0 else ""
        return f"{sign}{abs(cents) // 100},{abs(cents) % 100:02d}"
    if kind == "pct":
        return f"{float(value):.1f}".replace(".", ",")
    return str(value)
