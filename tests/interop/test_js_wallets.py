"""Cairn's SD-JWT VC and OpenID4VCI against independent implementations from the npm registry (issue #17).

- ``@sd-jwt/sd-jwt-vc`` (OpenWallet Foundation) verifies a Cairn award issued as an SD-JWT VC and presented with a
  key binding JWT, resolving the issuer's key as a verifier would: ``iss`` is the organisation's did:web, ``kid`` a
  DID URL in it, so the harness fetches ``https://HOST/orgs/SLUG/did.json`` from the running instance and takes the
  key its ``kid`` names (an assertionMethod); it checks the disclosed claims, the nonce and audience, and the
  IETF Status List Token the ``status`` claim names. A changed disclosure, another nonce, a revoked award: refused.
- The same library issues an SD-JWT VC (its own P-256 issuer key as a did:key, which Cairn resolves offline) and
  presents it with a KB-JWT; Cairn's one verification path verifies signature, disclosures and key binding, and
  refuses the presentation with a changed disclosure or for another audience.
- ``@openid4vc/openid4vci`` (OpenWallet Foundation, formerly Animo's oid4vc-ts) is a wallet: it resolves the offer a
  learner made in Cairn (``openid-credential-offer://?credential_offer_uri=...``) and the metadata, redeems the
  pre-authorised code with the transaction code, and asks for every configuration with a JWT proof of its own key;
  each credential it received verifies on Cairn's path and is bound to that key.

Packages: tests/interop/js/package.json (pinned) and its lock, installed once (tests/interop/node.py); the test
skips saying why without node and npm or without the npm registry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cairn.model.awards import Recipient
from cairn.services.openid4vci.formats import JWT_VC_JSON, LDP_VC, SD_JWT_VC
from cairn.services.wallet.records import status_of
from cairn.store.tables import AuditEntry
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType, PublicKey
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.report import Outcome, Report
from cairn.vc.sdjwt import add_key_binding, present, split_sd_jwt
from tests.factories import DEFINITION, ORG
from tests.interop.node import Harness, Instance

pytestmark = pytest.mark.slow

AUD = "https://verifier.example"
NONCE = "nonce-of-the-verifier-1"


def _wallets(folder: Path, cairn_or_ca: Instance | Path) -> Harness:
    ca = cairn_or_ca.tls[0] if isinstance(cairn_or_ca, Instance) else cairn_or_ca
    return Harness(folder, ca, "wallets.mjs")


def _claims(jwt: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(b64url_decode(jwt.split(".")[1]))
    return payload


def _header(jwt: str) -> dict[str, Any]:
    header: dict[str, Any] = json.loads(b64url_decode(jwt.split(".")[0]))
    return header


def _outcomes(report: Report) -> dict[str, Outcome]:
    return {c.name: c.outcome for c in report.checks}


def _changed(sd_jwt: str, name: str, value: Any) -> str:
    """``sd_jwt`` with the Disclosure of ``name`` replaced by one saying ``value`` (same salt): what a holder who
    wants to show something else would send."""
    jwt, encoded, kb = split_sd_jwt(sd_jwt)
    out = []
    for item in encoded:
        salt, said, *_ = json.loads(b64url_decode(item))
        if said == name:
            item = b64url_encode(json.dumps([salt, name, value]).encode())
        out.append(item)
    assert out != encoded, f"no disclosure of {name}"
    return jwt + "~" + "".join(e + "~" for e in out) + (kb or "")


def test_a_cairn_sd_jwt_vc_verifies_in_sd_jwt_js_resolving_the_issuer_from_its_did_web(
    harness_folder: Path, cairn: Instance, tmp_path: Path
) -> None:
    issuing = cairn.container.issuing
    award = issuing.award(DEFINITION, Recipient(email="anna@example.org", name="Anna Nowak"), actor="t", grade="4.5")
    holder = KeyPair.generate(KeyType.P256)
    issued = cairn.container.sd_jwt.issue(award.award_id, holder_jwk=holder.public.to_jwk(), organisation=ORG)
    jwt = issued.split("~")[0]
    header, payload = _header(jwt), _claims(jwt)
    assert payload["iss"] == f"did:web:127.0.0.1%3A{cairn.url.rsplit(':', 1)[1]}:orgs:{ORG}"
    assert header["kid"].startswith(payload["iss"] + "#")
    credential = issuing.get(award.award_id, organisation=ORG).credential
    assert isinstance(credential, dict)
    title = credential["credentialSubject"]["achievement"]["name"]
    # the holder shows their name, the title and the learning outcomes, not the grade
    shown = present(issued, keep=lambda d: d.name != "assessment_grade")
    now = int(cairn.container.clock().timestamp())
    presentation = add_key_binding(shown, holder_key=holder, aud=AUD, nonce=NONCE, iat=now)
    path = tmp_path / "presentation.txt"
    path.write_text(presentation, encoding="ascii")
    harness = _wallets(harness_folder, cairn)

    result = harness.run("verify-sd-jwt", str(path), AUD, NONCE)
    assert result["verified"] is True, result
    assert result["resolved"]["url"] == f"{cairn.url}/orgs/{ORG}/did.json"
    assert result["resolved"]["kid"] == header["kid"]
    assert result["resolved"]["jwk"]["crv"] == "P-256"
    claims = result["claims"]
    assert (claims["given_name"], claims["family_name"]) == ("Anna", "Nowak")
    assert claims["achievement_title"] == title
    assert claims["learning_outcomes"]
    assert claims["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"
    assert "assessment_grade" not in claims
    assert claims["cnf"]["jwk"] == holder.public.to_jwk()
    assert (result["kb"]["payload"]["aud"], result["kb"]["payload"]["nonce"]) == (AUD, NONCE)
    assert result["blocked"] == []  # nothing fetched but the DID document and the status list token
    # the library fetched the Status List Token (verified with the issuer's key) and read the award's bit: 0
    assert claims["status"]["status_list"]["uri"].startswith(cairn.url)

    path.write_text(_changed(presentation, "family_name", "Kowalska"), encoding="ascii")
    changed = harness.run("verify-sd-jwt", str(path), AUD, NONCE)
    assert changed["verified"] is False
    path.write_text(presentation, encoding="ascii")
    assert harness.run("verify-sd-jwt", str(path), AUD, "another-nonce")["verified"] is False
    assert harness.run("verify-sd-jwt", str(path), "https://elsewhere.example", NONCE)["verified"] is False
    # the two-bit Status List Token (revoked INVALID, suspended SUSPENDED): the library reads a suspension too
    assert claims["status"]["status_list"]["uri"] == f"{cairn.url}/orgs/{ORG}/status/combined/1/token"
    cairn.container.status_lists.suspend(award.award_id, organisation=ORG, actor="t", reason="under review")
    suspended = harness.run("verify-sd-jwt", str(path), AUD, NONCE)
    assert suspended["verified"] is False
    assert "status" in suspended["error"].lower(), suspended
    cairn.container.status_lists.unsuspend(award.award_id, organisation=ORG, actor="t", reason="cleared")
    assert harness.run("verify-sd-jwt", str(path), AUD, NONCE)["verified"] is True
    cairn.container.status_lists.revoke(award.award_id, organisation=ORG, actor="t", reason="awarded in error")
    revoked = harness.run("verify-sd-jwt", str(path), AUD, NONCE)
    assert revoked["verified"] is False
    assert "status" in revoked["error"].lower(), revoked


def test_an_sd_jwt_js_credential_verifies_in_cairn_and_a_changed_disclosure_does_not(
    harness_folder: Path, cairn: Instance
) -> None:
    issued = _wallets(harness_folder, cairn).run("issue-sd-jwt", AUD, NONCE)
    presentation = issued["presentation"]
    assert _header(presentation.split("~")[0])["kid"] == issued["kid"]
    verification = cairn.container.verification

    report = verification.verify(presentation, challenge=NONCE, domain=AUD)
    assert report.format == "sd-jwt-vc"
    outcomes = _outcomes(report)
    assert outcomes["proof"] is Outcome.PASS, report.to_dict()
    assert outcomes["issuer-key"] is Outcome.PASS, report.to_dict()
    assert outcomes["key-binding"] is Outcome.PASS, report.to_dict()
    assert status_of(report) == "valid", report.to_dict()
    assert report.credential is not None
    assert report.credential["iss"] == issued["issuer"]
    assert (report.credential["given_name"], report.credential["family_name"]) == ("Jan", "Kowalski")
    assert report.credential["learning_outcomes"] == ["Keeps research data findable"]  # one of two disclosed
    assert "credit_points" not in report.credential
    assert report.credential["cnf"]["jwk"] == issued["holder_jwk"]

    changed = verification.verify(_changed(presentation, "given_name", "Adam"), challenge=NONCE, domain=AUD)
    assert not changed.verified
    assert _outcomes(changed)["proof"] is Outcome.FAIL, changed.to_dict()
    elsewhere = verification.verify(presentation, challenge=NONCE, domain="https://elsewhere.example")
    assert not elsewhere.verified
    assert _outcomes(elsewhere)["key-binding"] is Outcome.FAIL, elsewhere.to_dict()
    # without its KB-JWT the presentation proves no holder: Cairn says so (a warning, as for any unbound copy)
    unbound = verification.verify(presentation[: presentation.rindex("~") + 1], challenge=NONCE, domain=AUD)
    assert _outcomes(unbound)["key-binding"] is Outcome.WARNING, unbound.to_dict()


def test_an_openid4vci_wallet_gets_every_format_from_cairn_bound_to_its_key(
    harness_folder: Path, cairn: Instance
) -> None:
    from cairn.services.demo.instance import DEMO_LEARNER_EMAIL, seed_demo_learner

    container = cairn.container
    assert seed_demo_learner(accounts=container.accounts, issuing=container.issuing, wallet=container.wallet) > 0
    account = container.accounts.find_account(DEMO_LEARNER_EMAIL)
    assert account is not None
    item = next(i for i in container.wallet.list(account.id) if i.award_id)
    offer = container.openid4vci.make_offer(account.id, item.id)
    assert offer.configurations == (JWT_VC_JSON, LDP_VC, SD_JWT_VC)

    harness = _wallets(harness_folder, cairn)
    wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
    refused = harness.run("wallet", offer.link, wrong, AUD, NONCE)  # the library reads Cairn's OAuth error
    assert (refused["ok"], refused["step"]) == (False, "get an access token"), refused
    assert refused["error"]["errorResponse"]["error"] == "invalid_grant", refused

    result = harness.run("wallet", offer.link, offer.tx_code, AUD, NONCE)
    assert result["ok"] is True, result
    assert result["offer"]["credential_issuer"] == cairn.url
    assert result["metadata"] == {  # read as OpenID4VCI 1.0, Cairn its own authorisation server (RFC 8414)
        "draft": "V1",
        "credential_issuer": cairn.url,
        "authorization_servers": [cairn.url],
    }
    assert result["token"] == {"token_type": "Bearer", "expires_in": 600}
    assert result["blocked"] == []
    holder = PublicKey.from_jwk(result["holder_jwk"])
    holder_did = did_key(holder)
    received = result["credentials"]
    assert set(received) == {JWT_VC_JSON, LDP_VC, SD_JWT_VC}

    jwt_vc = received[JWT_VC_JSON]
    assert jwt_vc["format"] == "jwt_vc_json"
    report = container.verification.verify(jwt_vc["credential"])
    assert status_of(report) == "valid", report.to_dict()
    assert _claims(jwt_vc["credential"])["sub"] == holder_did
    assert report.credential is not None
    assert report.credential["id"] == f"urn:uuid:{item.award_id}"

    ldp = received[LDP_VC]
    assert ldp["format"] == "ldp_vc"
    report = container.verification.verify(ldp["credential"])
    assert status_of(report) == "valid", report.to_dict()
    assert ldp["credential"]["credentialSubject"]["id"] == holder_did

    sd = received[SD_JWT_VC]
    assert sd["format"] == "dc+sd-jwt"
    assert _claims(sd["credential"].split("~")[0])["cnf"] == {"jwk": holder.to_jwk()}
    report = container.verification.verify(sd["presentation"], challenge=NONCE, domain=AUD)
    assert report.format == "sd-jwt-vc"
    assert status_of(report) == "valid", report.to_dict()
    assert _outcomes(report)["key-binding"] is Outcome.PASS
    assert report.credential is not None
    assert report.credential["given_name"] == "Ola"
    # bound to the wallet's key: the same credential presented by another key is refused
    other = KeyPair.generate(KeyType.P256)
    now = int(container.clock().timestamp())
    forged = add_key_binding(sd["credential"], holder_key=other, aud=AUD, nonce=NONCE, iat=now)
    assert not container.verification.verify(forged, challenge=NONCE, domain=AUD).verified
    # the wallet's notifications reached the notification endpoint
    with container.database.transaction() as session:
        events = [e.details for e in session.scalars(select(AuditEntry)) if e.action == "openid4vci.notification"]
    assert [e["event"] for e in events] == ["credential_accepted"] * 3
