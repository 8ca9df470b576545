"""Every page and API that shows a verification shows the one path's answer on status: a status that cannot be
determined reads "Cannot confirm it has not been revoked" (in Polish too), never "verified"; a list secured as a
JWT that revokes gives "revoked"; only the offline command line says "not checked"."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.cli.main import cli
from cairn.errors import OfflineError
from cairn.services.verification.batch import BatchResult, BatchRow
from cairn.services.wallet.records import status_of
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.dids import did_key
from cairn.vc.fetch import DictFetcher
from cairn.vc.issuance import default_verification_method, issue
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.jose import sign_jwt, sign_ob3_jwt
from cairn.vc.report import UNCONFIRMED
from cairn.vc.status import BitstringStatusList, StatusEntry, status_list_credential
from cairn.web.app import create_app
from tests.factories import FixedClock
from tests.helpers import rewired

KEY = KeyPair.from_secret(KeyType.ED25519, bytes(range(40, 72)))
ISSUER = did_key(KEY.public)
LIST = "https://badges.example/status/7"
INDEX = 1234


def _credential() -> dict[str, Any]:
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:0b1c2d3e-4f50-4a61-8b72-93a4b5c6d7e8",
        "type": ["VerifiableCredential"],
        "issuer": {"id": ISSUER, "name": "Badges Example"},
        "validFrom": "2025-01-01T00:00:00Z",
        "name": "Pottery, level 2",
        "credentialSubject": {"id": "did:example:ada"},
        "credentialStatus": StatusEntry(LIST, INDEX, "revocation").to_dict(),
    }


def _di() -> Any:
    return issue(_credential(), key=KEY, suite="eddsa-jcs-2022", created="2025-01-01T00:00:00Z")


def _openbadgeslib_list(*, revoked: bool) -> str:
    """The list as openbadgeslib signs it: the list credential as the JWT payload, the issuer's key in ``jwk``."""
    bits = BitstringStatusList()
    if revoked:
        bits.set(INDEX)
    status = status_list_credential(url=LIST, issuer=ISSUER, purpose="revocation", status_list=bits)
    payload = {**status, "iss": ISSUER, "jti": LIST, "nbf": 1_735_689_600}
    return sign_jwt(payload, key=KEY, kid=None, typ="JWT", extra_header={"jwk": KEY.public.to_jwk()})


def _ob3_jwt() -> str:
    return sign_ob3_jwt(_credential(), key=KEY, kid=default_verification_method(KEY))


@pytest.fixture
def container(database: Database, clock: FixedClock) -> Any:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example")
    return build(settings, clock=clock, database=database)


@pytest.fixture
def unreachable(container: Any) -> Iterator[TestClient]:
    with TestClient(create_app(rewired(container, fetcher=DictFetcher({})))) as client:
        yield client


def _verdict(html: str) -> str:
    start = html.index('<h2 id="verdict"')
    return html[html.index(">", start) + 1 : html.index("</h2>", start)].strip()


def test_the_verify_page_says_it_cannot_confirm_in_english_and_polish(unreachable: TestClient) -> None:
    page = unreachable.post("/verify", data={"text": json.dumps(_di())})
    assert page.status_code == 200, page.text
    assert _verdict(page.text) == UNCONFIRMED
    # the detail comes from the network as it is, marked as not in the page's language (said_html)
    assert 'cannot confirm it has not been revoked: <span lang="">cannot get the status list' in page.text
    polish = unreachable.post("/verify?lang=pl", data={"text": json.dumps(_di())})
    assert _verdict(polish.text) == "Nie można potwierdzić, że nie zostało unieważnione"
    assert 'nie można potwierdzić, że nie zostało unieważnione: <span lang="">cannot get the status list' in polish.text
    assert "nie ustalono" in polish.text


