"""Budget: ceilings (committed and spent money, forecast, the hard/soft check), financing models
beyond p x q (no stacking of profile products) and the automatic handling of requests."""
