"""The trust network: chains of accreditations decide who vouches for an issuer, never a name."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import cairn.services.verification.service as service_module
from cairn.bootstrap import Container
from cairn.errors import InputError
from cairn.model.awards import Recipient
from cairn.model.trust import LegalIdentity, claim_of, vouch
from cairn.services.trust.registry import CONTEXTS, RegistryService
from cairn.store.database import Database
from cairn.vc.issuance import issue
from cairn.vc.report import Outcome, Report
from tests.factories import DEFINITION, ORG, OTHER_KEY, FixedClock, add_organisation, foreign, make_container
from tests.trust_network import AGENCY, MINISTRY, Network


def trust_check(report: Report) -> tuple[Outcome, str]:
    check = next(c for c in report.checks if c.name == "issuer-trust")
    return check.outcome, check.reason


@pytest.fixture
def instance(container: Container, network: Network) -> Container:
    """The example catalogue with the network of :mod:`tests.trust_network`: a ministry (anchor) accrediting an
    agency for ISCED-F 06 at EQF 5-6 until 2028, the agency accrediting the university for ISCED-F 061."""
    return container


def award(container: Container, email: str = "ann@example.org", definition: str = DEFINITION) -> dict[str, Any]:
    result = container.issuing.award(definition, Recipient(email=email, name="Ann"), actor="test", organisation=ORG)
    credential = container.issuing.get(result.award_id, organisation=ORG).credential
    assert isinstance(credential, dict)
    return credential


def test_a_chain_to_the_anchor_vouches_and_says_who_in_words(instance: Container) -> None:
    report = instance.verification.verify(award(instance))
    assert report.verified
    assert report.vouched
    assert report.verdict == "Authentic and vouched for"
    outcome, reason = trust_check(report)
    assert outcome is Outcome.PASS
    assert "accredited by Quality Agency for ISCED-F 061" in reason
    assert "itself accredited by Ministry of Science for EQF 5-6 in ISCED-F 06 until 2028-01-01" in reason
    chain = report.trust["chain"]
    assert [link["accredited_by"] for link in chain] == ["Quality Agency", "Ministry of Science"]
    assert report.trust["identity"]["legalName"] == "Uniwersytet Mazowiecki"
    assert report.to_dict()["vouched"] is True


def test_a_forged_issuer_naming_itself_the_university_is_authentic_but_nobody_vouches(instance: Container) -> None:
    forged = {k: v for k, v in foreign().items() if k != "proof"}
    forged["issuer"] = {**forged["issuer"], "name": "Uniwersytet Mazowiecki"}
    signed = issue(forged, key=OTHER_KEY, suite="eddsa-rdfc-2022", created="2025-03-01T00:00:00Z")
    assert isinstance(signed, dict)
    report = instance.verification.verify(signed)
    assert report.verified
    assert report.vouched is False
    assert report.verdict == "Authentic, but nobody vouches for the issuer"
    outcome, reason = trust_check(report)
    assert outcome is Outcome.WARNING
    assert reason.startswith("nobody this instance trusts vouches for the issuer")
    assert "identity" not in report.trust


def test_the_trust_index_reads_a_credential_only_for_an_issuer_it_knows(instance: Container, clock: FixedClock) -> None:
    """An issuer no accreditation names and no anchor is gets the answer it would get after reading the credential
    (its award time, levels and fields: none can change it); one that has accreditations is judged on them."""
    index = instance.trust.index()
    outside = award(instance, definition="um-applied-statistics")
    university = instance.keys.did(ORG)
    for identifiers in (["did:web:nobody.example"], ["did:key:z6MkunknownX"], [university]):
        full = vouch(identifiers, claim_of(outside, fallback=clock()), lookup=index.lookup, anchors=index.anchors)
        found = index.vouch(identifiers, outside, clock())
        assert (found.chain, str(found.reason), found.identity) == (full.chain, str(full.reason), full.identity)
    assert "ISCED-F 0542 is outside ISCED-F 061" in str(index.vouch([university], outside, clock()).reason)
    assert index.vouch([university], award(instance), clock()).chain is not None


def test_an_award_outside_the_scope_is_not_vouched_for_and_says_why(instance: Container) -> None:
    # um-applied-statistics is ISCED-F 0542: outside the agency's accreditation of the university (061).
    report = instance.verification.verify(award(instance, definition="um-applied-statistics"))
    assert report.vouched is False
    assert "ISCED-F 0542 is outside ISCED-F 061" in trust_check(report)[1]


def test_withdrawing_an_accreditation_changes_the_verdict_of_later_awards_only(
    instance: Container, clock: FixedClock
) -> None:
    before = award(instance, "before@example.org")
    clock.advance(days=1)
    stored = instance.registry.accreditations(AGENCY)[0]
    instance.registry.change_status(
        AGENCY, stored.accreditation.id, status="withdrawn", reason="failed its review", actor="test"
    )
    clock.advance(days=1)
    after = award(instance, "after@example.org")
    assert instance.verification.verify(before).vouched is True
    late = instance.verification.verify(after)
    assert late.vouched is False
    assert "withdrawn" in trust_check(late)[1]
    assert "failed its review" in trust_check(late)[1]
    with pytest.raises(InputError):
        instance.registry.change_status(AGENCY, stored.accreditation.id, status="active", reason="", actor="test")


def test_suspension_and_reinstatement(instance: Container, clock: FixedClock) -> None:
    stored = instance.registry.accreditations(AGENCY)[0]
    instance.registry.change_status(AGENCY, stored.accreditation.id, status="suspended", reason="audit", actor="t")
    clock.advance(hours=1)
    assert instance.verification.verify(award(instance, "a@example.org")).vouched is False
    instance.registry.change_status(AGENCY, stored.accreditation.id, status="active", reason="", actor="t")
    clock.advance(hours=1)
    assert instance.verification.verify(award(instance, "b@example.org")).vouched is True


def test_a_body_accredited_as_an_issuer_cannot_accredit_others(
    database: Database, clock: FixedClock, examples: Path
) -> None:
    container = make_container(database, clock, examples)
    add_organisation(database, clock, MINISTRY, "Ministry of Science")
    add_organisation(database, clock, AGENCY, "Quality Agency")
    container.registry.add_anchor(MINISTRY, actor="test")
    identity = LegalIdentity("Quality Agency", "PL")
    agency = container.keys.did(AGENCY)
    container.registry.accredit(MINISTRY, actor="t", kind="issuer", subjects=[agency], identity=identity)
    university = LegalIdentity("Uniwersytet Mazowiecki", "PL")
    container.registry.accredit(
        AGENCY, actor="t", kind="issuer", subjects=[container.keys.did(ORG)], identity=university
    )
    report = container.verification.verify(award(container))
    assert report.vouched is False
    assert "not to accredit others" in trust_check(report)[1]


def test_a_loop_of_bodies_without_an_anchor_vouches_for_nobody(
    database: Database, clock: FixedClock, examples: Path
) -> None:
    container = make_container(database, clock, examples)
    add_organisation(database, clock, MINISTRY, "Ministry of Science")
    add_organisation(database, clock, AGENCY, "Quality Agency")
    did = container.keys.did
    for accreditor, subject in ((MINISTRY, AGENCY), (AGENCY, MINISTRY)):
        container.registry.accredit(
            accreditor, actor="t", kind="body", subjects=[did(subject)], identity=LegalIdentity(subject, "PL")
        )
    container.registry.accredit(
        AGENCY, actor="t", kind="issuer", subjects=[did(ORG)], identity=LegalIdentity("University", "PL")
    )
    report = container.verification.verify(award(container))
    assert report.vouched is False
    assert "loops" in trust_check(report)[1]


def test_accreditations_are_signed_credentials_that_verify(instance: Container) -> None:
    stored = instance.registry.accreditations(AGENCY)[0]
    credential = stored.credential
    assert credential["@context"] == CONTEXTS
    assert credential["type"] == ["VerifiableCredential", "VerifiableAccreditation"]
    report = instance.verification.verify(credential)
    assert report.verified, report.text()
    # the agency itself is vouched for by the ministry's accreditation
    assert report.vouched is True


def test_bad_accreditations_are_refused(instance: Container) -> None:
    identity = LegalIdentity("X", "PL")
    with pytest.raises(InputError, match="DID"):
        instance.registry.accredit(AGENCY, actor="t", kind="issuer", subjects=[], identity=identity)
    with pytest.raises(InputError, match="not a DID"):
        instance.registry.accredit(
            AGENCY, actor="t", kind="issuer", subjects=["Mazovian University"], identity=identity
        )
    with pytest.raises(InputError, match="itself"):
        instance.registry.accredit(
            AGENCY, actor="t", kind="issuer", subjects=[instance.keys.did(AGENCY)], identity=identity
        )
    with pytest.raises(InputError, match="country"):
        instance.registry.accredit(
            AGENCY, actor="t", kind="issuer", subjects=["did:key:z6Mkx"], identity=LegalIdentity("X", "Poland")
        )


def test_the_trust_list_is_signed_and_holds_the_subtree(instance: Container) -> None:
    published = instance.registry.trust_list(MINISTRY)
    document = instance.registry.parse_list(published.body)
    entries = document["credentialSubject"]["accreditations"]
    assert {e["accreditedBy"] for e in entries} == {instance.keys.did(MINISTRY), instance.keys.did(AGENCY)}
    assert document["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    assert instance.verification.verify(document).verified
    assert instance.registry.trust_list(MINISTRY).etag == published.etag  # cached until something changes
    agency_list = instance.registry.parse_list(instance.registry.trust_list(AGENCY).body)
    assert len(agency_list["credentialSubject"]["accreditations"]) == 1


def test_the_event_loop_never_waits_on_the_trust_index(instance: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    """A small did:key credential is verified inline only while the trust snapshot needs no database work."""
    moved: list[str] = []
    real = service_module._in_thread

    async def counting(function: Any, *args: Any, **kwargs: Any) -> Any:
        moved.append(function.__name__)
        return await real(function, *args, **kwargs)

    monkeypatch.setattr(service_module, "_in_thread", counting)
    small = foreign()
    size = len(json.dumps(small))

    def verify_on_a_loop() -> Report:
        with ThreadPoolExecutor(max_workers=1) as pool:  # a loop of its own (another test may hold this thread's)
            report: Report = pool.submit(
                lambda: asyncio.run(instance.verification.verify_async(small, size=size))
            ).result()
            return report

    instance.trust.invalidate()  # a check of the trust revision is due: database work
    assert verify_on_a_loop().verified
    assert moved == ["verify"]
    assert instance.trust.current()
    assert verify_on_a_loop().verified  # the snapshot is fresh: inline
    assert moved == ["verify"]


def test_every_process_serves_the_same_etag_for_the_same_list(
    instance: Container, network: Network, clock: FixedClock
) -> None:
    """Each process signs its own copy of a list; the copies are equivalent, so they share a weak ETag (a 304
    whichever process answers) until the entries change or the half-life period turns."""
    registry = instance.registry
    other = RegistryService(
        instance.database, clock=clock, keys=instance.keys, network=instance.trust, public_url=registry.public_url
    )
    first = registry.trust_list(MINISTRY)
    clock.advance(seconds=5)
    second = other.trust_list(MINISTRY)
    assert first.body != second.body  # signed at another time
    assert first.etag == second.etag
    assert first.etag.startswith('W/"')
    registry.change_status(MINISTRY, network.body, status="suspended", reason="audit", actor="test")
    changed = other.trust_list(MINISTRY)
    assert changed.etag != first.etag
    assert registry.trust_list(MINISTRY).etag == changed.etag
    clock.advance(days=4)  # past half of the seven-day life: a new period, re-signed
    later = other.trust_list(MINISTRY)
    assert later.etag != changed.etag
    assert later.valid_until > changed.valid_until


def test_a_chain_is_explained_once_per_snapshot_and_each_caller_gets_its_own_copy(
    instance: Container, network: Network
) -> None:
    vouching = instance.trust.vouching([network.university_did], award(instance))
    assert vouching.chain is not None
    links, sentence = instance.trust.explain(vouching.chain)
    assert links == instance.trust.describe(vouching.chain)
    assert sentence == vouching.chain.describe()
    links[0]["accredited"] = "changed by a caller"
    again, same = instance.trust.explain(vouching.chain)
    assert again[0]["accredited"] == "Uniwersytet Mazowiecki"
    assert same is sentence  # kept
    instance.registry.change_status(MINISTRY, network.body, status="suspended", reason="audit", actor="test")
    instance.trust.invalidate()
    assert instance.trust.explain(vouching.chain)[1] is not sentence  # a new snapshot explains afresh
