"""Structured logs are JSON lines and never carry a BSN."""

import json
import logging

from app.logging import JsonFormatter, mask
from testkit import messages as m


def test_mask_hides_nine_digit_numbers():
    assert mask("bsn 123456782 in text") == "bsn ********* in text"
    assert mask("agb 12345678 stays") == "agb 12345678 stays"


def test_formatter_masks_message_and_extras():
    record = logging.makeLogRecord(
        {
            "msg": "client %s",
            "args": ("999993653",),
            "name": "ijw",
            "levelname": "INFO",
            "detail": "bsn=999993653",
        }
    )
    out = json.loads(JsonFormatter().format(record))
    assert "999993653" not in json.dumps(out) and out["level"] == "info"


def test_processing_a_message_logs_no_bsn(api, caplog):
    api.add_party("gemeente", "0363")
    token = api.add_party("aanbieder", "12345678")
    client_bsn = m.bsn(7)
    caplog.set_level(logging.INFO, logger="ijw")
    api.post(token, m.xml("JW305", m.jw305_for("12345678", "0363", "L1", client_bsn=client_bsn)))
    formatted = [JsonFormatter().format(r) for r in caplog.records]
    assert formatted and all(client_bsn not in line for line in formatted)
