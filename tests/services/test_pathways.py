"""Pathways end to end in the services, on SQLite and PostgreSQL: saving with checks, a wallet's progress with
catalogue suggestions, claiming the composite from the wallet or with a presentation, the issuer's review, and
verifying a composite again after one of its components is revoked."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.errors import CatalogError, ConflictError, InputError
from cairn.model.awards import Recipient
from cairn.vc import issue
from tests.factories import HOLDER_DID, HOLDER_KEY, FixedClock, present

DEMO = "um-data-analysis-foundations"
UM, SB = "uniwersytet-mazowiecki", "skillbridge-europe"
ADA = "ada@example.org"


def _holder(container: Container, definitions: list[str], email: str = ADA) -> int:
    """An account whose wallet holds one award of each definition, claimed from its email."""
    account = container.accounts.create_account(email=email).id
    for slug in definitions:
        org = SB if slug.startswith("sb-") else UM
        result = container.issuing.award(slug, Recipient(email=email, name="Ada"), actor="test", organisation=org)
        assert result.claim_token
        container.wallet.add_from_claim(account, email, result.claim_token)
    return account


def _pathway(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "um-sql-and-python",
        "title": {"en": "SQL and Python", "pl": "SQL i Python"},
        "issuer": UM,
        "target": DEMO,
        "review": "issuer",
        "rules": {
            "all": [
                {"component": {"definition": "um-sql-databases"}},
                {"component": {"definition": "um-python-data-analysis"}},
            ]
        },
    }
    data.update(changes)
    return data


def test_the_demo_pathway_is_stored_from_the_catalogue(container: Container) -> None:
    view = container.pathways.get(DEMO)
    assert (view.version, view.issuer.id, view.pathway.review) == (1, UM, "automatic")
    assert view.pathway.qualification is not None
    assert view.pathway.qualification.register_ == "ZRK"
    assert [v.slug for v in container.pathways.all()] == [DEMO]


def test_saving_checks_the_rules_and_versions_what_changed(container: Container) -> None:
    pathways = container.pathways
    assert pathways.save(_pathway(), actor="test") == ("created", 1)
    assert pathways.save(_pathway(), actor="test") == ("unchanged", 1)
    assert pathways.save(_pathway(title={"en": "SQL, then Python"}), actor="test") == ("new-version", 2)
    assert pathways.versions("um-sql-and-python") == [1, 2]
    assert pathways.get("um-sql-and-python", 1).pathway.title == {"en": "SQL and Python", "pl": "SQL i Python"}

    unknown = _pathway(id="broken", rules={"component": {"definition": "no-such-course"}})
    with pytest.raises(CatalogError) as caught:
        pathways.save(unknown, actor="test")
    assert any("no-such-course" in p.message and p.path.startswith("rules") for p in caught.value.problems)
    with pytest.raises(CatalogError) as caught:
        pathways.save(_pathway(id="elsewhere", target="sb-cloud-applications"), actor="test")
    assert [p.path for p in caught.value.problems] == ["target"]
    with pytest.raises(CatalogError) as caught:  # a field the format does not have, with its path
        pathways.save(_pathway(id="typo", rules={"al": []}), actor="test")
    assert caught.value.problems
    assert all(p.path.startswith("rules") for p in caught.value.problems)
    assert [v.slug for v in pathways.all()] == [DEMO, "um-sql-and-python"]


def test_a_pathway_may_not_need_its_own_target_through_another(container: Container) -> None:
    # the demo pathway awards DEMO for um-sql-databases (and more); this one would award um-sql-databases for DEMO
    cyclic = _pathway(id="backwards", target="um-sql-databases", rules={"component": {"definition": DEMO}})
    with pytest.raises(CatalogError) as caught:
        container.pathways.save(cyclic, actor="test")
    assert any("cycle" in p.message or "itself" in p.message for p in caught.value.problems)
    assert [v.slug for v in container.pathways.all(drafts=True)] == [DEMO]


def test_only_the_issuer_saves_its_pathways(container: Container) -> None:
    with pytest.raises(Exception, match="organisation that awards"):
        container.pathways.save(_pathway(), organisation=SB, actor="test")


def test_progress_says_what_is_done_by_which_credential_and_what_would_close_the_gap(container: Container) -> None:
    account = _holder(container, ["um-python-data-analysis"])
    [progress] = container.pathways.progress(account)
    evaluation = progress.evaluation
    assert progress.view.slug == DEMO
    assert not evaluation.met
    assert evaluation.touched
    assert len(evaluation.used) == 1
    assert {m.definition for m in evaluation.missing} >= {"um-sql-databases"}
    sql_gap = next(m for m in evaluation.missing if m.definition == "um-sql-databases")
    assert [s.slug for s in progress.suggestions[sql_gap.path]] == ["um-sql-databases"]
    assert progress.ects_left == 8  # 13 needed, 5 done
    assert progress.titles[evaluation.used[0]]
    assert str(evaluation.explanation)


def test_a_wallet_untouched_by_a_pathway_sees_it_only_when_following(container: Container) -> None:
    account = _holder(container, ["sb-cyber-security-essentials"])
    assert container.pathways.progress(account) == []
    container.pathways.follow(account, DEMO)
    [progress] = container.pathways.progress(account)
    assert progress.following
    assert progress.evaluation.progress == 0
    container.pathways.follow(account, DEMO, following=False)
    assert container.pathways.progress(account) == []


def test_claiming_from_the_wallet_awards_the_composite_once_and_it_verifies_with_its_components(
    container: Container, clock: FixedClock
) -> None:
    account = _holder(container, ["um-python-data-analysis", "um-sql-databases", "sb-cloud-applications"])
    [progress] = container.pathways.progress(account)
    assert progress.evaluation.met, progress.evaluation.explanation
    claim = container.pathway_claims.claim_from_wallet(account, DEMO)
    assert claim.state == "awarded"
    assert claim.award_id
    assert len(claim.components) == 3
    assert all(c.counted for c in claim.components)
    assert container.pathway_claims.claim_from_wallet(account, DEMO).award_id == claim.award_id  # never twice

    composite = container.issuing.get(claim.award_id).credential
    assert isinstance(composite, dict)
    digests = {r["id"]: r["digestSRI"] for r in composite["relatedResource"]}
    assert set(digests) == {c.id for c in claim.components}
    assert all(d.startswith("sha384-") for d in digests.values())
    titles = [item.title for item in container.wallet.list(account)]
    assert any("Foundations of data analysis" in t for t in titles)  # the composite went into the wallet

    report = container.verification.verify(composite)
    assert report.verified
    assert report.outcome_of("composite") is not None
    said = next(c.reason for c in report.checks if c.name == "composite")
    assert "stacked from 3 micro-credentials by 2 issuers" in said
    assert "version 1 met" in said

    sql = next(c for c in claim.components if "SQL" in c.title)
    award_of_sql = sql.id.removeprefix("urn:uuid:")
    container.status_lists.revoke(award_of_sql, reason="exam annulled", actor="registrar")
    clock.advance(minutes=5)
    again = container.verification.verify(composite)
    assert not again.verified
    said = next(c.reason for c in again.checks if c.name == "composite")
    assert "revoked" in said
    assert "no longer met" in said


class CountingFetcher:
    """The instance's fetcher, counting what is asked of it."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.asked: list[str] = []

    def fetch(self, url: str) -> Any:
        self.asked.append(url)
        return self.inner.fetch(url)


