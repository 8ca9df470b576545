"""Public surfaces say a credential's current status, on SQLite and PostgreSQL: a stored check older than the
re-check age is verified again (and stored) before a profile card, a share link, a link preview or a certificate
shows it, a bounded number per profile request, oldest first; batch results posted back for a CSV expire."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from cairn.bootstrap import Container
from cairn.errors import ConflictError
from cairn.model.awards import Recipient
from cairn.services.verification.batch import STALE_ROWS
from cairn.services.wallet.sharing import NO_CERTIFICATE, NotShownError, SharingService
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow
from tests.factories import DEFINITION, ORG, FixedClock, make_container

ADA = "ada@example.org"
SLUG = "ada-example"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


def shown(container: Container, count: int = 1) -> tuple[int, list[tuple[str, str]]]:
    """Ada's account with ``count`` of her own awards in her wallet, all on her public profile:
    (account, [(wallet credential id, award id)])."""
    ada = container.accounts.create_account(email=ADA).id
    container.wallet.wallet_for(ada)
    container.sharing.update_profile(account_id=ada, public=True, slug=SLUG, name="Ada")
    held = []
    for number in range(count):
        result = container.issuing.award(
            DEFINITION, Recipient(email=ADA, name="Ada"), actor="test", organisation=ORG, external_id=str(number)
        )
        text = result.credential if isinstance(result.credential, str) else json.dumps(result.credential)
        item = container.wallet.import_credential(ada, text)
        container.sharing.set_public(account_id=ada, credential_id=item.id, public=True)
        held.append((item.id, result.award_id))
    return ada, held


def stored(container: Container, credential_id: str) -> WalletCredentialRow:
    with container.database.transaction() as session:
        row = session.get(WalletCredentialRow, credential_id)
        assert row is not None
        session.expunge(row)
        return row


def test_attack_a_revoked_credential_stops_showing_verified_on_the_profile(
    container: Container, clock: FixedClock
) -> None:
    sharing = container.sharing
    _, [(credential_id, award_id)] = shown(container)
    assert [c.status for c in sharing.public_profile(SLUG).credentials] == ["valid"]
    container.status_lists.revoke(award_id, reason="issued by mistake", actor="test", organisation=ORG)
    # within the re-check age the stored check stands (one hour by default)...
    assert [c.status for c in sharing.public_profile(SLUG).credentials] == ["valid"]
    clock.advance(minutes=61)
    # ...after it, the card is verified again, without its owner opening anything
    card = sharing.public_profile(SLUG).credentials[0]
    assert (card.status, card.checked_at) == ("revoked", clock.now)
    assert sharing.is_current(card)
    row = stored(container, credential_id)
    assert (row.status, row.checked_at) == ("revoked", clock.now)  # stored: the wallet and previews say it too
    assert row.report["verified"] is False


def test_a_profile_rechecks_a_bounded_number_oldest_first(container: Container, clock: FixedClock) -> None:
    _, held = shown(container, 3)
    start = clock.now
    with container.database.transaction() as session:  # checked 3, 2 and 4 hours ago
        for (credential_id, _), hours in zip(held, (3, 2, 4), strict=True):
            row = session.get(WalletCredentialRow, credential_id)
            assert row is not None
            row.checked_at = start - timedelta(hours=hours)
    calls: list[Any] = []
    verification = container.verification

    class Counting:
        def verify(self, source: Any, **options: Any) -> Any:
            calls.append(source)
            return verification.verify(source, **options)

    bounded = SharingService(
        container.database,
        clock=clock,
        public_url="https://cairn.example",
        verification=Counting(),  # type: ignore[arg-type]  # counts, then verifies for real
        max_rechecks=2,
    )
    cards = {c.id: c for c in bounded.public_profile(SLUG).credentials}
    assert len(calls) == 2
    oldest, newest, middle = (cards[credential_id] for credential_id, _ in (held[2], held[1], held[0]))
    assert oldest.checked_at == middle.checked_at == start
    assert newest.checked_at == start - timedelta(hours=2)  # left for a later request, shown with its date
    assert not bounded.is_current(newest)
    bounded.public_profile(SLUG)
    assert len(calls) == 3  # the next request checks the one left
    bounded.public_profile(SLUG)
    assert len(calls) == 3  # nothing stale any more


def test_a_share_link_and_its_preview_are_current(container: Container, clock: FixedClock) -> None:
    sharing = container.sharing
    ada, [(credential_id, award_id)] = shown(container)
    link = sharing.create_link(account_id=ada, credential_id=credential_id)
    container.status_lists.suspend(award_id, reason="under review", actor="test", organisation=ORG)
    assert sharing.open_link(link.token).credential.status == "valid"
    clock.advance(minutes=61)
    assert sharing.open_link(link.token, current=False).credential.status == "valid"  # the stored one, as asked
    assert sharing.open_link(link.token).credential.status == "suspended"
    assert stored(container, credential_id).status == "suspended"


def test_the_share_page_verification_is_stored(container: Container, clock: FixedClock) -> None:
    sharing = container.sharing
    ada, [(credential_id, award_id)] = shown(container)
    container.status_lists.revoke(award_id, reason="issued by mistake", actor="test", organisation=ORG)
    clock.advance(minutes=5)  # well within the re-check age: the page verifies live anyway
    report, held = sharing.verify(sharing.credential(account_id=ada, credential_id=credential_id))
    assert not report.verified
    assert (held.status, held.checked_at) == ("revoked", clock.now)
    assert [c.status for c in sharing.public_profile(SLUG).credentials] == ["revoked"]


def test_attack_no_certificate_of_a_credential_revoked_since(container: Container, clock: FixedClock) -> None:
    sharing = container.sharing
    ada, [(credential_id, award_id)] = shown(container)
    assert sharing.download(account_id=ada, credential_id=credential_id, kind="pdf").body.startswith(b"%PDF-")
    container.status_lists.revoke(award_id, reason="issued by mistake", actor="test", organisation=ORG)
    clock.advance(minutes=61)
    with pytest.raises(NotShownError) as refused:
        sharing.download(account_id=ada, credential_id=credential_id, kind="pdf")
    assert refused.value.message_id == NO_CERTIFICATE
    assert refused.value.credential_status == "revoked"
    assert stored(container, credential_id).status == "revoked"


def test_batch_results_older_than_the_recheck_age_make_no_csv(container: Container, clock: FixedClock) -> None:
    result = container.issuing.award(DEFINITION, Recipient(email=ADA), actor="test", organisation=ORG)
    text = result.credential if isinstance(result.credential, str) else json.dumps(result.credential)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("ada.json", text)
    rows = [row.to_dict() for row in container.batch.verify_zip(archive.getvalue()).rows]
    assert [(r["source"], r["checked_at"]) for r in rows] == [("ada.json", clock.now.isoformat(timespec="seconds"))]
    assert "ada.json" in container.batch.csv_of(rows)
    clock.advance(minutes=61)
    with pytest.raises(ConflictError) as refused:
        container.batch.csv_of(rows)
    assert refused.value.message_id == STALE_ROWS
    for forged in ({**rows[0], "checked_at": ""}, {**rows[0], "checked_at": "yesterday"}, {"verdict": "Verified"}):
        with pytest.raises(ConflictError):
            container.batch.csv_of([forged])
