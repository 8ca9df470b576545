"""The learner's side of the newcomer path, end to end over HTTP with the real app, on SQLite and PostgreSQL:

the demo issuer awards a micro-credential to a new learner's email; the learner signs up from the claim link
(found in the outbox email, the same as on the award page) and adds it to the wallet; imports a credential
from another issuer (a VC-JWT signed by a did:key); shares the demo award with a friend by link (an anonymous
visitor sees the verdict and what it certifies) and QR code (PNG and SVG encode that link); downloads the
baked PNG, which ``cairn vc verify`` accepts.
"""

from __future__ import annotations

import html
import io
import re
from pathlib import Path

import pytest
import segno
from click.testing import CliRunner
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select

from cairn.bootstrap import build, demo_catalog_path
from cairn.cli.main import cli
from cairn.model.awards import Recipient
from cairn.services.demo.instance import DEMO_EMAIL, DEMO_PASSWORD, seed_demo
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.store.tables import Base, OutboxRow, ShareLinkRow
from cairn.web.app import create_app
from cairn.web.deps import SESSION_COOKIE
from tests.factories import ClientFetcher, FixedClock, signed_jwt
from tests.helpers import csrf_of, emailed_link, use_link

ORG = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
BASE = "https://testserver"
LEARNER = "marta.nowak@example.org"
PASSWORD = "marta's long passphrase"


