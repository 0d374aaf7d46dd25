"""Test support outside the app: message builders, random message generators (samples) and
hypothesis strategies.  Used by the tests and the benches; `app` never imports it."""
