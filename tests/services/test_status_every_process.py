"""A verification served by any process says the status as it is now (SQLite and PostgreSQL): two containers over
one database stand for two ``cairn serve`` processes, each verifying through its own services, fetcher and memory.
A revocation, a suspension or a reinstatement made by either shows on the very next verification in both, however
often they verified before (nothing they remember outlives a change), and so does a rotated key: the lists they
read are signed with it. The clock never moves: no cache that expires with time could pass."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

import cairn.services.issuing.status_publications as publications
import cairn.vc.issuer_keys as issuer_keys
from cairn.bootstrap import Container, build
from cairn.model.awards import Recipient
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import StatusListRow
from cairn.vc import dids
from cairn.vc.fetch import Fetcher
from cairn.vc.keys import PublicKey
from cairn.vc.report import Outcome, Report
from tests.factories import DEFINITION, ORG, PUBLIC_URL, FixedClock, make_container
from tests.helpers import outcomes

PASS, FAIL = Outcome.PASS, Outcome.FAIL


@pytest.fixture
def processes(database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[Container, Container]]:
    """Two containers, each with a Database of its own over the one database (its own engine, connections and
    whatever the Database keeps between reads), as two processes have."""
    one = make_container(database, clock, examples)
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url=PUBLIC_URL)
    own = Database(database.url)
    own.audit_key = database.audit_key
    two = dataclasses.replace(build(settings, clock=clock, database=own))
    yield one, two
    own.dispose()


def _award(container: Container, email: str) -> tuple[str, dict[str, Any]]:
    result = container.issuing.award(DEFINITION, Recipient(email=email), actor="test", organisation=ORG)
    assert isinstance(result.credential, dict)
    return result.award_id, result.credential


def _status(container: Container, credential: dict[str, Any], times: int = 3) -> list[Outcome]:
    """The status outcomes (revocation, suspension) of ``times`` verifications in a row, which must agree."""
    seen = []
    for _ in range(times):
        report: Report = container.verification.verify(credential)
        assert outcomes(report, "proof") == [PASS], report.text()
        seen.append(outcomes(report, "status"))
    assert all(s == seen[0] for s in seen), seen
    return seen[0]


def _list(container: Container, credential: dict[str, Any], purpose: str) -> dict[str, Any]:
    """The status list credential of ``purpose`` as the container's verifier reads it."""
    url = next(e["statusListCredential"] for e in credential["credentialStatus"] if e["statusPurpose"] == purpose)
    fetcher = container.verification.fetcher
    assert fetcher is not None
    found: dict[str, Any] = json.loads(fetcher.fetch(url).content)
    return found


def test_every_change_shows_on_the_next_verification_in_every_process(processes: tuple[Container, Container]) -> None:
    one, two = processes
    ann_id, ann = _award(one, "ann@example.org")
    bob_id, bob = _award(one, "bob@example.org")
    for process in (one, two):  # each process has verified both, many times: whatever it remembers is warm
        assert _status(process, ann) == [PASS, PASS]
        assert _status(process, bob) == [PASS, PASS]
    one.status_lists.suspend(ann_id, reason="under review", actor="registrar", organisation=ORG)
    assert _status(two, ann) == [PASS, FAIL]
    assert _status(one, ann) == [PASS, FAIL]
    assert _status(two, bob) == [PASS, PASS]  # the same lists, another index
    two.status_lists.unsuspend(ann_id, reason="cleared", actor="registrar", organisation=ORG)
    assert _status(one, ann) == [PASS, PASS]
    assert _status(two, ann) == [PASS, PASS]
    two.status_lists.suspend(bob_id, reason="under review", actor="registrar", organisation=ORG)
    assert _status(one, bob) == [PASS, FAIL]
    one.status_lists.revoke(ann_id, reason="misconduct", actor="registrar", organisation=ORG)
    assert _status(two, ann) == [FAIL, PASS]
    assert _status(one, ann) == [FAIL, PASS]
    assert _status(two, bob) == [PASS, FAIL]
    one.status_lists.unsuspend(bob_id, reason="cleared", actor="registrar", organisation=ORG)
    assert _status(two, bob) == [PASS, PASS]
    assert _status(one, bob) == [PASS, PASS]


