"""Structured (JSON line) logs.  They never contain a BSN: we log ids, types and party codes
only, and a filter masks any 9-digit number that slips into a message anyway."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
# uvicorn adds a `color_message` with ANSI escapes: never part of a JSON line.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def mask(text: str) -> str:
    """Replace anything shaped like a BSN."""
    return _NINE_DIGITS.sub("*********", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": _ANSI.sub("", mask(record.getMessage())),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = mask(value) if isinstance(value, str) else value
        if record.exc_info:
            data["error"] = mask(self.formatException(record.exc_info))
        return json.dumps(data, default=str)


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


def configure(level: str = "INFO") -> None:
    """Send JSON lines to stderr for the `ijw` loggers and uvicorn (IJW_LOG_LEVEL sets the
    level).  The access log is ours (`ijw.access`, one line per request with its request id);
    uvicorn's own access log is off."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("ijw", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    logging.getLogger("uvicorn.access").disabled = True
