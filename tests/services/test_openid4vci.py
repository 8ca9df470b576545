"""OpenID4VCI on SQLite and PostgreSQL: a learner's offer, the token, the nonce and the credential in both W3C
formats (verified on the one verification path, bound to the proof's key), and every refusal with the spec's error
code and nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cairn.bootstrap import Container
from cairn.errors import ConflictError, NotFoundError
from cairn.formats.sdjwt_vc import VCT
from cairn.model.awards import Recipient
from cairn.services.openid4vci.formats import JWT_VC_JSON, LDP_VC, SD_JWT_VC
from cairn.services.openid4vci.issuance import MAX_BODY
from cairn.services.openid4vci.protocol import PRE_AUTHORIZED_GRANT, OAuthError
from cairn.services.openid4vci.service import MAX_TX_TRIES, MadeOffer
from cairn.services.wallet.records import status_of
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, CredentialOfferRow, OfferTokenRow, UsedNonceRow
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode, b64url_encode
from cairn.vc.sdjwt import add_key_binding, split_sd_jwt
from tests.factories import FixedClock
from tests.openid4vci_parts import DEFINITION, UM, claimed, issuer, proof, redeem, request


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return issuer(database, clock, examples)


def code_of(container: Container, offer: MadeOffer) -> str:
    handle = offer.offer_uri.rsplit("/", 1)[1]
    document = container.openid4vci.offer_document(handle)
    grant = document["grants"][PRE_AUTHORIZED_GRANT]
    assert grant["tx_code"] == {
        "input_mode": "numeric",
        "length": 6,
        "description": "The code shown beside the QR code in your Cairn wallet",
    }
    return str(grant["pre-authorized_code"])


def access_token(container: Container, offer: MadeOffer) -> str:
    answer = container.openid4vci.token(
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code_of(container, offer), "tx_code": offer.tx_code}
    )
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 600
    return str(answer["access_token"])


def counts(container: Container) -> tuple[int, int, int, int]:
    with container.database.transaction() as session:
        return (
            int(session.scalar(select(func.count()).select_from(OfferTokenRow)) or 0),
            int(session.scalar(select(func.sum(OfferTokenRow.issued))) or 0),
            int(session.scalar(select(func.count()).select_from(UsedNonceRow)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditEntry)) or 0),
        )


def refused(code: str, call: Any, *args: Any) -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        call(*args)
    assert caught.value.error == code, caught.value.message
    return caught.value


def test_offer_token_nonce_credential_in_both_formats_verify_and_are_bound(
    container: Container, clock: FixedClock
) -> None:
    account, item, award_id = claimed(container)
    offer = container.openid4vci.make_offer(account, item)
    assert offer.link.startswith("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fcairn.example%2F")
    assert len(offer.tx_code) == 6
    assert offer.tx_code.isdigit()
    assert offer.configurations == (JWT_VC_JSON, LDP_VC, SD_JWT_VC)
    token = access_token(container, offer)
    endpoint = container.credential_endpoint
    for configuration in (JWT_VC_JSON, LDP_VC):
        jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"], by_did=configuration == LDP_VC)
        answer = endpoint.issue(token, request([jwt], configuration))
        assert set(answer) == {"credentials", "notification_id"}
        [issued] = [c["credential"] for c in answer["credentials"]]
        report = container.verification.verify(issued)
        assert status_of(report) == "valid", report.to_dict()
        document = report.credential
        assert document is not None
        assert document["credentialSubject"]["id"] == did_key(key.public)
        assert document["id"] == f"urn:uuid:{award_id}"
        if configuration == JWT_VC_JSON:
            assert isinstance(issued, str)
            claims = json.loads(b64url_decode(issued.split(".")[1]))
            assert claims["sub"] == did_key(key.public)
        else:
            assert isinstance(issued, dict)
            assert issued["proof"]["type"] == "DataIntegrityProof"
        endpoint.notify(
            token, json.dumps({"notification_id": answer["notification_id"], "event": "credential_accepted"}).encode()
        )
    # the award itself is unchanged: still about the learner's email, no holder DID
    stored = container.issuing.get(award_id).credential
    assert isinstance(stored, dict)
    assert "id" not in stored["credentialSubject"]
    with container.database.transaction() as session:
        actions = {e.action: e.details for e in session.scalars(select(AuditEntry))}
    assert actions["openid4vci.issue"]["configuration"] == LDP_VC
    assert actions["openid4vci.notification"]["event"] == "credential_accepted"
    assert {"openid4vci.offer", "openid4vci.token"} <= set(actions)
    assert not any(offer.tx_code in json.dumps(d) or token in json.dumps(d) for d in actions.values())


def test_the_wallet_gets_the_award_as_an_sd_jwt_vc_bound_to_its_key(container: Container, clock: FixedClock) -> None:
    account, item, _award_id = claimed(container)
    offer = container.openid4vci.make_offer(account, item)
    token = access_token(container, offer)
    metadata = container.openid4vci.formats.supported()[SD_JWT_VC]
    assert (metadata["format"], metadata["vct"]) == ("dc+sd-jwt", "urn:eu.europa.ec.eudi:learning:credential:1")
    jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"])
    answer = container.credential_endpoint.issue(token, request([jwt], SD_JWT_VC))
    [issued] = [c["credential"] for c in answer["credentials"]]
    assert isinstance(issued, str)
    signed, disclosures, binding = split_sd_jwt(issued)
    assert binding is None
    assert disclosures
    assert json.loads(b64url_decode(signed.split(".")[1]))["cnf"] == {"jwk": key.public.to_jwk()}
    # the wallet presents it to a verifier with its key: Cairn's one verification path accepts it...
    now = int(clock().timestamp())
    presented = add_key_binding(issued, holder_key=key, aud="https://verifier.example", nonce="n-1", iat=now)
    report = container.verification.verify(presented, challenge="n-1", domain="https://verifier.example")
    assert report.format == "sd-jwt-vc"
    assert status_of(report) == "valid", report.to_dict()
    # ...and a presentation signed by another key is refused
    other = KeyPair.generate(KeyType.P256)
    forged = add_key_binding(issued, holder_key=other, aud="https://verifier.example", nonce="n-1", iat=now)
    assert not container.verification.verify(forged, challenge="n-1", domain="https://verifier.example").verified


def test_a_batch_gets_one_credential_per_key_and_a_draft13_request_is_answered_in_its_shape(
    container: Container, clock: FixedClock
) -> None:
    account, item, _ = claimed(container)
    token = access_token(container, container.openid4vci.make_offer(account, item))
    nonce = container.openid4vci.nonce()["c_nonce"]
    jwts = [proof(clock, nonce)[0] for _ in range(3)]
    answer = container.credential_endpoint.issue(token, request(jwts))
    subjects = {json.loads(b64url_decode(c["credential"].split(".")[1]))["sub"] for c in answer["credentials"]}
    assert len(subjects) == 3
    refused("invalid_credential_request", container.credential_endpoint.issue, token, request(jwts * 2))
    jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"])
    draft13 = {
        "format": "ldp_vc",
        "credential_definition": {"type": ["VerifiableCredential", "OpenBadgeCredential"]},
        "proof": {"proof_type": "jwt", "jwt": jwt},
    }
    answer = container.credential_endpoint.issue(token, json.dumps(draft13).encode())
    assert set(answer) == {"credential", "c_nonce", "c_nonce_expires_in", "notification_id"}
    assert answer["credential"]["credentialSubject"]["id"] == did_key(key.public)
    other = {**draft13, "format": "mso_mdoc", "proof": {"proof_type": "jwt", "jwt": proof(clock, answer["c_nonce"])[0]}}
    refused("unsupported_credential_format", container.credential_endpoint.issue, token, json.dumps(other).encode())
    unknown = request([proof(clock, answer["c_nonce"])[0]], "SomethingElse")
    refused("unknown_credential_configuration", container.credential_endpoint.issue, token, unknown)
    # draft 13's name for SD-JWT VCs, sent by wallets deployed before 1.0, asks for the same Learning Credential
    jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"])
    sd = {"format": "vc+sd-jwt", "vct": VCT, "proof": {"proof_type": "jwt", "jwt": jwt}}
    answer = container.credential_endpoint.issue(token, json.dumps(sd).encode())
    issued = json.loads(b64url_decode(answer["credential"].split("~")[0].split(".")[1]))
    assert (issued["vct"], issued["cnf"]["jwk"]) == (VCT, key.public.to_jwk())
    other_type = {
        **sd,
        "vct": "urn:example:other",
        "proof": {"proof_type": "jwt", "jwt": proof(clock, answer["c_nonce"])[0]},
    }
    refused(
        "unsupported_credential_format", container.credential_endpoint.issue, token, json.dumps(other_type).encode()
    )


def test_the_pre_authorised_code_works_once_and_not_after_it_expires(container: Container, clock: FixedClock) -> None:
    account, item, _ = claimed(container)
    offer = container.openid4vci.make_offer(account, item)
    code = code_of(container, offer)
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code, "tx_code": offer.tx_code}
    container.openid4vci.token(form)
    before = counts(container)
    refused("invalid_grant", container.openid4vci.token, form)
    with pytest.raises(NotFoundError):  # the offer's address answers no more
        container.openid4vci.offer_document(offer.offer_uri.rsplit("/", 1)[1])
    late = container.openid4vci.make_offer(account, item)
    late_code = code_of(container, late)
    clock.advance(minutes=11)
    refused(
        "invalid_grant",
        container.openid4vci.token,
        {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": late_code, "tx_code": late.tx_code},
    )
    refused("unsupported_grant_type", container.openid4vci.token, {"grant_type": "authorization_code", "code": "x"})
    refused("invalid_request", container.openid4vci.token, {"grant_type": PRE_AUTHORIZED_GRANT})
    assert counts(container)[:3] == before[:3]


def test_wrong_transaction_codes_count_and_end_the_offer(container: Container) -> None:
    account, item, _ = claimed(container)
    offer = container.openid4vci.make_offer(account, item)
    code = code_of(container, offer)
    wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
    form = {"grant_type": PRE_AUTHORIZED_GRANT, "pre-authorized_code": code}
    refused("invalid_request", container.openid4vci.token, form)  # missing: not a try
    for _ in range(MAX_TX_TRIES):
        refused("invalid_grant", container.openid4vci.token, {**form, "tx_code": wrong})
    with container.database.transaction() as session:
        row = session.scalars(select(CredentialOfferRow)).one()
        assert row.tx_tries == MAX_TX_TRIES
        assert row.dead_at is not None
        assert offer.tx_code not in (row.tx_code_hash, row.code_hash)
        assert code not in (row.code_hash, row.handle_hash)
    refused("invalid_grant", container.openid4vci.token, {**form, "tx_code": offer.tx_code})  # dead now
    assert counts(container)[0] == 0


def test_key_proofs_are_refused_with_the_specs_codes_and_nothing_changes(
    container: Container, clock: FixedClock
) -> None:
    account, item, _ = claimed(container)
    token = access_token(container, container.openid4vci.make_offer(account, item))
    endpoint = container.credential_endpoint
    nonce = container.openid4vci.nonce()["c_nonce"]
    before = counts(container)
    # signed by another key than the one it names
    jwt, _ = proof(clock, nonce)
    other, _ = proof(clock, nonce)
    forged = ".".join(jwt.split(".")[:2] + other.split(".")[2:])
    refused("invalid_proof", endpoint.issue, token, request([forged]))
    refused("invalid_proof", endpoint.issue, token, request([proof(clock, nonce, aud="https://elsewhere.example")[0]]))
    refused("invalid_proof", endpoint.issue, token, request([proof(clock, nonce, typ="JWT")[0]]))
    refused("invalid_proof", endpoint.issue, token, request([proof(clock, nonce, iat=clock().timestamp() - 3600)[0]]))
    _header, payload, _ = jwt.split(".")
    unsigned = b64url_encode(json.dumps({"alg": "none", "typ": "openid4vci-proof+jwt"}).encode()) + "." + payload + "."
    refused("invalid_proof", endpoint.issue, token, request([unsigned]))
    hs = b64url_encode(json.dumps({"alg": "HS256", "typ": "openid4vci-proof+jwt"}).encode())
    refused("invalid_proof", endpoint.issue, token, request([f"{hs}.{payload}.{b64url_encode(b'x' * 32)}"]))
    refused("invalid_proof", endpoint.issue, token, json.dumps({"credential_configuration_id": JWT_VC_JSON}).encode())
    stale = refused("invalid_nonce", endpoint.issue, token, request([proof(clock, "not-a-nonce-of-ours")[0]]))
    assert stale.c_nonce
    assert stale.body()["c_nonce"] == stale.c_nonce
    refused("invalid_credential_request", endpoint.issue, token, b"x" * (MAX_BODY + 1))
    refused("invalid_credential_request", endpoint.issue, token, b"[1, 2]")
    refused("invalid_token", endpoint.issue, "nope", request([jwt]))
    assert counts(container) == before
    # the good one works once; replaying its nonce does not
    endpoint.issue(token, request([jwt]))
    refused("invalid_nonce", endpoint.issue, token, request([proof(clock, nonce)[0]]))
    old_nonce = container.openid4vci.nonce()["c_nonce"]
    clock.advance(minutes=6)  # the nonce has expired, the proof itself is fresh
    refused("invalid_nonce", endpoint.issue, token, request([proof(clock, old_nonce)[0]]))
    clock.advance(minutes=5)
    refused("invalid_token", endpoint.issue, token, request([proof(clock, container.openid4vci.nonce()["c_nonce"])[0]]))


def test_an_access_token_gets_only_its_own_award(container: Container, clock: FixedClock) -> None:
    ada, ada_item, ada_award = claimed(container)
    bob, bob_item, bob_award = claimed(container, "bob@example.org")
    token = access_token(container, container.openid4vci.make_offer(bob, bob_item))
    answer = container.credential_endpoint.issue(
        token, request([proof(clock, container.openid4vci.nonce()["c_nonce"])[0]])
    )
    issued = json.loads(b64url_decode(answer["credentials"][0]["credential"].split(".")[1]))
    assert issued["jti"] == f"urn:uuid:{bob_award}" != f"urn:uuid:{ada_award}"
    with pytest.raises(NotFoundError):  # another learner's credential cannot be offered
        container.openid4vci.make_offer(bob, ada_item)
    assert ada != bob


def test_a_revoked_award_is_neither_offered_nor_issued(container: Container, clock: FixedClock) -> None:
    account, item, award_id = claimed(container)
    token = access_token(container, container.openid4vci.make_offer(account, item))
    container.status_lists.revoke(award_id, organisation=UM, actor="test", reason="awarded in error")
    nonce = container.openid4vci.nonce()["c_nonce"]
    refused("credential_request_denied", container.credential_endpoint.issue, token, request([proof(clock, nonce)[0]]))
    with pytest.raises(ConflictError):
        container.openid4vci.make_offer(account, item)


def test_only_the_wallets_own_account_can_offer_its_credential(container: Container) -> None:
    account, item, _ = claimed(container)
    with pytest.raises(NotFoundError):
        container.openid4vci.make_offer(account + 1000, item)


def test_the_demo_learner_can_offer_a_claimed_credential(container: Container) -> None:
    """The demo's learner wallet shows the offer section: its awards came through claim links, so they can be sent."""
    from cairn.services.demo.instance import DEMO_LEARNER_EMAIL, seed_demo_learner

    assert seed_demo_learner(accounts=container.accounts, issuing=container.issuing, wallet=container.wallet) > 0
    account = container.accounts.find_account(DEMO_LEARNER_EMAIL)
    assert account is not None
    claimed = [i for i in container.wallet.list(account.id) if i.award_id]
    assert claimed
    offer = container.openid4vci.make_offer(account.id, claimed[0].id)
    assert offer.link.startswith("openid-credential-offer://")


