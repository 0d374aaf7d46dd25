"""Deliveries: the start (JW305) and stop (JW307) of care; tables, store and flows."""
