"""Requests (VOT JW315, VOW JW317) and our answers (JW319): tables, store and flows."""
