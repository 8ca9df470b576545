"""Sharing on SQLite and PostgreSQL: share links (expiry, revocation, views), owner-only access, downloads that
carry the credential (baked PNG and SVG unbake to it and verify; the PDF), LinkedIn, the public profile."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from cairn.bootstrap import Container
from cairn.errors import ConflictError, InputError, NotFoundError
from cairn.services.wallet.sharing import NotShownError, SharingService, linkedin_url
from cairn.store.database import Database
from cairn.store.tables import WalletCredentialRow
from cairn.vc.formats.baking import unbake
from cairn.vc.intake import verify_any
from tests.factories import PUBLIC_URL, FixedClock, learner_with_credential, make_container

PUBLIC = PUBLIC_URL


@pytest.fixture
def container(database: Database, clock: FixedClock, examples: Path) -> Container:
    return make_container(database, clock, examples)


@pytest.fixture
def service(container: Container) -> SharingService:
    return container.sharing


def test_a_link_is_random_counted_and_expires(service: SharingService, container: Container, clock: FixedClock) -> None:
    account, credential_id, _ = learner_with_credential(container)
    link = service.create_link(account_id=account, credential_id=credential_id, expires_in_days=7)
    other = service.create_link(account_id=account, credential_id=credential_id)
    assert len(link.token) >= 32
    assert link.token != other.token
    assert link.url == f"{PUBLIC}/s/{link.token}"
    assert link.state == "active"
    assert link.views == 0
    opened = service.open_link(link.token, count_view=True)
    assert opened.credential.id == credential_id
    assert opened.link.views == 1
    service.open_link(link.token, count_view=True)
    service.open_link(link.token)  # a preview or QR code is not a view
    listed = {item.token: item for item in service.links(account_id=account, credential_id=credential_id)}
    assert listed[link.token].views == 2
    assert listed[link.token].last_viewed_at == clock.now
    assert listed[other.token].views == 0
    clock.advance(days=7, seconds=1)
    expired = service.open_link(link.token, count_view=True)
    assert expired.link.state == "expired"
    assert service.links(account_id=account, credential_id=credential_id)[-1].views == 2  # expired views not counted
    assert service.open_link(other.token).link.state == "active"


def test_bad_expiry_and_unknown_tokens(service: SharingService, container: Container) -> None:
    account, credential_id, _ = learner_with_credential(container)
    for days in (0, -1, 3651):
        with pytest.raises(InputError):
            service.create_link(account_id=account, credential_id=credential_id, expires_in_days=days)
    for token in ("short", "x" * 43, "../../etc/passwd" + "a" * 30):
        with pytest.raises(NotFoundError):
            service.open_link(token)


def test_revoking_withdraws_the_link_for_good(service: SharingService, container: Container) -> None:
    account, credential_id, _ = learner_with_credential(container)
    link = service.create_link(account_id=account, credential_id=credential_id)
    assert service.revoke_link(account_id=account, credential_id=credential_id, link_id=link.id) is True
    assert service.revoke_link(account_id=account, credential_id=credential_id, link_id=link.id) is False
    assert service.open_link(link.token, count_view=True).link.state == "revoked"
    assert service.links(account_id=account, credential_id=credential_id)[0].views == 0


def test_only_the_owner_reaches_a_credential(service: SharingService, container: Container) -> None:
    account, credential_id, _ = learner_with_credential(container)
    stranger, theirs, _ = learner_with_credential(container, "bob@example.org", name="Bob")
    link = service.create_link(account_id=account, credential_id=credential_id)
    calls: list[Callable[[], object]] = [
        lambda: service.credential(account_id=stranger, credential_id=credential_id),
        lambda: service.links(account_id=stranger, credential_id=credential_id),
        lambda: service.create_link(account_id=stranger, credential_id=credential_id),
        lambda: service.revoke_link(account_id=stranger, credential_id=credential_id, link_id=link.id),
        lambda: service.revoke_link(account_id=stranger, credential_id=theirs, link_id=link.id),
        lambda: service.set_public(account_id=stranger, credential_id=credential_id, public=True),
        lambda: service.download(account_id=stranger, credential_id=credential_id, kind="json"),
    ]
    for call in calls:
        with pytest.raises(NotFoundError):
            call()
    assert service.open_link(link.token).link.state == "active"


def test_baked_images_carry_the_credential_and_verify(
    service: SharingService, container: Container, clock: FixedClock
) -> None:
    account, credential_id, credential = learner_with_credential(container)
    for kind, magic in (("png", b"\x89PNG"), ("svg", b"<svg")):
        got = service.download(account_id=account, credential_id=credential_id, kind=kind)
        assert magic in got.body[:200]
        assert got.filename.endswith(f".{kind}")
        baked = unbake(got.body)
        assert json.loads(baked) == credential
        report = verify_any(got.body, now=clock(), fetcher=container.verification.fetcher)
        assert report.verified, report.checks
    as_json = service.download(account_id=account, credential_id=credential_id, kind="json")
    assert json.loads(as_json.body) == credential
    with pytest.raises(InputError, match="not as a JWT"):
        service.download(account_id=account, credential_id=credential_id, kind="jwt")
    with pytest.raises(NotFoundError):
        service.download(account_id=account, credential_id=credential_id, kind="exe")


def test_the_pdf_leads_to_a_lasting_share_link(service: SharingService, container: Container) -> None:
    account, credential_id, credential = learner_with_credential(container)
    service.create_link(account_id=account, credential_id=credential_id, expires_in_days=1)
    pdf = service.download(account_id=account, credential_id=credential_id, kind="pdf")
    assert pdf.body.startswith(b"%PDF-")
    assert pdf.media_type == "application/pdf"
    links = service.links(account_id=account, credential_id=credential_id)
    lasting = [link for link in links if link.expires_at is None]
    assert len(lasting) == 1
    assert json.loads(unbake(pdf.body)) == credential
    service.download(account_id=account, credential_id=credential_id, kind="pdf")
    assert len(service.links(account_id=account, credential_id=credential_id)) == 2  # the lasting link is reused


def test_linkedin_link_is_filled_in(service: SharingService, container: Container, clock: FixedClock) -> None:
    account, credential_id, credential = learner_with_credential(container)
    held = service.credential(account_id=account, credential_id=credential_id)
    url = linkedin_url(held, cert_url=f"{PUBLIC}/s/token&x=1")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://www.linkedin.com/profile/add"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["startTask"] == "CERTIFICATION_NAME"
    assert query["name"] == held.title
    assert query["organizationName"] == credential["issuer"]["name"]
    assert (query["issueYear"], query["issueMonth"]) == (str(clock.now.year), str(clock.now.month))
    assert query["certUrl"] == f"{PUBLIC}/s/token&x=1"
    assert query["certId"] == credential["id"]
    assert "expirationYear" not in query


def test_the_public_profile_shows_only_what_was_chosen(service: SharingService, container: Container) -> None:
    account, credential_id, _ = learner_with_credential(container)
    with pytest.raises(NotFoundError):
        service.public_profile("ann")
    with pytest.raises(InputError):
        service.update_profile(account_id=account, public=True, slug="", name="Ann")
    for bad in ("a", "Has Space", "-ann", "ann-", "x" * 51, "ann/../x"):
        with pytest.raises(InputError):
            service.update_profile(account_id=account, public=True, slug=bad, name="Ann")
    settings = service.update_profile(account_id=account, public=True, slug="Ann-Example", name="  Ann \n Example ")
    assert (settings.slug, settings.name, settings.url) == ("ann-example", "Ann Example", f"{PUBLIC}/p/ann-example")
    assert service.public_profile("ann-example").credentials == []
    service.set_public(account_id=account, credential_id=credential_id, public=True)
    shown = service.public_profile("ann-example")
    assert [c.id for c in shown.credentials] == [credential_id]
    assert service.public_credential("ann-example", credential_id).id == credential_id
    other, theirs, _ = learner_with_credential(container, "bob@example.org", name="Bob")
    with pytest.raises(ConflictError, match="taken"):
        service.update_profile(account_id=other, public=True, slug="ann-example", name="Bob")
    with pytest.raises(NotFoundError):
        service.public_credential("ann-example", theirs)
    service.update_profile(account_id=account, public=False, slug="ann-example", name="Ann")
    with pytest.raises(NotFoundError):
        service.public_profile("ann-example")
    with pytest.raises(NotFoundError):
        service.public_credential("ann-example", credential_id)
    nobody = container.accounts.create_account(email="nowallet@example.org")
    assert service.profile_settings(account_id=nobody.id) is None
    with pytest.raises(ConflictError):
        service.update_profile(account_id=nobody.id, public=False, slug="", name="")


def test_previews_are_cached_by_content(service: SharingService, container: Container) -> None:
    account, credential_id, _ = learner_with_credential(container)
    held = service.credential(account_id=account, credential_id=credential_id)
    text = {"title": held.title, "issuer": "UM", "date": "4 May 2026", "verdict": "Verified"}
    first = service.preview(held, **text)
    assert first.startswith(b"\x89PNG")
    assert service.preview(held, **text) is first
    assert service.preview(held, **{**text, "verdict": "Zweryfikowano"}) is not first


def set_status(container: Container, credential_id: str, status: str) -> None:
    with container.database.transaction() as session:
        row = session.get(WalletCredentialRow, credential_id)
        assert row is not None
        row.status = status


@pytest.mark.parametrize("status", ["unverifiable", "revoked", "suspended", "expired"])
def test_only_a_credential_that_verifies_can_be_made_public(
    service: SharingService, container: Container, status: str
) -> None:
    account, credential_id, _ = learner_with_credential(container)
    service.update_profile(account_id=account, public=True, slug="ann-example", name="Ann")
    set_status(container, credential_id, status)
    with pytest.raises(NotShownError) as refused:
        service.set_public(account_id=account, credential_id=credential_id, public=True)
    assert isinstance(refused.value, ConflictError)
    assert refused.value.credential_status == status
    assert status in refused.value.message
    assert service.public_profile("ann-example").credentials == []
    with pytest.raises(NotFoundError):
        service.public_profile("ann-example", credential_id)

    set_status(container, credential_id, "valid")
    service.set_public(account_id=account, credential_id=credential_id, public=True)
    set_status(container, credential_id, status)  # it stopped verifying after it was shown: shown with its status
    shown = service.public_profile("ann-example")
    assert [(c.id, c.status) for c in shown.credentials] == [(credential_id, status)]
    service.set_public(account_id=account, credential_id=credential_id, public=False)  # hiding always works
    assert service.public_profile("ann-example").credentials == []


def test_one_credential_of_a_profile(service: SharingService, container: Container) -> None:
    account, credential_id, _ = learner_with_credential(container)
    _, theirs, _ = learner_with_credential(container, "bob@example.org", name="Bob")
    service.update_profile(account_id=account, public=True, slug="ann-example", name="Ann")
    with pytest.raises(NotFoundError):
        service.public_profile("ann-example", credential_id)  # not marked public
    service.set_public(account_id=account, credential_id=credential_id, public=True)
    one = service.public_profile("ann-example", credential_id)
    assert (one.slug, one.name, one.url) == ("ann-example", "Ann", f"{PUBLIC}/p/ann-example")
    assert [c.id for c in one.credentials] == [credential_id]
    for other in (theirs, str(uuid.uuid4()), "x" * 100):
        with pytest.raises(NotFoundError):
            service.public_profile("ann-example", other)
