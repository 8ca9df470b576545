"""Badge images and logos on SQLite and PostgreSQL: who may upload, what is stored, what credentials name."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from cairn.bootstrap import Container
from cairn.errors import InputError, NotFoundError, PermissionDeniedError
from cairn.formats.pdf import certificate_pdf
from cairn.model.awards import Recipient
from cairn.model.definitions import Badge
from cairn.services.accounts.access import Account, OrganisationAccess, Role
from cairn.store.tables import AuditEntry, ImageRow, OrganisationRow
from cairn.vc.formats.baking import bake_png, unbake
from cairn.vc.ob3_schema import ob3_schema_errors
from tests.factories import DEFINITION, EXAMPLES, ORG, PUBLIC_URL

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="4" fill="#123"/></svg>'


def _png(colour: str = "navy") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), colour).save(out, format="PNG")
    return out.getvalue()


def _access(container: Container, organisation: str, role: Role) -> OrganisationAccess:
    with container.database.transaction() as session:
        org_id = session.scalar(select(OrganisationRow.id).where(OrganisationRow.slug == organisation))
    assert org_id is not None
    account = Account(7, "ann@example.org", "Ann", False, True, False, datetime(2026, 1, 1, tzinfo=UTC), True)
    return OrganisationAccess(organisation, org_id, organisation, role, account)


def _other_org(container: Container) -> str:
    others = [o.id for o in container.editing.organisations() if o.id != ORG]
    return others[0]


def test_an_issuer_uploads_a_badge_once_per_content_and_viewers_may_not(container: Container) -> None:
    issuer = _access(container, ORG, Role.ISSUER)
    first = container.badges.upload(issuer, SVG)
    again = container.badges.upload(issuer, SVG)
    assert first.sha256 == again.sha256
    assert container.badges.image(first.sha256).content == first.content
    assert container.badges.may_use(ORG, first.sha256)
    assert not container.badges.may_use(_other_org(container), first.sha256)
    with container.database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ImageRow)) == 1
        uploads = session.scalars(select(AuditEntry).where(AuditEntry.action == "image.upload")).all()
        assert [u.subject for u in uploads] == [first.sha256]
    with pytest.raises(PermissionDeniedError):
        container.badges.upload(_access(container, ORG, Role.VIEWER), _png())
    with pytest.raises(InputError) as refused:
        container.badges.upload(issuer, b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>')
    assert refused.value.values == {"name": "script"}
    with pytest.raises(NotFoundError):
        container.badges.image("0" * 64)


def test_a_definition_names_only_a_badge_its_organisation_uploaded(container: Container) -> None:
    stranger = container.badges.upload(_access(container, _other_org(container), Role.ISSUER), _png())
    item = container.editing.editable(ORG, DEFINITION)
    definition = item.entry.definition.model_copy(update={"badge": Badge(image=stranger.sha256)})
    with pytest.raises(InputError, match="not one this organisation uploaded"):
        container.editing.save(organisation=ORG, definition=definition, actor="t", create=False)
    own = container.badges.upload(_access(container, ORG, Role.ISSUER), _png("teal"))
    definition = item.entry.definition.model_copy(update={"badge": Badge(image=own.sha256)})
    container.editing.save(organisation=ORG, definition=definition, actor="t", create=False)
    assert container.badges.badge(DEFINITION).sha256 == own.sha256
    assert container.badges.badge(DEFINITION).media_type == "image/png"


def test_a_generated_badge_follows_the_chosen_design(container: Container) -> None:
    item = container.editing.editable(ORG, DEFINITION)
    blue = item.entry.definition.model_copy(update={"badge": Badge(colour="blue", shape="shield")})
    container.editing.save(organisation=ORG, definition=blue, actor="t", create=False)
    picture = container.badges.badge(DEFINITION)
    assert picture.media_type == "image/svg+xml"
    assert picture.sha256 is None
    assert b'fill="#1D4E89"' in picture.content


def test_only_owners_change_the_logo_and_a_monogram_stands_in(container: Container) -> None:
    monogram = container.badges.logo(ORG)
    assert monogram.media_type == "image/svg+xml"
    assert monogram.sha256 is None
    with pytest.raises(PermissionDeniedError):
        container.badges.set_logo(_access(container, ORG, Role.ISSUER), _png())
    owner = _access(container, ORG, Role.OWNER)
    sha = container.badges.set_logo(owner, _png())
    assert sha is not None
    assert container.catalog.entry(DEFINITION).organisations[0].logo == sha
    assert container.badges.logo(ORG).sha256 == sha
    container.catalog.import_paths([EXAMPLES])  # a catalogue file names no logo: the uploaded one stays
    assert container.catalog.entry(DEFINITION).organisations[0].logo == sha
    assert container.badges.set_logo(owner, None) is None
    assert container.catalog.entry(DEFINITION).organisations[0].logo is None


def test_an_award_names_its_badge_and_logo_by_content_and_stays_ob3_valid(container: Container) -> None:
    owner = _access(container, ORG, Role.OWNER)
    logo = container.badges.set_logo(owner, _png())
    result = container.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="registrar")
    credential = result.credential
    assert isinstance(credential, dict)
    image = credential["credentialSubject"]["achievement"]["image"]
    assert image["type"] == "Image"
    assert image["id"].startswith(f"{PUBLIC_URL}/images/")
    assert image["id"].endswith(".svg")
    badge = container.badges.image_at(image["id"])
    assert badge is not None
    assert badge.content == container.badges.badge(DEFINITION).content  # the generated badge, stored
    assert credential["issuer"]["image"]["id"] == f"{PUBLIC_URL}/images/{logo}.png"
    # the 1EdTech schema predates arrays of statuses and Data Integrity proofs; everything else must pass it
    assert ob3_schema_errors({k: v for k, v in credential.items() if k not in ("proof", "credentialStatus")}) == []
    broken = {**credential, "issuer": {**credential["issuer"], "image": {"type": "Image"}}}
    assert any(e.startswith("issuer") for e in ob3_schema_errors(broken))  # the check does look at images
    assert container.badges.image_at("https://elsewhere.example/images/" + "a" * 64 + ".svg") is None
    assert container.badges.image_at(image["id"].replace(".svg", ".png")) is None


def test_pages_show_own_stored_badges_checked_embedded_ones_and_never_fetch(container: Container) -> None:
    result = container.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="registrar")
    credential = result.credential
    assert isinstance(credential, dict)
    url = credential["credentialSubject"]["achievement"]["image"]["id"]
    assert container.badges.badge_src(credential) == url[len(PUBLIC_URL) :]  # this instance's image, by path

    def other(image: object) -> dict[str, object]:
        achievement = {"name": "Welding", "image": image}
        return {
            "name": "Welding",
            "issuer": {"name": "Other <Academy>"},
            "credentialSubject": {"achievement": achievement},
        }

    png = base64.b64encode(_png("olive")).decode()
    embedded = container.badges.badge_src(other({"id": f"data:image/png;base64,{png}", "type": "Image"}))
    assert embedded.startswith("data:image/png;base64,")
    hostile = (
        "data:image/svg+xml;base64,"
        + base64.b64encode(b'<svg xmlns="http://www.w3.org/2000/svg" onload="x"/>').decode()
    )
    for image in ("https://tracker.example/pixel.png", {"id": hostile}, 42, None):
        src = container.badges.badge_src(other(image))
        assert src.startswith("data:image/svg+xml;base64,")
        drawn = base64.b64decode(src.split(",", 1)[1])
        assert b"Welding" in drawn
        assert b"Other &lt;Academy&gt;" in drawn
        assert b"onload" not in drawn
        assert b"tracker" not in drawn


def test_baked_files_and_the_pdf_carry_the_definitions_badge(container: Container) -> None:
    item = container.editing.editable(ORG, DEFINITION)
    design = item.entry.definition.model_copy(update={"badge": Badge(colour="purple", shape="rosette")})
    container.editing.save(organisation=ORG, definition=design, actor="t", create=False)
    result = container.issuing.award(DEFINITION, Recipient(email="ann@example.org"), actor="registrar")
    assert isinstance(result.credential, dict)
    svg = container.badges.image_for(result.credential, "svg")
    assert svg == container.badges.badge(DEFINITION).content
    assert b"#6B2D8C" in svg
    png = container.badges.image_for(result.credential, "png")
    with Image.open(io.BytesIO(png)) as image:
        inside = image.convert("RGB").getpixel((256, 60))
    assert inside == (0x6B, 0x2D, 0x8C)  # the purple rosette, drawn as PNG for a PNG bake
    baked = bake_png(png, json.dumps(result.credential))
    assert json.loads(unbake(baked)) == result.credential
    text = json.dumps(result.credential)
    pdf = certificate_pdf(result.credential, credential_text=text, verify_url="https://x.example/v", badge=png)
    plain = certificate_pdf(result.credential, credential_text=text, verify_url="https://x.example/v")
    assert plain.count(b"/Subtype /Image") == 0 < pdf.count(b"/Subtype /Image")  # the QR code is vector art
