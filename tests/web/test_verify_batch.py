"""Batch verification: a zip of credentials or a CSV of URLs in, a table (and CSV, and JSON) out, within limits."""

from __future__ import annotations

import csv
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import build
from cairn.errors import FetchError, InputError
from cairn.model.awards import Recipient
from cairn.services.trust.operator import TrustList, load_trust_list
from cairn.services.verification.batch import BatchVerifier, rows_to_csv
from cairn.services.verification.service import VerificationService
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.fetch import CachingFetcher, Fetcher, Response
from cairn.web.app import create_app
from tests import hostile
from tests.factories import FixedClock, csrf_of
from tests.helpers import rewired
from tests.web import ob2_hosted

UM = "uniwersytet-mazowiecki"
ELM = "elm/european-learning-model/Credentials/JSON-LD Examples (ELM v3)"


@pytest.fixture
def parts(sqlite_database: Database, clock: FixedClock, examples: Path) -> Iterator[tuple[TestClient, Any]]:
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url="https://cairn.example")
    container = build(settings, clock=clock, database=sqlite_database)
    container.catalog.import_paths([examples])
    with TestClient(create_app(container)) as client:
        yield client, container


def awarded(container: Any, email: str = "ada@example.org", name: str | None = "Ada") -> dict[str, Any]:
    result = container.issuing.award(
        "um-sql-databases", Recipient(email=email, name=name), actor="test", organisation=UM
    )
    credential: dict[str, Any] = result.credential
    return credential


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return out.getvalue()


class Hosted:
    """Serves some URLs; the rest go to the instance's own fetcher (which refuses private addresses)."""

    def __init__(self, inner: Any, documents: dict[str, bytes]) -> None:
        self.inner = inner
        self.documents = documents

    def fetch(self, url: str) -> Response:
        if url in self.documents:
            return Response(url, self.documents[url], "application/json")
        if url.startswith("https://gone.example/"):
            raise FetchError("HTTP 404 from 'gone.example'")
        return self.inner.fetch(url)  # type: ignore[no-any-return]


def batch_verifier(
    fetcher: Fetcher | None, clock: FixedClock, *, trust: TrustList | None = None, **limits: Any
) -> BatchVerifier:
    """A batch verifier over its own verification service (``fetcher``, ``clock``, ``trust``)."""
    verification = VerificationService(fetcher=fetcher, clock=clock, trust=trust or TrustList())
    return BatchVerifier(verification=verification, **limits)


def test_a_zip_gives_a_table_and_a_csv(parts: tuple[TestClient, Any]) -> None:
    client, container = parts
    good = json.dumps(awarded(container)).encode()
    tampered = awarded(container, "bo@example.org", None)
    tampered["credentialSubject"]["achievement"]["name"] = "Doctorate in everything"
    archive = zipped(
        {"ada.json": good, "bo.json": json.dumps(tampered).encode(), "junk.txt": b"hello", ".DS_Store": b""}
    )
    page = client.post("/verify/batch", files={"file": ("batch.zip", archive, "application/zip")})
    assert page.status_code == 200, page.text
    html = page.text
    assert "1 of 3 verified" in html
    assert "Relational databases and SQL" in html
    assert "Mazovian University in Warsaw" in html
    assert "hashed identity" in html
    assert "Doctorate in everything" in html
    assert '<label for="batch-file">' in html
    rows = html.split('name="rows" value="', 1)[1].split('"', 1)[0].replace("&#34;", '"')
    forged = client.post("/verify/batch/csv", files={"rows": (None, rows)})  # another site's form has no token
    assert forged.status_code == 403
    assert "text/csv" not in forged.headers["content-type"]
    download = client.post("/verify/batch/csv", files={"rows": (None, rows), "csrf_token": (None, csrf_of(html))})
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(download.text)))
    assert [r["source"] for r in table] == ["ada.json", "bo.json", "junk.txt"]
    assert table[0]["verdict"] == "Authentic, but nobody vouches for the issuer"
    assert table[0]["learner"] == "Ada"
    assert table[1]["verdict"] == "Not verified"
    assert table[1]["learner"] == "hashed identity"
    assert table[1]["reason"]


def test_the_json_api_and_csv_of_urls(parts: tuple[TestClient, Any]) -> None:
    _, container = parts
    url = "https://badges.example/ada.json"
    fetcher = Hosted(container.verification.fetcher, {url: json.dumps(awarded(container)).encode()})
    listing = f"url,note\n{url},first\nhttp://badges.example/plain.json,x\nhttps://gone.example/a,y\n"
    listing += "https://127.0.0.1/admin,z\n"
    with TestClient(create_app(rewired(container, fetcher=fetcher))) as client:
        answer = client.post("/api/v1/verify/batch", files={"file": ("urls.csv", listing.encode(), "text/csv")})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["summary"] == {"total": 4, "verified": 1, "not_verified": 2, "not_checked": 1}
        rows = body["rows"]
        assert rows[0]["verdict"] == "Authentic, but nobody vouches for the issuer"
        assert rows[0]["title"] == "Relational databases and SQL"
        assert rows[1]["reason"] == "only https:// addresses are fetched"
        assert "404" in rows[2]["reason"]
        assert "non-public address" in rows[3]["reason"]
        pasted = client.post("/api/v1/verify/batch?format=csv", data={"urls": f"{url}\n\n{url}\n"})
        assert pasted.headers["content-type"].startswith("text/csv")
        assert pasted.text.count("Authentic, but nobody vouches for the issuer") == 2
        bare = client.post("/verify/batch", files={"file": ("u.csv", f"{url}\n".encode(), "text/csv")})
        assert "1 of 1 verified" in bare.text


