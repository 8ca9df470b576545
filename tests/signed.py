"""Real signed credentials for the baking, intake, PDF and CLI tests: an example catalogue entry, a did:key."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import build_catalog
from cairn.services.catalog.service import read_files
from cairn.vc.dids import did_key
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair, KeyType

__all__ = ["ED", "NOW", "OB3_FIXTURES", "signed_json", "signed_jwt", "unsigned"]

ED = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "catalog"
OB3_FIXTURES = "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"


@cache
def _unsigned() -> str:
    files, _ = read_files([EXAMPLES])
    catalog, _ = build_catalog(files)
    d = catalog.definitions["um-python-data-analysis"]
    org = catalog.organisations[d.awarding_bodies[0]]
    credential = build_credential(
        definition=d,
        version=1,
        organisations=[org],
        issuer_ids={org.id: did_key(ED.public)},
        award=Award(
            definition_id=d.id,
            version=1,
            recipient=Recipient(email="anna@example.org", name="Anna Żółkiewska"),
            issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        ),
        credential_id="urn:uuid:7c5b0e44-52d1-4f0f-9a8e-9f0b3c2a1d10",
        achievement_id="https://cairn.example/micro-credentials/um-python-data-analysis/versions/1",
        salt="s",
    )
    return json.dumps(credential)


def unsigned() -> dict[str, Any]:
    """An Open Badges 3.0 micro-credential, not yet signed (a fresh copy each time)."""
    return dict(json.loads(_unsigned()))


@cache
def signed_json() -> str:
    """The credential signed with eddsa-rdfc-2022, as JSON text (with a Polish name in it)."""
    return json.dumps(
        issue(unsigned(), key=ED, suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z"), ensure_ascii=False
    )


@cache
def signed_jwt() -> str:
    """The credential signed as an Open Badges 3.0 JWT."""
    token = issue(unsigned(), key=ED, suite="ob3-jwt", created="2026-05-04T09:30:00Z")
    assert isinstance(token, str)
    return token
