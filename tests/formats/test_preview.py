"""Link previews, generated badges, embedded badge images and QR codes: real pictures, checked by reading them."""

from __future__ import annotations

import base64
import io
from urllib.parse import quote

import segno
from defusedxml import ElementTree
from PIL import Image

from cairn.formats.preview import MAX_IMAGE_BYTES, badge_png, badge_svg, embedded_image, preview_png
from cairn.formats.qr import qr_png, qr_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_the_preview_is_a_1200_by_630_png_for_any_text() -> None:
    long = "Zażółć gęślą jaźń — " + "very long title " * 30
    for verified in (True, False):
        data = preview_png(title=long, issuer=long, date="4 maja 2026", verdict="Zweryfikowane", verified=verified)
        image = Image.open(io.BytesIO(data))
        assert (image.format, image.size) == ("PNG", (1200, 630))
    empty = Image.open(io.BytesIO(preview_png(title="", issuer="", date="", verdict="", verified=True)))
    assert empty.size == (1200, 630)
    marked = Image.open(io.BytesIO(preview_png(title="T", issuer="I", date="", verdict="v", verified=True)))
    crossed = Image.open(io.BytesIO(preview_png(title="T", issuer="I", date="", verdict="v", verified=False)))
    assert marked.convert("RGB").getpixel((122, 552)) != crossed.convert("RGB").getpixel((122, 552))


def test_generated_badges() -> None:
    png = Image.open(io.BytesIO(badge_png(title="Python for data analysis", issuer="Uniwersytet Mazowiecki")))
    assert png.format == "PNG"
    assert png.size == (512, 512)
    svg = ElementTree.fromstring(badge_svg(title='Data <&> "analysis"', issuer="Łódź University"))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    title = svg.find(f"{SVG}title")
    assert title is not None
    assert title.text == 'Data <&> "analysis" — Łódź University'


def test_only_embedded_data_urls_are_used() -> None:
    png = badge_png(title="x", issuer="y", size=64)
    svg = badge_svg(title="x", issuer="y")
    png_url = "data:image/png;base64," + base64.b64encode(png).decode()
    svg_url = "data:image/svg+xml;utf8," + quote(svg.decode())

    def credential(image: object) -> dict[str, object]:
        return {"credentialSubject": {"achievement": {"image": image}}}

    assert embedded_image(credential({"id": png_url, "type": "Image"}), "png") == png
    assert embedded_image(credential(png_url), "svg") is None
    assert embedded_image(credential({"id": svg_url}), "svg") == svg
    assert embedded_image(credential("https://example.org/badge.png"), "png") is None
    assert embedded_image(credential("data:image/png;base64,bm90IGEgcG5n"), "png") is None  # not a PNG inside
    too_big = "data:image/png;base64," + base64.b64encode(png + b"\0" * MAX_IMAGE_BYTES).decode()
    assert embedded_image(credential(too_big), "png") is None
    assert embedded_image({"image": png_url, "credentialSubject": [{}]}, "png") == png


def test_qr_codes_encode_the_link() -> None:
    url = "https://cairn.example/s/" + "A" * 43
    expected = segno.make(url, error="m", micro=False)
    svg = qr_svg(url, title="QR code: Python", description=f"Scan it to open {url}")
    root = ElementTree.fromstring(svg)
    assert root.find(f"{SVG}title").text == "QR code: Python"  # type: ignore[union-attr]
    assert root.find(f"{SVG}desc").text == f"Scan it to open {url}"  # type: ignore[union-attr]
    image = Image.open(io.BytesIO(qr_png(url, scale=4))).convert("1")
    modules = int(expected.symbol_size(scale=1)[0])
    assert image.size == (modules * 4, modules * 4)
    border = 4
    decoded = [
        [image.getpixel(((border + x) * 4 + 2, (border + y) * 4 + 2)) == 0 for x in range(modules - 2 * border)]
        for y in range(modules - 2 * border)
    ]
    assert decoded == [[bool(v) for v in row] for row in expected.matrix]
