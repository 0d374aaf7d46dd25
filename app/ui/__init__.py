"""The web interface for municipal staff under /ui: server-rendered pages in Dutch, signed in per
user, built on the same services and stores as the API."""
