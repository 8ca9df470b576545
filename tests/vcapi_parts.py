"""What the VC-API and award API tests share: an app with the example catalogue and tokens of two organisations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build
from cairn.services.accounts.service import SCOPES
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import FixedClock

TOKEN = "cairn_test_token_for_the_vc_api_0123456789"
OTHER = "cairn_test_token_of_another_org_0123456789"
UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
VC2 = "https://www.w3.org/ns/credentials/v2"
SECRET = "s" * 48


@contextmanager
def vc_api_app(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Container]]:
    """The app at https://cairn.example: TOKEN has every scope for UM, OTHER only ``credentials:read`` for SB."""
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url="https://cairn.example")
    container = build(settings, clock=clock, database=database)
    container.catalog.import_paths([examples])
    container.accounts.install_token(organisation=UM, name="t", scopes=list(SCOPES), token=TOKEN)
    container.accounts.install_token(organisation=SB, name="t", scopes=["credentials:read"], token=OTHER)
    with TestClient(create_app(container)) as client:
        yield client, container


def credential(**extra: Any) -> dict[str, Any]:
    """A well-formed VCDM 2.0 credential without issuer, with ``extra`` fields set."""
    body = {
        "@context": [VC2, "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0f9a2c44-5c0e-4d1f-9a3a-6d0f2b9b7e11",
        "type": ["VerifiableCredential", "ExampleAchievementCredential"],
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "achieved": "First aid"},
    }
    body.update(extra)
    return body


def auth(token: str = TOKEN) -> dict[str, str]:
    """The bearer header of ``token``."""
    return {"Authorization": f"Bearer {token}"}