@pytest.mark.parametrize(
    ("archive", "expected"),
    [
        (hostile.zip_bomb(), "zip"),
        (zipped({"a.json": b'{"a": 1}', "inner.zip": zipped({"b.json": b"{}"})}), "inside the zip"),
        (zipped({"zeros.json": b"0" * 1_000_000}), "zip bomb"),
        (zipped({f"{i}.json": b"{}" for i in range(501)}), "at most 500"),
        (b"PK\x03\x04 not really a zip", "cannot be read"),
    ],
)
def test_hostile_zips_are_refused(parts: tuple[TestClient, Any], archive: bytes, expected: str) -> None:
    client, _ = parts
    page = client.post("/verify/batch", files={"file": ("batch.zip", archive, "application/zip")})
    assert page.status_code == 400
    assert 'role="alert"' in page.text
    assert expected in page.text
    answer = client.post("/api/v1/verify/batch", files={"file": ("batch.zip", archive, "application/zip")})
    assert answer.status_code == 400
    assert expected in answer.json()["error"]


def test_an_encrypted_zip_is_refused(clock: FixedClock) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("secret.json", b"{}")
    data = bytearray(out.getvalue())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set "encrypted" in both headers
        at = data.index(signature) + offset
        data[at] |= 0x1
    with pytest.raises(InputError, match="encrypted"):
        batch_verifier(None, clock).verify_file(bytes(data))


def test_empty_and_oversized_batches(parts: tuple[TestClient, Any], clock: FixedClock) -> None:
    client, _ = parts
    assert client.post("/verify/batch", data={}).status_code == 400
    assert client.post("/api/v1/verify/batch", data={"urls": "  \n"}).json()["status"] == 400
    small = batch_verifier(None, clock, max_bytes=100, max_items=2)
    with pytest.raises(InputError, match="at most 100 bytes"):
        small.verify_file(b"x" * 101)
    with pytest.raises(InputError, match="at most 2"):
        small.verify_csv(b"https://a.example/1\nhttps://a.example/2\nhttps://a.example/3\n")
    with pytest.raises(InputError, match="not UTF-8"):
        small.verify_file(b"\xff\xfe")
    with pytest.raises(InputError, match="more than 2 empty rows, the limit"):  # not read to its end
        batch_verifier(None, clock, max_items=2).verify_csv(b"url\n" + b",\n" * 100_000)


def test_rows_not_reached_within_the_time_budget_say_so(clock: FixedClock) -> None:
    release = threading.Event()

    class Slow:
        def fetch(self, url: str) -> Response:
            release.wait(5)
            raise FetchError("too slow")

    verifier = batch_verifier(Slow(), clock, time_budget=0.2, workers=2)
    try:
        result = verifier.verify_urls([f"https://slow.example/{i}" for i in range(5)])
    finally:
        release.set()
    assert [r.reason for r in result.rows] == ["not checked: time budget"] * 5
    assert result.summary["not_checked"] == 5


def test_csv_cells_never_run_as_formulas() -> None:
    text = rows_to_csv([{"source": '=HYPERLINK("x")', "verdict": "Verified", "issuer": "+1", "reason": "-2"}])
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["source"].startswith("'=")
    assert row["issuer"] == "'+1"
    assert row["reason"] == "'-2"


def test_hosted_open_badges_2_urls_are_cross_checked_and_seals_meet_the_trust_list(
    clock: FixedClock, test_data: Path, tmp_path: Path
) -> None:
    server = ob2_hosted.Server(None, ob2_hosted.documents())
    verifier = batch_verifier(CachingFetcher(server), clock)
    (row,) = verifier.verify_urls([ob2_hosted.ASSERTION]).rows
    unvouched = "Authentic, but nobody vouches for the issuer"
    assert (row.verdict, row.title, row.issuer) == (unvouched, "Python Basics", "Example Academy")
    assert server.calls.count(ob2_hosted.ASSERTION) == 1
    assert ob2_hosted.BADGE in server.calls  # the badge class was fetched: the hosted path, not the copy alone

    signed = (test_data / ELM / "Sample-MC-Annex1-signed.jsonld").read_bytes()
    leaf = "c858624a53802dca996625b4f987c372d55c0979bde9b513b63e7137aa6abf04"
    listed = tmp_path / "trust.yaml"
    listed.write_text(f"certificates:\n  - {leaf}\n", encoding="utf-8")
    vouched = "Authentic and vouched for, with warnings"
    for trust, expected, verdict in (
        (None, "", unvouched),
        (load_trust_list(listed), "this instance's operator", vouched),
    ):
        batch = batch_verifier(None, clock, trust=trust)
        (elm,) = batch.verify_zip(zipped({"mc.jsonld": signed})).rows
        assert (elm.verdict, elm.title, elm.learner) == (verdict, "Digital micro-credential creation", "Ana Andromeda")
        assert elm.vouched_by == expected
