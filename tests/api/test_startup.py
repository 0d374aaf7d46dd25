"""The service refuses an un-migrated database with a clear message, and serves /healthz."""

import pytest

from app.bootstrap import create_app
from app.config import Settings
from app.db.migrate import SchemaNotCurrent


def test_refuses_unmigrated_database(tmp_path):
    with pytest.raises(SchemaNotCurrent, match="ijw db upgrade"):
        create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.sqlite'}"))


def test_healthz(api):
    r = api.client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_openapi_documents_the_exchange(api):
    spec = api.client.get("/openapi.json").json()
    assert "/v1/berichten" in spec["paths"]
    assert "application/xml" in spec["paths"]["/v1/berichten"]["post"]["requestBody"]["content"]