def test_an_offer_from_a_claim_link_has_the_award_and_no_account_and_issues_bound_to_the_proved_key(
    container: Container, clock: FixedClock
) -> None:
    award = container.issuing.award(DEFINITION, Recipient(email="ola@example.org"), actor="test", organisation=UM)
    assert award.claim_token
    made = container.openid4vci.make_claim_offer(award.claim_token, configurations=(JWT_VC_JSON,))
    with container.database.transaction() as session:
        row = session.scalars(select(CredentialOfferRow)).one()
        assert (row.award_id, row.account_id) == (award.award_id, None)
    token = redeem(container, made.offer_uri, made.tx_code)
    jwt, key = proof(clock, container.openid4vci.nonce()["c_nonce"])
    [issued] = container.credential_endpoint.issue(token, request([jwt]))["credentials"]
    assert json.loads(b64url_decode(issued["credential"].split(".")[1]))["sub"] == did_key(key.public)
    with pytest.raises(NotFoundError):  # a link that names no award makes nothing
        container.openid4vci.make_claim_offer("not-a-claim-token")
    container.status_lists.revoke(award.award_id, reason="test", actor="test")
    with pytest.raises(ConflictError):  # nor does one whose award was revoked
        container.openid4vci.make_claim_offer(award.claim_token)
