"""The certificate PDF: its text, metadata, QR code target and the credential attached to it."""

from __future__ import annotations

import io
import json

import pytest
from pypdf import PdfReader

from cairn.formats.pdf import certificate_pdf
from cairn.vc.formats.baking import unbake
from tests.factories import signed_json, signed_jwt

URL = "https://cairn.example/verify/7c5b0e44-52d1-4f0f-9a8e-9f0b3c2a1d10"


def make(text: str, language: str = "en") -> bytes:
    return certificate_pdf(json.loads(signed_json()), credential_text=text, verify_url=URL, language=language)


@pytest.mark.parametrize(
    ("language", "expected", "title"),
    [
        (
            "en",
            ["CERTIFICATE", "Awarded to", "Anna Żółkiewska", "Issued by", "May 4, 2026", "EQF level", "ECTS"],
            "Data analysis with Python",
        ),
        (
            "pl",
            ["CERTYFIKAT", "Przyznano", "Anna Żółkiewska", "Wydawca", "4 maja 2026", "Efekty uczenia się"],
            "Analiza danych w języku Python",  # the credential's Polish edition (OB 3.0 related)
        ),
    ],
)
def test_the_page_says_what_the_credential_certifies(language: str, expected: list[str], title: str) -> None:
    reader = PdfReader(io.BytesIO(make(signed_json(), language)))
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    for phrase in [*expected, title, "Mazovian University in Warsaw", URL]:
        assert phrase in text
    assert "Write Python programs that load, clean and transform tabular data" in text
    assert reader.metadata is not None
    assert reader.metadata.title is not None
    assert reader.metadata.title.endswith(title)
    assert str(reader.root_object["/Lang"]) == language


def test_the_qr_code_and_the_address_link_to_verification() -> None:
    page = PdfReader(io.BytesIO(make(signed_json()))).pages[0]
    assert page.annotations is not None
    links = {annot.get_object()["/A"]["/URI"] for annot in page.annotations}
    assert links == {URL}


@pytest.mark.parametrize(("credential", "name"), [(signed_json, "credential.json"), (signed_jwt, "credential.jwt")])
def test_the_credential_is_attached_and_comes_back(credential, name) -> None:  # type: ignore[no-untyped-def]
    pdf = make(credential())
    assert list(PdfReader(io.BytesIO(pdf)).attachments) == [name]
    assert unbake(pdf) == credential()


def test_same_input_same_bytes() -> None:
    assert make(signed_json()) == make(signed_json())


def test_a_bare_credential_still_gives_a_page() -> None:
    pdf = certificate_pdf({"issuer": "did:example:1"}, credential_text="{}", verify_url=URL, language="xx")
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "did:example:1" in text
    assert URL in text


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    """Whether two rectangles (x0, y0, x1, y1, any corner order) share any area."""
    ax0, ax1 = sorted((a[0], a[2]))
    ay0, ay1 = sorted((a[1], a[3]))
    bx0, bx1 = sorted((b[0], b[2]))
    by0, by1 = sorted((b[1], b[3]))
    return ax0 < bx1 and bx0 < ax1 and ay0 < by1 and by0 < ay1


@pytest.mark.parametrize("url", [URL, URL + "?lang=pl&" + "x" * 150])  # a long address wraps over several lines
def test_the_address_is_printed_beside_the_qr_code_not_over_it(url: str) -> None:
    pdf = certificate_pdf(json.loads(signed_json()), credential_text=signed_json(), verify_url=url, language="en")
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert page.annotations is not None
    rects = [tuple(float(v) for v in annot.get_object()["/Rect"]) for annot in page.annotations]
    squares = [r for r in rects if abs(abs(r[2] - r[0]) - abs(r[3] - r[1])) < 0.01 and abs(r[2] - r[0]) > 50]
    assert len(squares) == 1  # the QR code's link covers the code: a square of 38 mm
    qr = squares[0]
    lines = [r for r in rects if r is not qr]
    assert lines  # the address is a link too, line by line
    assert not any(_overlap(qr, line) for line in lines)
    drawn: list[tuple[float, float]] = []

    def visit(text: str, _cm: object, tm: list[float], _font: object, _size: object) -> None:
        if "cairn.example" in text or "xxxx" in text:
            drawn.append((tm[4], tm[5]))

    page.extract_text(visitor_text=visit)
    assert drawn
    right = max(qr[0], qr[2])
    bottom, top = sorted((qr[1], qr[3]))
    for x, y in drawn:  # every piece of the address starts right of the code, or below it
        assert x >= right or y < bottom, (x, y, qr)
    assert any(bottom <= y <= top for _, y in drawn)  # and it sits beside it