def test_a_composite_reads_each_document_once_per_verification_and_anew_the_next_time(container: Container) -> None:
    account = _holder(container, ["um-python-data-analysis", "um-sql-databases", "sb-cloud-applications"])
    claim = container.pathway_claims.claim_from_wallet(account, DEMO)
    assert claim.award_id
    composite = container.issuing.get(claim.award_id).credential
    counting = CountingFetcher(container.verification.fetcher)
    container.verification.fetcher = counting
    assert container.verification.verify(composite).verified
    first = list(counting.asked)
    assert first, "the DID documents and status lists are read"
    # 4 credentials by 2 issuers, each naming its issuer's DID document 3 times (its proof, its two status lists'
    # proofs): each DID document and each status list is read once
    counted = Counter(first)
    assert len(counted) == 6, counted  # 2 DID documents and 2 status lists of each issuer
    assert set(counted.values()) == {1}, counted
    assert any("/status/revocation/" in url for url in first)
    counting.asked.clear()
    assert container.verification.verify(composite).verified
    assert sorted(counting.asked) == sorted(first)  # the next verification reads them again (status now)


def test_the_rules_not_met_are_said_and_nothing_is_awarded(container: Container) -> None:
    account = _holder(container, ["um-python-data-analysis"])
    with pytest.raises(ConflictError, match="not complete"):
        container.pathway_claims.claim_from_wallet(account, DEMO)


