"""The one verification use case: issuer trust is a check in the report, judged from proven identities only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import cairn.services.verification.service as service_module
from cairn.services.trust.operator import TrustEntry, TrustList
from cairn.services.verification.service import TRUST_REASONS, VerificationService
from cairn.vc.dids import did_key
from cairn.vc.fetch import DictFetcher
from cairn.vc.presentations import create_presentation
from cairn.vc.report import Outcome, Report
from tests.factories import ED, FixedClock, signed_json

ISSUER = did_key(ED.public)


def trust_check(report: Report) -> tuple[Outcome | None, str]:
    return report.outcome_of("issuer-trust"), str(report.trust.get("reason"))


def service(trust: TrustList, clock: FixedClock) -> VerificationService:
    return VerificationService(fetcher=None, clock=clock, trust=trust)


def credential() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(signed_json())
    return found


def test_a_did_the_operator_lists_passes(clock: FixedClock) -> None:
    listed = TrustList([TrustEntry(did=ISSUER, note="accredited")], source="test")
    report = service(listed, clock).verify(credential())
    assert report.verified
    assert trust_check(report) == (Outcome.PASS, TRUST_REASONS["operator"])
    assert report.trust["vouched"] is True
    assert report.trust["by"] == "operator"
    assert report.verdict == "Authentic and vouched for"
    assert report.to_dict()["trust"]["vouched"] is True


def test_a_name_the_signer_wrote_is_never_trust(clock: FixedClock) -> None:
    name = credential()["issuer"]["name"]
    elsewhere = TrustList([TrustEntry(did="did:web:elsewhere.example", organisation=name, name=name)], source="t")
    report = service(elsewhere, clock).verify(credential())
    outcome, reason = trust_check(report)
    assert outcome is Outcome.WARNING
    assert reason.startswith(TRUST_REASONS["nobody"])
    assert report.trust["vouched"] is False
    assert report.verdict == "Authentic, but nobody vouches for the issuer"


def test_unlisted_and_unproven_issuers(clock: FixedClock) -> None:
    nobody = service(TrustList(), clock).verify(credential())
    assert trust_check(nobody)[0] is Outcome.WARNING
    assert nobody.verified
    assert nobody.vouched is False
    tampered = dict(credential(), name="Changed after signing")
    listed = TrustList([TrustEntry(did=ISSUER)], source="test")
    forged = service(listed, clock).verify(tampered)
    assert not forged.verified
    assert trust_check(forged) == (Outcome.SKIPPED, TRUST_REASONS["unproven"])
    assert forged.trust["vouched"] is False
    assert forged.verdict == "Not verified"


def test_each_credential_inside_a_presentation_is_judged(clock: FixedClock) -> None:
    presentation = create_presentation(
        [credential()],
        holder=ISSUER,
        key=ED,
        verification_method=f"{ISSUER}#{ISSUER.removeprefix('did:key:')}",
        challenge="c",
        domain="verifier.example",
        created="2026-05-04T10:00:00Z",
    )
    listed = TrustList([TrustEntry(did=ISSUER)], source="test")
    report = service(listed, clock).verify(presentation, challenge="c", domain="verifier.example")
    assert report.verified, report.text()
    assert report.credentials
    assert all(trust_check(inner)[0] is Outcome.PASS for inner in report.credentials)
    assert report.outcome_of("issuer-trust") is None  # a presentation has a holder, not an issuer
    assert report.vouched is True


def on_a_fresh_loop(make: Callable[[], Coroutine[Any, Any, Report]]) -> Report:
    """Run the coroutine ``make`` gives on an event loop of its own thread (other tests may leave one running
    in this thread, where ``asyncio.run`` refuses to start)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def test_inline_verification_stays_on_the_loop_and_a_fetch_moves_it_to_a_thread(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    real = service_module._in_thread

    async def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(function.__name__)
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(service_module, "_in_thread", counting)
    verifier = VerificationService(fetcher=DictFetcher({}), clock=clock, trust=TrustList())
    small = credential()
    report = on_a_fresh_loop(lambda: verifier.verify_async(small, size=len(json.dumps(small))))
    assert report.verified
    assert threads == []
    unknown_size = on_a_fresh_loop(lambda: verifier.verify_async(small, size=None))
    assert unknown_size.verified
    assert threads == ["verify"]


def _url_issued() -> dict[str, Any]:
    from cairn.vc.issuance import issue

    unsigned = {k: v for k, v in credential().items() if k != "proof"}
    unsigned["issuer"] = {**unsigned["issuer"], "id": "https://university.example"}
    secured = issue(unsigned, key=ED, suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z")
    assert isinstance(secured, dict)
    return secured


def test_trust_never_follows_an_issuer_whose_key_is_not_shown_to_be_its_own(clock: FixedClock) -> None:
    # Mallory signs with her did:key a credential naming a listed https issuer: the signature holds, the name is hers
    listed = TrustList([TrustEntry(did="https://university.example"), TrustEntry(did=ISSUER)], source="test")
    report = service(listed, clock).verify(_url_issued())
    assert report.outcome_of("issuer-key") is Outcome.WARNING
    assert trust_check(report) == (Outcome.SKIPPED, TRUST_REASONS["unconfirmed"])
    assert report.vouched is False
    # the same when the caller left the issuer-key check out
    proof_only = service(listed, clock).verify(credential(), checks={"status"})
    assert proof_only.outcome_of("issuer-key") is Outcome.SKIPPED
    assert trust_check(proof_only) == (Outcome.SKIPPED, TRUST_REASONS["unconfirmed"])
    assert trust_check(service(listed, clock).verify(credential()))[0] is Outcome.PASS


def test_credentials_inside_an_enveloped_presentation_are_judged(clock: FixedClock) -> None:
    from cairn.vc.presentations import create_presentation_jwt, envelop_presentation

    token = create_presentation_jwt(
        [credential()],
        holder=ISSUER,
        key=ED,
        kid=f"{ISSUER}#{ISSUER.removeprefix('did:key:')}",
        challenge="c",
        domain="verifier.example",
    )
    listed = TrustList([TrustEntry(did=ISSUER)], source="test")
    report = service(listed, clock).verify(envelop_presentation(token), challenge="c", domain="verifier.example")
    assert report.verified, report.text()
    assert report.format == "enveloped-vp-jwt"
    assert report.outcome_of("issuer-trust") is None
    assert [trust_check(inner)[0] for inner in report.credentials] == [Outcome.PASS]
