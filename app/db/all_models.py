"""Import every model module so Base.metadata knows all tables (used by Alembic and tests)."""

from app.db import (
    flows,  # noqa: F401
    models,  # noqa: F401
    money,  # noqa: F401
)