def qr_modules(image: Image.Image) -> list[list[bool]]:
    """The dark/light modules of a QR code image with a quiet zone of 4 modules, read from its pixels."""
    grey = image.convert("L")

    def dark(x: int, y: int) -> bool:
        value = grey.getpixel((x, y))
        assert isinstance(value, int)
        return value < 128

    first = next(i for i in range(grey.width) if dark(i, i))  # the top-left corner of the finder pattern
    scale = first // 4
    size = grey.width // scale - 8
    return [
        [dark(first + c * scale + scale // 2, first + r * scale + scale // 2) for c in range(size)] for r in range(size)
    ]


def symbol_of(url: str) -> list[list[bool]]:
    return [[bool(v) for v in row] for row in segno.make(url, micro=False, error="m").matrix]


def test_a_newcomer_claims_imports_shares_and_downloads(
    database: Database, clock: FixedClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(database_url="sqlite://", secret_key="w" * 48, base_url=BASE)
    container = build(settings, clock=clock, database=database)
    seed_demo(
        catalog=container.catalog, accounts=container.accounts, catalogue_path=demo_catalog_path(), demo_token=None
    )
    app = create_app(container)

    # The demo issuer awards the micro-credential to the learner's email with the single-award form.
    with TestClient(app, base_url=BASE, follow_redirects=False) as issuer:
        token = csrf_of(issuer.get("/sign-in").text)
        signed_in = issuer.post("/sign-in", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token})
        assert signed_in.status_code == 303, signed_in.text
        csrf = csrf_of(issuer.get(f"/orgs/{ORG}/awards/new").text)
        awarded = issuer.post(
            f"/orgs/{ORG}/awards/new",
            data={"csrf_token": csrf, "definition": DEFINITION, "name": "Marta Nowak", "email": LEARNER},
        )
        assert awarded.status_code in (200, 201), awarded.text
        shown = re.search(r'id="claim-url" type="text" readonly value="([^"]+)"', awarded.text)
        assert shown, awarded.text
        claim_url = html.unescape(shown.group(1))

    # The claim link is in the email waiting in the outbox.
    with database.transaction() as session:
        mails = session.scalars(select(OutboxRow).where(OutboxRow.to_address == LEARNER)).all()
    assert len(mails) == 1
    assert claim_url in mails[0].body_text
    claim_path = claim_url.removeprefix(BASE)
    assert claim_path.startswith("/claim/")

    with TestClient(app, base_url=BASE, follow_redirects=False) as learner:
        # The learner opens the link, signs up and adds the award to the wallet.
        landing = learner.get(claim_path)
        assert landing.status_code == 200
        assert f"{claim_path}/wallet" in landing.text
        assert learner.get(f"{claim_path}/wallet").status_code == 303  # sign in or sign up first
        token = csrf_of(learner.get("/sign-up", params={"next": f"{claim_path}/wallet"}).text)
        made = learner.post(
            "/sign-up",
            data={
                "email": LEARNER,
                "password": PASSWORD,
                "name": "Marta",
                "next": f"{claim_path}/wallet",
                "csrf_token": token,
            },
        )
        assert made.status_code == 200, made.text
        assert "Check your email" in made.text
        assert SESSION_COOKIE not in learner.cookies  # signed in only once the address is confirmed
        confirmed = use_link(
            learner, emailed_link(database, LEARNER), password=PASSWORD
        )  # the link waiting in the outbox
        assert confirmed.status_code == 303, confirmed.text
        assert confirmed.headers["location"].startswith(f"{claim_path}/wallet")
        confirm = learner.get(confirmed.headers["location"])
        assert "Add to my wallet" in confirm.text
        added = learner.post(f"{claim_path}/wallet", data={"csrf_token": csrf_of(confirm.text)})
        assert added.status_code == 303, added.text
        detail = added.headers["location"].split("?")[0]
        credential_id = detail.rsplit("/", 1)[1]
        page = learner.get(detail).text
        assert "status-valid" in page
        assert "Python" in page
        csrf = csrf_of(page)

        # Imports a credential from another issuer: a VC-JWT signed by a did:key.
        imported = learner.post("/wallet/import", data={"text": signed_jwt(), "csrf_token": csrf})
        assert imported.status_code == 303, imported.text
        other = learner.get(imported.headers["location"].split("?")[0]).text
        assert "status-valid" in other
        assert "did:key:" in other
        listing = learner.get("/wallet").text
        assert detail in listing
        assert imported.headers["location"].split("?")[0] in listing

        # Shares the demo award by link.
        shared = learner.post(f"/wallet/{credential_id}/share", data={"csrf_token": csrf, "expires": ""})
        assert shared.status_code == 303, shared.text
        share_page = learner.get(f"/wallet/{credential_id}/share").text
        found = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', share_page)
        assert found, share_page
        link = html.unescape(found.group(1))
        token = link.rsplit("/", 1)[1]
        assert link == f"{BASE}/s/{token}"

        # Downloads the baked PNG.
        baked = learner.get(f"/wallet/{credential_id}/download/png")
        assert baked.status_code == 200
        assert baked.content.startswith(b"\x89PNG")

    # A friend opens the link: the verdict and what it certifies, nothing private.
    with TestClient(app, base_url=BASE, follow_redirects=False) as friend:
        opened = friend.get(f"/s/{token}")
        assert opened.status_code == 200, opened.text
        assert "Checked just now." in opened.text
        assert "Python" in opened.text
        assert "Marta Nowak" in opened.text
        assert LEARNER not in opened.text
        # The QR code, as PNG and as SVG, is the symbol for that link.
        png = friend.get(f"/s/{token}/qr.png")
        assert png.headers["content-type"] == "image/png"
        assert qr_modules(Image.open(io.BytesIO(png.content))) == symbol_of(link)
        svg = friend.get(f"/s/{token}/qr.svg")
        assert svg.headers["content-type"].startswith("image/svg+xml")
        assert link in svg.text  # its description names the link
        rendered = io.BytesIO()
        segno.make(link, micro=False, error="m").save(rendered, kind="svg", scale=1, border=4)
        assert path_of(svg.text) == path_of(rendered.getvalue().decode())

    # `cairn vc verify --online` accepts the baked PNG: it resolves the issuer's did:web and reads the status
    # lists from the instance (served here by the app itself instead of the network).
    badge = tmp_path / "badge.png"
    badge.write_bytes(baked.content)
    with TestClient(app, base_url=BASE) as web:
        fetcher = ClientFetcher(web)
        monkeypatch.setattr("cairn.vc.fetch.HttpsFetcher", lambda: fetcher)
        result = CliRunner().invoke(cli, ["vc", "verify", "--online", "--format", "text", str(badge)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Authentic, but nobody vouches for the issuer")
    assert "Certifies: Data analysis with Python" in result.output
    assert any("/did.json" in url for url in fetcher.calls)
    assert any("/status/revocation/" in url for url in fetcher.calls), (fetcher.calls, result.output)


def path_of(svg: str) -> str:
    """The drawing of the QR modules in an SVG (its one path's ``d``)."""
    found = re.search(r'<path[^>]* d="([^"]+)"', svg)
    assert found, svg[:500]
    return found.group(1)


def test_sign_up_once_and_erase_leaves_nothing(database: Database, clock: FixedClock) -> None:
    """Sign-up of an address that has an account answers as for a new one (its owner is told by email); the only
    owner of an organisation cannot erase their account; a learner's erase leaves nothing: no share link, profile,
    file or name."""
    settings = Settings(database_url="sqlite://", secret_key="w" * 48, base_url=BASE)
    container = build(settings, clock=clock, database=database)
    seed_demo(
        catalog=container.catalog, accounts=container.accounts, catalogue_path=demo_catalog_path(), demo_token=None
    )
    award = container.issuing.award(
        DEFINITION, Recipient(email=LEARNER, name="Marta Nowak"), actor="test", organisation=ORG
    )
    with TestClient(create_app(container), base_url=BASE, follow_redirects=False) as client:
        sign_in = client.get("/sign-in?next=/wallet").text
        assert 'href="/sign-up?next=/wallet"' in sign_in
        assert 'href="/sign-up?next=/account&amp;lang=pl"' in client.get("/sign-in?lang=pl").text

        token = csrf_of(client.get("/sign-up").text)
        taken = client.post("/sign-up", data={"email": DEMO_EMAIL.upper(), "password": PASSWORD, "csrf_token": token})
        assert taken.status_code == 200
        assert "We sent a link to finish creating your account to" in taken.text  # as for a new address
        assert "Demo issuer" not in taken.text
        assert SESSION_COOKIE not in taken.cookies

        # The demo issuer owns the demo organisations alone: erasing the account is refused, saying why.
        token = csrf_of(client.get("/sign-in").text)
        client.post("/sign-in", data={"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "csrf_token": token})
        csrf = csrf_of(client.get("/account/delete").text)
        refused = client.post("/account/delete", data={"confirm_email": DEMO_EMAIL, "csrf_token": csrf})
        assert refused.status_code == 409
        assert "You are the only owner of" in refused.text
        assert ORG in refused.text
        assert 'aria-invalid="true"' in refused.text
        polish = client.post("/account/delete?lang=pl", data={"confirm_email": DEMO_EMAIL, "csrf_token": csrf})
        assert "Jesteś jedynym właścicielem organizacji" in polish.text
        assert container.accounts.find_account(DEMO_EMAIL) is not None

        # A learner with a claimed award, an uploaded baked image, share links and a public profile erases it all.
        client.cookies.clear()
        token = csrf_of(client.get("/sign-up").text)
        made = client.post(
            "/sign-up", data={"email": LEARNER, "password": PASSWORD, "name": "Marta Nowak", "csrf_token": token}
        )
        assert made.status_code == 200, made.text
        assert use_link(client, emailed_link(database, LEARNER), password=PASSWORD).status_code == 303
        csrf = csrf_of(client.get(f"/claim/{award.claim_token}/wallet").text)
        added = client.post(f"/claim/{award.claim_token}/wallet", data={"csrf_token": csrf})
        credential_id = added.headers["location"].split("?")[0].rsplit("/", 1)[1]
        baked = client.get(f"/wallet/{credential_id}/download/png").content
        client.post(f"/wallet/{credential_id}/remove", data={"csrf_token": csrf})
        uploaded = client.post(
            "/wallet/import", data={"csrf_token": csrf}, files={"file": ("marta.png", baked, "image/png")}
        )
        assert uploaded.status_code == 303, uploaded.text
        credential_id = uploaded.headers["location"].split("?")[0].rsplit("/", 1)[1]
        client.post(f"/wallet/{credential_id}/share", data={"csrf_token": csrf, "expires": "30"})
        share_page = client.get(f"/wallet/{credential_id}/share").text
        link = re.search(r'id="share-url" type="text" readonly value="([^"]+)"', share_page)
        assert link
        token = link.group(1).rsplit("/", 1)[1]
        client.get(f"/wallet/{credential_id}/download/pdf")  # makes the certificate's link too
        profile = {"csrf_token": csrf, "public": "yes", "slug": "marta-nowak", "name": "Marta Nowak"}
        assert client.post("/wallet/profile", data=profile).status_code == 303
        client.post(f"/wallet/{credential_id}/public", data={"csrf_token": csrf, "public": "yes"})
        assert client.get("/p/marta-nowak").status_code == 200
        assert client.get(f"/s/{token}").status_code == 200
        wallet_did = container.wallet.wallet_for(container.accounts.find_account(LEARNER).id)  # type: ignore[union-attr]

        gone = client.post("/account/delete", data={"confirm_email": LEARNER, "csrf_token": csrf})
        assert gone.status_code == 200, gone.text
        assert client.get("/wallet").status_code == 303
        assert client.get(f"/s/{token}").status_code == 404
        assert client.get("/p/marta-nowak").status_code == 404

    needles = [LEARNER, "marta nowak", "marta-nowak", token.lower(), wallet_did.lower(), credential_id, "marta.png"]
    with database.transaction() as session:
        assert session.scalars(select(ShareLinkRow)).all() == []
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).all():
                text = repr(tuple(row)).lower()
                for needle in needles:
                    if table.name == "awards" and needle == "marta nowak":
                        continue  # the issuer's own copy of the credential it issued states the name, as issued
                    assert needle not in text, (table.name, needle)
