"""The GGk channel as the service holds it: settings, the inbound side and the delivery worker."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.ggk.config import GgkSettings
from app.ggk.delivery import Deliverer, Worker
from app.ggk.inbound import GgkInbound


@dataclass
class Ggk:
    """Built once by the composition root; `start`/`stop` run the delivery worker in-process."""

    settings: GgkSettings
    inbound: GgkInbound
    deliverer: Deliverer
    deliver_in_background: bool = True
    _worker: Worker | None = field(default=None, init=False)

    def start(self) -> None:
        """Start delivering in a background thread when a GGk endpoint is configured."""
        if self.settings.url and self.deliver_in_background and self._worker is None:
            self._worker = Worker(self.deliverer)
            self._worker.start()

    def stop(self) -> None:
        """Stop the background delivery (the current attempt finishes first)."""
        if self._worker is not None:
            self._worker.stop()
            self._worker = None
        self.deliverer.close()
