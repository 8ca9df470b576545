"""OpenID4VP on SQLite and PostgreSQL: an organisation's request (DCQL), its signed request object, Cairn's wallet
answering it (SD-JWT VC with a key binding JWT, and a Data Integrity VP), and every refusal with the protocol's error
code and nothing changed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cairn.bootstrap import Container, build
from cairn.errors import InputError, NotFoundError
from cairn.model.dcql import LDP_VC, SD_JWT, Ask, build_query
from cairn.services.openid4vci.protocol import OAuthError
from cairn.services.openid4vp.verifier import REQUEST_LIFETIME, RequestView
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import PresentationRequestRow
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.multibase import b64url_decode
from cairn.vc.proofs.jose import sign_jwt
from cairn.vc.request_object import REQUEST_OBJECT_TYP
from cairn.vc.sdjwt import add_key_binding
from tests.factories import FixedClock
from tests.openid4vci_parts import claimed

SECRET = "p" * 48
PUBLIC = "https://cairn.example"
UM = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
ADA = "ada@example.org"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    settings = Settings(database_url="sqlite://", secret_key=SECRET, base_url=PUBLIC)
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    return built


def make(container: Container, *formats: str, signed: bool = True, **ask: Any) -> RequestView:
    query = build_query(Ask(formats=formats or (SD_JWT,), **ask))
    return container.presentation_requests.create(
        UM, actor="test", name="Hiring", purpose="", dcql=query, signed=signed
    )


def row_of(container: Container, request_id: str) -> tuple[Any, Any]:
    with container.database.transaction() as session:
        row = session.scalar(select(PresentationRequestRow).where(PresentationRequestRow.id == request_id))
        assert row is not None
        return row.answered_at, row.result


def refused(call: Any, *args: Any, code: str = "invalid_request") -> OAuthError:
    with pytest.raises(OAuthError) as caught:
        call(*args)
    assert caught.value.error == code, caught.value.message
    return caught.value


def sd_jwt_answer(container: Container, view: RequestView, award_id: str, key: KeyPair, **kb: Any) -> dict[str, str]:
    verifier = container.presentation_requests
    issued = container.sd_jwt.issue(award_id, holder_jwk=key.public.to_jwk())
    bound = add_key_binding(
        issued,
        holder_key=key,
        aud=kb.get("aud", view.client_id),
        nonce=kb.get("nonce", verifier.nonce(view.id)),
        iat=int(container.clock().timestamp()),
    )
    return {"vp_token": json.dumps({"learning_credential": [bound]}), "state": verifier.state(view.id)}


def test_request_object_is_signed_by_the_organisation_and_the_wallet_answers(container: Container) -> None:
    account, item, _ = claimed(container)
    view = make(container, SD_JWT, LDP_VC, min_eqf=4, claims=("achievement_title",))
    assert view.client_id == "decentralized_identifier:" + container.keys.did(UM)
    assert view.link.startswith("openid4vp://?client_id=decentralized_identifier%3Adid%3Aweb%3A")
    token = container.presentation_requests.request_object(view.request_uri.rsplit("/", 1)[1])
    header = json.loads(b64url_decode(token.split(".")[0]))
    assert header["typ"] == REQUEST_OBJECT_TYP
    assert header["kid"].startswith(container.keys.did(UM) + "#")
    incoming = container.wallet_answers.read(view.link)
    assert incoming.signed
    assert incoming.organisation == UM
    assert incoming.dcql == view.dcql
    found = container.wallet_answers.candidates(account, incoming)
    assert [i.id for i in found["learning_credential"]] == [item]
    answer = container.wallet_answers.answer(account, view.link, {"learning_credential": item})
    assert answer == {}
    after = container.presentation_requests.get(UM, view.id)
    assert after.status == "answered"
    assert after.result is not None
    assert after.result["verified"] is True
    report = after.result["reports"]["learning_credential"]
    assert report["format"] == "sd-jwt-vc"
    assert {c["check"]: c["outcome"] for c in report["checks"]}["key-binding"] == "pass"
    assert after.result["bound"] == {"learning_credential": True}
    with pytest.raises(NotFoundError):
        container.wallet_answers.read(view.link)  # the request object is gone once answered


def test_the_wallet_answers_with_a_data_integrity_presentation(container: Container) -> None:
    account, item, _ = claimed(container)
    view = make(container, LDP_VC)
    answer = container.wallet_answers.answer(account, view.link, {"open_badge_ldp": item})
    assert answer == {}
    result = container.presentation_requests.get(UM, view.id).result
    assert result is not None
    assert result["reports"]["open_badge_ldp"]["format"] == "presentation"
    # the award names its learner by a hashed email, not a DID: anyone holding a copy could present it, and the
    # verifier is told so
    assert result["bound"] == {"open_badge_ldp": False}


def test_replay_expiry_and_wrong_binding_are_refused_and_change_nothing(
    container: Container, clock: FixedClock
) -> None:
    _, _, award_id = claimed(container)
    key = KeyPair.generate(KeyType.P256)
    view = make(container)
    verifier = container.presentation_requests
    wrong_nonce = refused(verifier.respond, sd_jwt_answer(container, view, award_id, key, nonce="other"))
    assert "learning_credential" in wrong_nonce.message
    refused(verifier.respond, sd_jwt_answer(container, view, award_id, key, aud="decentralized_identifier:did:web:x"))
    assert row_of(container, view.id) == (None, None)
    good = sd_jwt_answer(container, view, award_id, key)
    assert verifier.respond(good) == {}
    answered = row_of(container, view.id)
    assert answered[0] is not None
    assert "already" in refused(verifier.respond, good).message
    assert row_of(container, view.id) == answered
    late = make(container)
    clock.advance(seconds=REQUEST_LIFETIME.total_seconds())
    assert "expired" in refused(verifier.respond, sd_jwt_answer(container, late, award_id, key)).message
    assert row_of(container, late.id) == (None, None)


def test_a_credential_that_does_not_match_the_query_is_refused_with_the_reason(container: Container) -> None:
    _, _, award_id = claimed(container)
    key = KeyPair.generate(KeyType.P256)
    view = make(container, min_eqf=8)
    error = refused(container.presentation_requests.respond, sd_jwt_answer(container, view, award_id, key))
    assert "level_of_learning_experience" in error.message
    assert row_of(container, view.id) == (None, None)


def test_someone_elses_credential_is_refused(container: Container, clock: FixedClock) -> None:
    view = make(container, LDP_VC)
    issuer = KeyPair.generate(KeyType.ED25519)
    mallory = KeyPair.generate(KeyType.ED25519)
    victim = did_key(KeyPair.generate(KeyType.ED25519).public)
    from cairn.vc import issue
    from cairn.vc.presentations import create_presentation

    credential = issue(
        {
            "@context": [
                "https://www.w3.org/ns/credentials/v2",
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            ],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": {"id": did_key(issuer.public), "type": ["Profile"], "name": "X"},
            "validFrom": "2026-01-01T00:00:00Z",
            "name": "A badge",
            "credentialSubject": {
                "id": victim,
                "type": ["AchievementSubject"],
                "achievement": {
                    "id": "urn:uuid:1d8e9f4a-0000-4000-8000-000000000001",
                    "type": ["Achievement"],
                    "name": "A",
                    "description": "A",
                    "criteria": {"narrative": "A"},
                },
            },
        },
        key=issuer,
        suite="eddsa-rdfc-2022",
        created=clock(),
        verification_method=f"{did_key(issuer.public)}#{did_key(issuer.public).removeprefix('did:key:')}",
    )
    holder = did_key(mallory.public)
    verifier = container.presentation_requests
    vp = create_presentation(
        [credential],
        holder=holder,
        key=mallory,
        verification_method=f"{holder}#{holder.removeprefix('did:key:')}",
        challenge=verifier.nonce(view.id),
        domain=view.client_id,
        created=clock(),
    )
    form = {"vp_token": json.dumps({"open_badge_ldp": [vp]}), "state": verifier.state(view.id)}
    assert "someone else" in refused(verifier.respond, form).message
    assert row_of(container, view.id) == (None, None)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "{",
        "[]",
        '{"other": ["x"]}',
        '{"learning_credential": "x"}',
        '{"learning_credential": ["a", "b"]}',
        '{"learning_credential": ["not~an~sd-jwt"]}',
    ],
)
def test_malformed_vp_token_is_refused(container: Container, token: str) -> None:
    view = make(container)
    verifier = container.presentation_requests
    refused(verifier.respond, {"vp_token": token, "state": verifier.state(view.id)})
    refused(verifier.respond, {"vp_token": token, "state": "unknown"})
    assert row_of(container, view.id) == (None, None)


def test_the_wallet_refuses_another_host_and_another_organisations_key(container: Container) -> None:
    view = make(container)
    container.wallet_answers.outbound = None  # another host's request is fetched by the outbound client only
    with pytest.raises(InputError, match="answers its own verifiers only"):
        container.wallet_answers.read("openid4vp://?request_uri=https%3A%2F%2Fevil.example%2Fr%2F1")
    handle = view.request_uri.rsplit("/", 1)[1]
    good = container.presentation_requests.request_object(handle)
    _, payload, _ = good.split(".")
    other = container.keys.ensure_key(UM)  # the organisation's key id, signed by another key
    forged_key = KeyPair.generate(KeyType.P256)
    claims = json.loads(b64url_decode(payload))
    forged = sign_jwt(claims, key=forged_key, kid=other.verification_method, typ=REQUEST_OBJECT_TYP)
    from cairn.vc.request_object import verify_request_object

    checked = verify_request_object(forged, fetcher=container.verification.fetcher, now=container.clock())
    assert not checked.ok
    assert verify_request_object(good, fetcher=container.verification.fetcher, now=container.clock()).ok


def test_an_unsigned_request_goes_by_value_and_cairns_wallet_answers_it(container: Container) -> None:
    from urllib.parse import parse_qs, urlsplit

    from cairn.formats.qr import qr_code

    account, item, _ = claimed(container)
    demo = ("given_name", "family_name", "achievement_title", "field_of_education")  # the demo request's query
    demo_link = make(container, SD_JWT, LDP_VC, signed=False, min_eqf=5, claims=demo).link
    assert int(qr_code(demo_link).version) <= 30  # still scannable from a screen
    view = make(container, SD_JWT, LDP_VC, signed=False, min_eqf=5, claims=demo[2:])  # Ada's award names no name
    fields = {k: v[0] for k, v in parse_qs(urlsplit(view.link).query).items()}
    assert "request_uri" not in fields
    assert fields["client_id"] == view.client_id == f"redirect_uri:{PUBLIC}/openid4vp/response"
    assert (fields["response_type"], fields["response_mode"]) == ("vp_token", "direct_post")
    assert fields["response_uri"] == f"{PUBLIC}/openid4vp/response"
    assert json.loads(fields["dcql_query"]) == view.dcql
    with pytest.raises(InputError, match="client_id"):
        container.wallet_answers.read(view.link.replace(f"client_id=redirect_uri:{PUBLIC}", "client_id=redirect_uri:x"))
    incoming = container.wallet_answers.read(view.link)
    assert (incoming.signed, incoming.external, incoming.organisation) == (False, False, "")
    assert (incoming.nonce, incoming.state) == (fields["nonce"], fields["state"])
    assert container.wallet_answers.answer(account, view.link, {"learning_credential": item}) == {}
    result = container.presentation_requests.get(UM, view.id).result
    assert result is not None
    assert result["verified"] is True
    with pytest.raises(NotFoundError):
        container.wallet_answers.read(view.link)  # answered: its state names no open request
