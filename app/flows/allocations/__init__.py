"""Allocations (JW301 ours, JW302 the provider's verdict): tables, store, flows and planning."""
