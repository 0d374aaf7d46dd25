"""Shared fixtures.  Third-party reference material stays in ../shared and is read at test time;
tests that need it skip with a reason when it is absent (a fresh clone of the project alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path((ROOT / ".." / "shared").resolve())
SHARED_REASON = "needs the shared reference material in ../shared (iJw XSDs, examples, corpus)"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, skipping the calling test when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{SHARED_REASON}: {path} is absent")
    return path


@pytest.fixture
def official_xsd_dir() -> Path:
    return shared_path("ijw", "xsd")


@pytest.fixture
def examples_dir() -> Path:
    return shared_path("ijw", "examples")


@pytest.fixture
def corpus_dir() -> Path:
    return shared_path("ijw-corpus")
