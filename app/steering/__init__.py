"""Steering information for gemeenten and purchasing organisations: reports, the payment
export with its paid status, and alerts (webhook + back-office list)."""
