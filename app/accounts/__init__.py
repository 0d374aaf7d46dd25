"""People who sign in to the web interface: users of a gemeente or region administrators, their
sessions and the audit trail of what they did (the only code on the ui_* tables)."""