def test_the_json_report_and_the_vc_api_refuse_it(unreachable: TestClient) -> None:
    report = unreachable.post("/verify/report", data={"text": json.dumps(_di())})
    assert report.status_code == 400
    body = report.json()
    assert (body["verdict"], body["verified"]) == (UNCONFIRMED, False)
    [status] = [c for c in body["checks"] if c["check"] == "status"]
    assert (status["outcome"], status["undetermined"]) == ("fail", True)
    assert body["validity"]["status"] == "not determined"  # never read as "revoked"
    api = unreachable.post("/credentials/verify", json={"verifiableCredential": _di()})
    assert api.status_code == 400
    assert any(e["check"] == "status" and e.get("undetermined") for e in api.json()["errors"])


def test_a_credential_revoked_through_an_openbadgeslib_jwt_list_is_revoked_on_the_server(container: Any) -> None:
    for revoked, expected in ((True, "Not verified"), (False, "Authentic, but nobody vouches for the issuer")):
        fetcher = DictFetcher({LIST: _openbadgeslib_list(revoked=revoked)}, media_type="application/vc+jwt")
        with TestClient(create_app(rewired(container, fetcher=fetcher))) as client:
            body = client.post("/verify/report", data={"text": _ob3_jwt()}).json()
        assert body["verdict"] == expected, body
        [status] = [c for c in body["checks"] if c["check"] == "status"]
        assert status["reason"] == ("the issuer has revoked this credential" if revoked else "not revoked")
        assert fetcher.calls == [LIST]


def test_the_wallet_and_the_batch_never_count_it_verified(container: Any) -> None:
    service = rewired(container, fetcher=DictFetcher({})).verification
    report = service.verify(_di())
    assert report.verdict == UNCONFIRMED
    assert status_of(report) == "unverifiable"  # never "valid", and not "revoked" either
    revoked = rewired(container, fetcher=DictFetcher({LIST: _openbadgeslib_list(revoked=True)})).verification
    assert status_of(revoked.verify(_ob3_jwt())) == "revoked"
    row = BatchRow("a.json", report.verdict)
    assert row.tone == "fail"
    assert BatchResult((row, BatchRow("b.json", "Verified"))).summary["not_verified"] == 1


def test_the_offline_command_line_says_not_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no instance database here: a standalone verifier that fetches nothing
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(_di()), encoding="utf-8")
    result = CliRunner().invoke(cli, ["vc", "verify", "--format", "text", str(path)], env={"CAIRN_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output  # verified: the signature holds, the status was not asked
    assert result.output.startswith("Authentic, but nobody vouches for the issuer")
    assert f"not checked: the status list {LIST} was not fetched (offline)" in result.output


def test_an_instance_without_outbound_fetches_says_not_checked(database: Database, clock: FixedClock) -> None:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example")
    offline = build(settings, clock=clock, database=database, online=False)
    fetcher = offline.verification.fetcher
    assert fetcher is not None  # the instance's own documents are still answered
    with pytest.raises(OfflineError):
        fetcher.fetch(LIST)
    report = offline.verification.verify(_di())
    assert report.verified
    [status] = [c for c in report.checks if c.name == "status"]
    assert status.reason.startswith("not checked: ")


def test_the_wallet_keeps_it_unverifiable_then_revoked_once_the_list_answers(container: Any, clock: FixedClock) -> None:
    from datetime import timedelta

    from cairn.services.verification.service import VerificationService
    from cairn.services.wallet.service import WalletService

    def wallet(fetcher: DictFetcher) -> WalletService:
        verification = VerificationService(fetcher=fetcher, clock=clock, trust=container.verification.trust)
        return WalletService(
            container.database,
            clock=clock,
            verification=verification,
            secret_key=lambda: "s" * 48,
            recheck_after=timedelta(hours=1),
        )

    ada = container.accounts.create_account(email="ada@example.org").id
    item = wallet(DictFetcher({})).import_credential(ada, _ob3_jwt(), source="paste")
    assert item.status == "unverifiable"  # kept, never shown as valid
    assert item.report["verdict"] == UNCONFIRMED
    clock.advance(hours=2)
    again = wallet(DictFetcher({LIST: _openbadgeslib_list(revoked=True)})).get(ada, item.id)
    assert again.status == "revoked"
    assert again.report["verdict"] == "Not verified"
