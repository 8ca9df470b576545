"""Issue #6, done when: a newcomer drops the EU's Sample-MC-Annex1 credential and an Open Badges 3.0 fixture on
/verify and reads what they certify. Over HTTP with the real app, on SQLite and PostgreSQL; the page is read as
text (tags removed), as a person would read it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.web.app import create_app
from tests.factories import FixedClock

ELM = "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)"
OB3 = "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"


def readable(page: str) -> str:
    """The result part of the page as a person reads it: text only, one space between words."""
    start = page.index(">", page.index('id="verify-result"')) + 1
    part = page[start : page.index('<section aria-labelledby="verify-form-title"')]
    text = re.sub(r"<[^>]+>", " ", part)
    return " ".join(html.unescape(text).split())


def test_a_newcomer_reads_what_an_edc_and_an_open_badge_certify(
    database: Database, clock: FixedClock, test_data: Path
) -> None:
    settings = Settings(database_url="sqlite://", secret_key="v" * 48, base_url="http://127.0.0.1:8000")
    container = build(settings, clock=clock, database=database)
    with TestClient(create_app(container)) as client:
        assert "Verify a credential" in client.get("/verify").text

        # The EU's sample micro-credential, sealed (JAdES), dropped as a file.
        sealed = (test_data / ELM / "Sample-MC-Annex1-signed.jsonld").read_bytes()
        page = client.post("/verify", files={"file": ("Sample-MC-Annex1-signed.jsonld", sealed)})
        assert page.status_code == 200
        text = readable(page.text)
        unvouched = "Authentic, but nobody vouches for the issuer"
        issued = "Who issued it Name, as the credential states it ORGANIZACION TEST"
        assert text.startswith(f"! {unvouched}"), text[:200]  # the banner: an icon (hidden from readers), the verdict
        assert issued in text
        for expected in (
            "Electronic seal Sealed Yes",
            "Signing time (as the seal states it) 27 September 2023, 11:54 UTC",
            "Trust in the seal certificate Unknown: this instance's operator has configured no trusted seal",
            "1. Identification of the learner Ana Andromeda, born 1 October 1999",
            "2. Title of the micro-credential Digital micro-credential creation",
            "3. Country(ies)/Region(s) of the issuer Ireland",
            "4. Awarding body(ies) University of Zed",
            "6. Learning outcomes Communication, collaboration and creativity stimulate creativity in the team",
            "Developing digital content develop digital content",
            "7. Notional workload needed to achieve the learning outcomes 60 hours; 2 European Credit Transfer System",
            "EQF: Level 6 National framework: RQF Level 6",
            "9. Type of assessment artefact assessment",
            "10. Form of participation in the learning activity Blended",
            "Grade achieved optional Pass",
            "Integration/stackability options optional not a partial qualification",
            "Signature ✓ pass RS256 JAdES seal valid",
        ):
            assert expected in text, expected

        # The same sample without its seal: not verified, and the page says it is not signed.
        unsigned = (test_data / ELM / "Sample-MC-Annex1-unsigned.jsonld").read_bytes()
        text = readable(client.post("/verify", files={"file": ("unsigned.jsonld", unsigned)}).text)
        assert text.startswith("✗ Not verified Why:")
        assert "Signature: not signed" in text
        assert "Sealed No" in text
        assert "2. Title of the micro-credential Digital micro-credential creation" in text

        # An Open Badges 3.0 fixture from 1EdTech's validator, signed with a did:key (verifies offline) for an issuer
        # named by a urn: nothing the issuer controls can confirm the key, and the page says so first.
        badge = (test_data / OB3 / "simple-did-key-method.json").read_bytes()
        text = readable(client.post("/verify", files={"file": ("badge.json", badge)}).text)
        assert text.startswith("! Signed, but not shown to come from the issuer it names"), text[:200]
        assert "Who issued it Name, as the credential states it Andy F. Miller" in text
        assert "What it certifies Achievement test 1 (Achievement)" in text
        assert "Description This is a test achievement" in text
        assert "Criteria There is no criteria" in text
        assert "2. Title of the micro-credential test 1" in text
        assert "Signature ✓ pass" in text
