"""An SD-JWT VC's status says suspension as well as revocation (SQLite and PostgreSQL): the two-bit Status List
Token at ``/orgs/SLUG/status/combined/SEQ/token`` (revoked INVALID, suspended SUSPENDED, reinstated VALID), on the
route and in Cairn's verification report; the one-bit revocation token SD-JWT VCs named before keeps working."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container
from cairn.model.awards import Recipient
from cairn.store.database import Database
from cairn.vc.multibase import b64url_decode
from cairn.vc.report import Outcome
from cairn.vc.sdjwt import split_sd_jwt
from cairn.web.app import create_app
from tests.factories import DEFINITION, ORG, PUBLIC_URL, FixedClock, make_container

COMBINED = f"/orgs/{ORG}/status/combined/1/token"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


def _award(container: Container, email: str = "ann@example.org") -> str:
    recipient = Recipient(email=email, name="Anna Maria Kowalska")
    return container.issuing.award(DEFINITION, recipient, actor="test").award_id


def _payload(token: str) -> dict[str, object]:
    parsed: dict[str, object] = json.loads(b64url_decode(token.split(".")[1]))
    return parsed


def _reference(issued: str) -> tuple[int, str]:
    entry = _payload(split_sd_jwt(issued)[0])["status"]["status_list"]  # type: ignore[index]
    return int(entry["idx"]), str(entry["uri"])


def _value(token: str, idx: int) -> int:
    status_list = _payload(token)["status_list"]
    assert isinstance(status_list, dict)
    assert status_list["bits"] == 2
    lst = zlib.decompress(b64url_decode(status_list["lst"]))
    return (lst[idx // 4] >> ((idx % 4) * 2)) & 0b11


def _said(container: Container, issued: str) -> tuple[Outcome | None, str]:
    report = container.verification.verify(issued)
    return report.outcome_of("status"), " / ".join(str(c.reason) for c in report.checks if c.name == "status")


def test_suspend_reinstate_and_revoke_show_in_the_two_bit_token(container: Container, clock: FixedClock) -> None:
    award_id = _award(container)
    other = _award(container, "bob@example.org")
    issued = container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG)
    idx, uri = _reference(issued)
    assert uri == f"{PUBLIC_URL}{COMBINED}"
    credential = container.issuing.get(award_id).credential
    assert isinstance(credential, dict)
    revocation = next(e for e in credential["credentialStatus"] if e["statusPurpose"] == "revocation")
    assert idx == int(revocation["statusListIndex"])  # the award's own revocation slot, no new index
    client = TestClient(create_app(container))

    def value() -> int:
        answer = client.get(COMBINED)
        assert answer.status_code == 200
        return _value(answer.text, idx)

    assert value() == 0
    assert _said(container, issued) == (Outcome.PASS, "not revoked / not suspended")

    container.status_lists.suspend(award_id, reason="under review", actor="registrar")
    assert value() == 2  # SUSPENDED
    assert _said(container, issued) == (Outcome.FAIL, "the issuer has suspended this credential")
    assert container.verification.verify(issued).verified is False

    container.status_lists.unsuspend(award_id, reason="cleared", actor="registrar")
    assert value() == 0  # VALID again
    assert _said(container, issued) == (Outcome.PASS, "not revoked / not suspended")

    container.status_lists.suspend(award_id, reason="under review again", actor="registrar")
    container.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    assert value() == 1  # INVALID: revocation wins over a suspension
    assert _said(container, issued) == (Outcome.FAIL, "the issuer has revoked this credential")

    other_issued = container.sd_jwt.issue(other, holder_jwk=None, organisation=ORG)
    assert _said(container, other_issued) == (Outcome.PASS, "not revoked / not suspended")


def test_the_combined_token_route(container: Container, clock: FixedClock) -> None:
    award_id = _award(container)
    idx, _ = _reference(container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG))
    client = TestClient(create_app(container))
    answer = client.get(COMBINED)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/statuslist+jwt"
    assert answer.headers["cache-control"].startswith("public, max-age=")
    header = json.loads(b64url_decode(answer.text.split(".")[0]))
    assert (header["typ"], header["alg"]) == ("statuslist+jwt", "ES256")
    payload = _payload(answer.text)
    assert payload["sub"] == f"{PUBLIC_URL}{COMBINED}"
    assert payload["iss"] == container.keys.did(ORG)
    assert payload["exp"] == payload["iat"] + 24 * 3600  # type: ignore[operator]
    assert payload["ttl"] == container.status_lists.max_age
    assert _value(answer.text, idx) == 0
    etag = answer.headers["etag"]
    assert client.get(COMBINED, headers={"If-None-Match": etag}).status_code == 304

    container.status_lists.suspend(award_id, reason="under review", actor="registrar")  # only the suspension list
    changed = client.get(COMBINED, headers={"If-None-Match": etag})
    assert changed.status_code == 200  # signed again
    assert changed.headers["etag"] != etag
    assert _value(changed.text, idx) == 2

    old = client.get(f"/orgs/{ORG}/status/revocation/1/token")  # what SD-JWT VCs issued before name
    assert old.status_code == 200
    assert _payload(old.text)["status_list"]["bits"] == 1  # type: ignore[index]
    assert client.get(f"/orgs/{ORG}/status/combined/99/token").status_code == 404
    assert client.get(f"/orgs/{ORG}/status/combined/1").status_code == 422  # no Bitstring list of that name


def test_the_one_bit_revocation_token_earlier_sd_jwt_vcs_name_still_says_revoked(container: Container) -> None:
    award_id = _award(container)
    issued = container.sd_jwt.issue(award_id, holder_jwk=None, organisation=ORG)
    old_uri = f"{PUBLIC_URL}/orgs/{ORG}/status/revocation/1/token"
    idx, _ = _reference(issued)
    token = container.status_lists.token(ORG, "revocation", 1).body.decode()
    assert _payload(token)["sub"] == old_uri
    lst = zlib.decompress(b64url_decode(_payload(token)["status_list"]["lst"]))  # type: ignore[index]
    assert lst[idx // 8] >> (idx % 8) & 1 == 0
    container.status_lists.revoke(award_id, reason="misconduct", actor="registrar")
    token = container.status_lists.token(ORG, "revocation", 1).body.decode()
    lst = zlib.decompress(b64url_decode(_payload(token)["status_list"]["lst"]))  # type: ignore[index]
    assert lst[idx // 8] >> (idx % 8) & 1 == 1
