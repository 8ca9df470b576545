"""A credential about someone else is never shown as the wallet holder's, on SQLite and PostgreSQL: whom a
credential is about is decided when it enters the wallet (subject DID, verified email, claim flow), it stays in
the wallet labelled, and every way of showing it as the holder's is refused (attack tests)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from pathlib import Path

import pytest

from cairn.bootstrap import Container
from cairn.errors import ConflictError, NotFoundError
from cairn.model.awards import Recipient
from cairn.services.accounts.access import sha256_hex
from cairn.services.wallet.records import ABOUT_SOMEONE_ELSE, AboutSomeoneElseError
from cairn.services.wallet.sharing import linkedin_url
from cairn.store.database import Database
from cairn.store.tables import ShareLinkRow, WalletCredentialRow
from tests.factories import DEFINITION, ORG, FixedClock, foreign, make_container

ADA = "ada@example.org"
BOB = "bob@example.org"


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


def awarded(container: Container, recipient: Recipient) -> str:
    credential = container.issuing.award(DEFINITION, recipient, actor="test", organisation=ORG).credential
    return credential if isinstance(credential, str) else json.dumps(credential)


def test_a_credential_names_its_holder_by_verified_email_did_or_claim(container: Container) -> None:
    wallet = container.wallet
    ada = container.accounts.create_account(email=ADA).id
    by_email = wallet.import_credential(ada, awarded(container, Recipient(email=ADA, name="Ada")))
    assert (by_email.holder_match, by_email.about_someone_else) == ("holder", False)
    did = wallet.wallet_for(ada)
    by_did = wallet.import_credential(ada, awarded(container, Recipient(did=did, name="Ada")))
    assert by_did.holder_match == "holder"
    token = container.issuing.award(
        "um-sql-databases", Recipient(email=ADA), actor="test", organisation=ORG
    ).claim_token
    assert token
    assert wallet.add_from_claim(ada, ADA, token).holder_match == "holder"
    bobs = wallet.import_credential(ada, awarded(container, Recipient(email=BOB, name="Bob")))
    assert (bobs.holder_match, bobs.about_someone_else) == ("someone-else", True)
    other_did = wallet.import_credential(ada, awarded(container, Recipient(did="did:key:z6MkSomeoneElse")))
    assert other_did.holder_match == "someone-else"
    nobody = wallet.import_credential(ada, json.dumps(foreign()))
    assert (nobody.holder_match, nobody.about_someone_else) == ("unknown", True)
    assert {i.id: i.holder_match for i in wallet.list(ada)}[bobs.id] == "someone-else"


def test_an_unverified_address_proves_nothing_until_it_is_verified(container: Container) -> None:
    """Anyone can sign up with any address: a credential naming it is not theirs until the address is proved."""
    wallet = container.wallet
    ada = container.accounts.create_account(email=ADA, verified=False).id
    item = wallet.import_credential(ada, awarded(container, Recipient(email=ADA)))
    assert item.holder_match == "someone-else"
    container.accounts.mark_verified(email=ADA, actor="test")
    assert wallet.recheck(ada, item.id).holder_match == "holder"


def _someone_elses(container: Container) -> tuple[int, str]:
    """Ada's account with Bob's credential imported into her wallet, and her public profile switched on."""
    ada = container.accounts.create_account(email=ADA).id
    item = container.wallet.import_credential(ada, awarded(container, Recipient(email=BOB, name="Bob")))
    assert item.status == "valid"  # it verifies: only whom it is about is wrong
    container.sharing.update_profile(account_id=ada, public=True, slug="ada-example", name="Ada")
    return ada, item.id


def test_attack_someone_elses_credential_cannot_be_shown_as_yours(container: Container) -> None:
    sharing = container.sharing
    ada, bobs = _someone_elses(container)
    attempts: list[Callable[[], object]] = [
        lambda: sharing.set_public(account_id=ada, credential_id=bobs, public=True),
        lambda: sharing.create_link(account_id=ada, credential_id=bobs),
        lambda: sharing.create_link(account_id=ada, credential_id=bobs, expires_in_days=1),
        lambda: sharing.download(account_id=ada, credential_id=bobs, kind="pdf"),
        lambda: sharing.certificate_link(account_id=ada, credential_id=bobs),
        lambda: linkedin_url(sharing.credential(account_id=ada, credential_id=bobs), cert_url="https://x.example"),
        lambda: sharing.preview(
            sharing.credential(account_id=ada, credential_id=bobs), title="t", issuer="i", date="d", verdict="v"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(AboutSomeoneElseError) as refused:
            attempt()
        assert isinstance(refused.value, ConflictError)
        assert refused.value.message == ABOUT_SOMEONE_ELSE
    assert sharing.links(account_id=ada, credential_id=bobs) == []
    assert sharing.public_profile("ada-example").credentials == []
    sharing.set_public(account_id=ada, credential_id=bobs, public=False)  # hiding always works
    downloaded = sharing.download(account_id=ada, credential_id=bobs, kind="json")  # it is still in the wallet
    assert json.loads(downloaded.body)["credentialSubject"]["identifier"]
    assert [i.id for i in container.wallet.list(ada)] == [bobs]


def test_attack_marked_public_or_linked_before_the_check_it_shows_nothing(container: Container) -> None:
    """A credential made public, or linked, before its subject was checked (say, before the migration that
    added the check) is left out of the profile, and its links and previews answer 404."""
    sharing = container.sharing
    _ada, bobs = _someone_elses(container)
    token = secrets.token_urlsafe(32)
    with container.database.transaction() as session:
        row = session.get(WalletCredentialRow, bobs)
        assert row is not None
        row.public = True
        session.add(ShareLinkRow(credential_id=bobs, token_hash=sha256_hex(token), created_at=row.added_at, views=0))
    assert sharing.public_profile("ada-example").credentials == []
    for call in (
        lambda: sharing.public_profile("ada-example", bobs),
        lambda: sharing.public_credential("ada-example", bobs),
        lambda: sharing.open_link(token),
        lambda: sharing.open_link(token, count_view=True),
    ):
        with pytest.raises(NotFoundError):
            call()


def test_a_credential_naming_nobody_is_not_shown_either(container: Container) -> None:
    sharing = container.sharing
    ada = container.accounts.create_account(email=ADA).id
    item = container.wallet.import_credential(ada, json.dumps(foreign()))
    with pytest.raises(AboutSomeoneElseError):
        sharing.set_public(account_id=ada, credential_id=item.id, public=True)
    with pytest.raises(AboutSomeoneElseError):
        sharing.create_link(account_id=ada, credential_id=item.id)


def test_your_own_imported_credential_is_shared_as_before(container: Container) -> None:
    sharing = container.sharing
    ada = container.accounts.create_account(email=ADA).id
    item = container.wallet.import_credential(ada, awarded(container, Recipient(email=ADA, name="Ada")))
    sharing.update_profile(account_id=ada, public=True, slug="ada-example", name="Ada")
    sharing.set_public(account_id=ada, credential_id=item.id, public=True)
    link = sharing.create_link(account_id=ada, credential_id=item.id)
    assert sharing.open_link(link.token).credential.id == item.id
    assert [c.id for c in sharing.public_profile("ada-example").credentials] == [item.id]
    assert sharing.download(account_id=ada, credential_id=item.id, kind="pdf").body.startswith(b"%PDF-")


def test_careers_count_only_the_holders_credentials(container: Container) -> None:
    ada, _bobs = _someone_elses(container)
    assert container.careers.held_credentials(ada) == []
    mine = container.wallet.import_credential(ada, awarded(container, Recipient(email=ADA, name="Ada")))
    assert [c.id for c in container.careers.held_credentials(ada)] == [mine.id]