def test_a_presentation_from_another_wallet_goes_to_review_then_the_issuer_decides(container: Container) -> None:
    container.pathways.save(_pathway(), actor="test")
    key, did = HOLDER_KEY, HOLDER_DID
    held = [
        container.issuing.award(slug, Recipient(did=did, name="Bo"), actor="test", organisation=UM).credential
        for slug in ("um-sql-databases", "um-python-data-analysis")
    ]
    claims = container.pathway_claims
    challenge = claims.challenge("um-sql-and-python")
    claim = claims.claim_presentation(
        "um-sql-and-python", present(held, challenge, claims.domain, key), challenge=challenge
    )
    assert (claim.state, claim.holder, claim.award_id) == ("review", did, None)
    assert [c.public_id for c in claims.claims("um-sql-and-python", organisation=UM, states=["review"])] == [
        claim.public_id
    ]
    with pytest.raises(InputError, match="why"):
        claims.decide(claim.public_id, organisation=UM, approve=False, reason=" ", actor="registrar")
    decided = claims.decide(claim.public_id, organisation=UM, approve=True, reason="", actor="registrar")
    assert decided.state == "awarded"
    assert decided.award_id
    composite = container.issuing.get(decided.award_id).credential
    assert isinstance(composite, dict)
    assert composite["credentialSubject"]["id"] == did
    again = claims.claim_presentation(  # the same presentation, replayed: the same claim, no second award
        "um-sql-and-python", present(held, challenge, claims.domain, key), challenge=challenge
    )
    assert again.public_id == claim.public_id
    assert again.award_id == decided.award_id


def test_someone_elses_credentials_and_forged_issuers_never_count(container: Container) -> None:
    container.pathways.save(_pathway(review="automatic"), actor="test")
    key, did = HOLDER_KEY, HOLDER_DID
    theirs = [
        container.issuing.award(slug, Recipient(did="did:key:z6MkSomeoneElse", name="Cy"), actor="t", organisation=UM)
        for slug in ("um-sql-databases", "um-python-data-analysis")
    ]
    claims = container.pathway_claims
    challenge = claims.challenge("um-sql-and-python")
    with pytest.raises(ConflictError, match="not met"):
        claims.claim_presentation(
            "um-sql-and-python",
            present([t.credential for t in theirs], challenge, claims.domain, key),
            challenge=challenge,
        )
    # a credential the holder signed themselves, naming the university's achievement, counts for nothing
    own = container.issuing.get(theirs[0].award_id).credential
    assert isinstance(own, dict)
    forged = {k: v for k, v in own.items() if k not in ("proof", "credentialStatus")}
    forged["issuer"] = {"id": did, "type": ["Profile"], "name": "Uniwersytet Mazowiecki"}
    forged["credentialSubject"] = {**forged["credentialSubject"], "id": did}
    signed = [
        issue(forged, key=key, suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z"),
        issue(
            {**forged, "id": "urn:uuid:00000000-0000-4000-8000-000000000001"},
            key=key,
            suite="eddsa-rdfc-2022",
            created="2026-05-04T09:30:00Z",
        ),
    ]
    with pytest.raises(ConflictError, match="not met"):
        claims.claim_presentation(
            "um-sql-and-python", present(signed, challenge, claims.domain, key), challenge=challenge
        )


def test_challenges_are_bound_to_their_pathway_and_expire(container: Container, clock: FixedClock) -> None:
    container.pathways.save(_pathway(), actor="test")
    claims = container.pathway_claims
    other = claims.challenge(DEMO)
    with pytest.raises(InputError, match="another pathway"):
        claims.claim_presentation("um-sql-and-python", {}, challenge=other)
    with pytest.raises(InputError, match="not a challenge"):
        claims.claim_presentation("um-sql-and-python", {}, challenge="made-up")
    fresh = claims.challenge("um-sql-and-python")
    clock.advance(minutes=11)
    with pytest.raises(InputError, match="expired"):
        claims.claim_presentation("um-sql-and-python", {}, challenge=fresh)
