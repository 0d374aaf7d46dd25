"""Tests of the level-2 rules (issue 3)."""
