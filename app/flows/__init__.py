"""One package per message flow, each owning its tables (`models`), its store (the only code on
those tables), its flows and its cross-message rules.  Flows of one package use another only
through that package's store (and the extension points of `app.exchange.flow`)."""
