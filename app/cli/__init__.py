"""The `ijw` command line, one module per command group (run through `app.bootstrap.main`)."""