def test_a_rotated_key_signs_the_lists_every_process_reads(processes: tuple[Container, Container]) -> None:
    one, two = processes
    ann_id, ann = _award(one, "ann@example.org")
    for process in (one, two):
        assert _status(process, ann) == [PASS, PASS]
    before = {p: _list(two, ann, p)["proof"]["verificationMethod"] for p in ("revocation", "suspension")}
    rotated = one.keys.rotate(ORG, actor="admin")  # no job runs: the readers sign with the new key
    for purpose in ("revocation", "suspension"):
        assert _list(two, ann, purpose)["proof"]["verificationMethod"] == rotated.verification_method
        assert _list(one, ann, purpose)["proof"]["verificationMethod"] == rotated.verification_method
        assert before[purpose] != rotated.verification_method
    assert _status(two, ann) == [PASS, PASS]  # the credential, signed with the old key, still verifies
    assert _status(one, ann) == [PASS, PASS]
    two.status_lists.suspend(ann_id, reason="under review", actor="registrar", organisation=ORG)
    assert _status(one, ann) == [PASS, FAIL]
    assert _status(two, ann) == [PASS, FAIL]
    again = two.keys.rotate(ORG, actor="admin")
    assert _list(one, ann, "suspension")["proof"]["verificationMethod"] == again.verification_method
    assert _status(one, ann) == [PASS, FAIL]


def test_a_token_read_by_either_process_is_current(processes: tuple[Container, Container]) -> None:
    one, two = processes
    ann_id, ann = _award(one, "ann@example.org")
    url = next(e["statusListCredential"] for e in ann["credentialStatus"] if e["statusPurpose"] == "suspension")
    fetchers = [p.verification.fetcher for p in (one, two)]
    assert all(f is not None for f in fetchers)
    first = {f.fetch(url + "/token").content for f in fetchers if f is not None}
    assert len(first) == 1
    one.status_lists.suspend(ann_id, reason="under review", actor="registrar", organisation=ORG)
    second = {f.fetch(url + "/token").content for f in fetchers if f is not None}
    assert len(second) == 1
    assert second != first


def test_a_process_keeps_a_bounded_number_of_signed_lists(
    processes: tuple[Container, Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, two = processes
    monkeypatch.setattr(publications, "COPIES_KEPT", 2)
    ann_id, ann = _award(one, "ann@example.org")
    for form in ("vc", "token"):
        for purpose in ("revocation", "suspension"):
            served = two.status_lists.publications.serve(form, ORG, purpose, 1)
            assert served.body
    kept = two.status_lists.publications._copies
    assert len(kept) == 2
    assert list(kept) == [("token", _list_id(two, "revocation")), ("token", _list_id(two, "suspension"))]
    assert _status(two, ann) == [PASS, PASS]  # served again from the database when not kept
    one.status_lists.revoke(ann_id, reason="misconduct", actor="registrar", organisation=ORG)
    assert _status(two, ann) == [FAIL, PASS]
    assert len(kept) == 2


def _list_id(container: Container, purpose: str) -> int:
    with container.database.transaction() as session:
        found = session.scalar(select(StatusListRow.id).where(StatusListRow.purpose == purpose))
    assert found is not None
    return int(found)


def test_one_verification_resolves_each_key_once(
    processes: tuple[Container, Container], monkeypatch: pytest.MonkeyPatch
) -> None:
    one, _ = processes
    _, ann = _award(one, "ann@example.org")
    calls: list[tuple[str, str | None]] = []
    real = dids.resolve_verification_method

    def counted(url: str, *, fetcher: Fetcher | None = None, purpose: str | None = None) -> PublicKey:
        calls.append((url, purpose))
        return real(url, fetcher=fetcher, purpose=purpose)

    monkeypatch.setattr(issuer_keys, "resolve_verification_method", counted)
    assert _status(one, ann, times=2) == [PASS, PASS]
    # the credential's proof and both lists' proofs name one key: resolved once a verification
    assert len(calls) == 2
    assert len(set(calls)) == 1
