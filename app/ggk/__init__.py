"""The GGk channel: the StUF-GGk envelope (ggk0210 Di01/Du01, Fo01) over SOAP 1.1, inbound and
outbound with a durable outbox (docs/ggk.md).  Above the exchange; the exchange never imports it."""
