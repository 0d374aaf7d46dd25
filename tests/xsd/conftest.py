"""Fixtures of the differential XSD tests (official schemas come from ../shared at test time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.xsd.support import compiled


@pytest.fixture(scope="session")
def official_dir() -> Path:
    """The official iJw 3.2 XSD folder, compiled once (skips when ../shared is absent)."""
    folder = shared_path("ijw", "xsd")
    compiled(folder)
    return folder
