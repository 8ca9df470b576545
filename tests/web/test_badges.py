"""Badge images and logos over HTTP: types and headers, who may upload, CSRF, size limits, the editor's picker."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from cairn.bootstrap import Container
from cairn.store.database import Database
from cairn.store.tables import ImageRow
from cairn.web.app import create_app
from cairn.web.catalog.badges import IMAGE_CSP
from tests.factories import EDITOR_BASE as BASE
from tests.factories import EDITOR_UM as UM
from tests.factories import FixedClock, editor_container
from tests.factories import editor_sign_in as sign_in
from tests.factories import stored_definition as stored
from tests.factories import valid_definition_form as valid_form

HOSTILE = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect/></svg>'


def _png(colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 24), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def container(database: Database, clock: FixedClock) -> Container:
    return editor_container(database, clock)


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client


def _images(database: Database) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(ImageRow)) or 0)


def test_an_owner_uploads_a_logo_served_by_content_with_strict_headers(client: TestClient, database: Database) -> None:
    csrf = sign_in(client, "owner@example.org")
    page = client.get(f"/orgs/{UM}/members").text
    assert 'enctype="multipart/form-data"' in page
    assert "No logo yet" in page
    answer = client.post(f"/orgs/{UM}/logo", data={"csrf_token": csrf}, files={"logo": ("l.png", _png(), "image/png")})
    assert answer.status_code == 303
    logo = client.get(f"/orgs/{UM}/logo")
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["x-content-type-options"] == "nosniff"
    with Image.open(io.BytesIO(logo.content)) as image:
        assert image.size == (24, 24)
    with database.transaction() as session:
        sha = session.scalars(select(ImageRow.sha256)).one()
    stored_image = client.get(f"/images/{sha}.png")
    assert stored_image.content == logo.content
    assert stored_image.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get(f"/images/{sha}.svg").status_code == 404  # the extension must match the type
    assert client.get(f"/images/{'0' * 64}.png").status_code == 404
    assert client.get("/images/../../etc/passwd").status_code == 404
    assert "Remove the logo" in client.get(f"/orgs/{UM}/members").text
    assert client.post(f"/orgs/{UM}/logo/remove", data={"csrf_token": csrf}).status_code == 303
    assert client.get(f"/orgs/{UM}/logo").headers["content-type"] == "image/svg+xml"  # the monogram again


def test_svg_is_served_under_a_policy_that_runs_nothing(client: TestClient) -> None:
    answer = client.get("/micro-credentials/um-python-data-analysis/badge?version=1&lang=pl")
    assert answer.status_code == 404  # the editor's instance has no definitions yet
    logo = client.get(f"/orgs/{UM}/logo")
    assert logo.headers["content-type"] == "image/svg+xml"
    assert logo.headers["content-security-policy"] == IMAGE_CSP
    assert logo.headers["x-content-type-options"] == "nosniff"
    assert b"<script" not in logo.content


def test_uploads_need_the_right_role_the_csrf_token_and_a_small_clean_body(
    container: Container,
    database: Database,
) -> None:
    files = {"logo": ("l.png", _png(), "image/png")}
    app = create_app(container)
    with TestClient(app, follow_redirects=False) as anonymous:
        answer = anonymous.post(f"/orgs/{UM}/logo", data={"csrf_token": "x"}, files=files)
        assert answer.status_code in (303, 403)  # to sign-in, or refused: never stored
    for email, refused in (("issuer@example.org", 403), ("stranger@example.org", 404), ("viewer@example.org", 403)):
        with TestClient(app, follow_redirects=False) as member:
            csrf = sign_in(member, email)
            assert member.post(f"/orgs/{UM}/logo", data={"csrf_token": csrf}, files=files).status_code == refused
    with TestClient(app, follow_redirects=False) as owner:
        csrf = sign_in(owner, "owner@example.org")
        assert owner.post(f"/orgs/{UM}/logo", data={"csrf_token": "wrong"}, files=files).status_code == 403
        hostile = {"logo": ("x.svg", HOSTILE, "image/svg+xml")}
        refused_page = owner.post(f"/orgs/{UM}/logo", data={"csrf_token": csrf}, files=hostile)
        assert refused_page.status_code == 400
        assert "event handler" in refused_page.text
        big = {"logo": ("x.png", b"\0" * 700_000, "image/png")}
        assert owner.post(f"/orgs/{UM}/logo", data={"csrf_token": csrf}, files=big).status_code == 413
    assert _images(database) == 0


def test_the_editor_saves_a_chosen_design_and_previews_it_without_javascript(
    client: TestClient, database: Database
) -> None:
    csrf = sign_in(client)
    page = client.get(f"{BASE}/new").text
    assert 'name="badge.colour" value="crimson"' in page
    assert 'alt="Preview of the badge"' in page
    preview = client.post(
        f"{BASE}/new",
        data=valid_form(csrf, action="badge-preview", **{"badge.colour": "crimson", "badge.shape": "shield"}),
    )
    assert preview.status_code == 200
    assert 'value="crimson" checked' in preview.text
    assert 'src="data:image/svg+xml;base64,' in preview.text
    saved = client.post(f"{BASE}/new", data=valid_form(csrf, **{"badge.colour": "crimson", "badge.shape": "shield"}))
    assert saved.status_code == 303
    badge = stored(database).badge
    assert badge is not None
    assert (badge.colour, badge.shape, badge.image) == ("crimson", "shield", None)
    served = client.get("/micro-credentials/um-data-cleaning/badge")
    assert served.headers["content-type"] == "image/svg+xml"
    assert b"#9B1C31" in served.content
    assert b"Data cleaning" in served.content


def test_the_editor_takes_an_uploaded_badge_and_refuses_a_hostile_one(client: TestClient, database: Database) -> None:
    csrf = sign_in(client)
    hostile = client.post(
        f"{BASE}/new", data=valid_form(csrf), files={"badge_file": ("b.svg", HOSTILE, "image/svg+xml")}
    )
    assert hostile.status_code == 400
    assert "event handler" in hostile.text
    assert _images(database) == 0
    saved = client.post(
        f"{BASE}/new", data=valid_form(csrf), files={"badge_file": ("b.png", _png("navy"), "image/png")}
    )
    assert saved.status_code == 303
    badge = stored(database).badge
    assert badge is not None
    assert badge.image is not None
    served = client.get("/micro-credentials/um-data-cleaning/badge")
    assert served.headers["content-type"] == "image/png"
    assert client.get(f"/images/{badge.image}.png").content == served.content
    with TestClient(client.app, follow_redirects=False) as other:
        viewer = sign_in(other, "viewer@example.org")
        files = {"badge_file": ("b.png", _png("red"), "image/png")}
        denied = other.post(f"{BASE}/um-data-cleaning/edit", data=valid_form(viewer), files=files)
    assert denied.status_code == 403
    assert _images(database) == 1
