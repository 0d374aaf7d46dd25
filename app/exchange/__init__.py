"""The generic exchange pipeline: parties, the message log, feeds, intake and the outbound path.

It knows no flow: flows plug in through `app.exchange.flow` (wired by `app.bootstrap`).
"""
