"""Declarations (JW323 -> JW325): tables, the ledger store, the pure rules and the flow."""
