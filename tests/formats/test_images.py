"""Uploaded badge images and logos: what passes is cleaned, what is hostile is refused with a reason."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image, PngImagePlugin

from cairn.errors import InputError
from cairn.formats.images import MAX_IMAGE_BYTES, check_image, data_url_image

GOOD_SVG = (
    b'<?xml version="1.0"?><!-- made by hand -->'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 100 100">'
    b'<defs><linearGradient id="g"><stop offset="0" stop-color="#123"/></linearGradient>'
    b'<circle id="c" r="4"/></defs><style>.a{fill:url(#g)}</style>'
    b'<rect class="a" width="100" height="100" fill="url(#g)"/><use xlink:href="#c" x="5"/>'
    b'<text x="50" y="50">Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 &amp; &lt;go&gt;</text></svg>'
)


def _png(size: tuple[int, int] = (32, 24), *, text: str | None = None, mode: str = "RGBA") -> bytes:
    info = PngImagePlugin.PngInfo()
    if text:
        info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new(mode, size, "red" if mode != "P" else 1).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def test_a_png_is_reencoded_without_its_text_chunks_or_anything_after_it() -> None:
    original = _png(text="secret location: 52.2N 21.0E") + b"<script>alert(1)</script>"
    checked = check_image(original)
    assert checked.media_type == "image/png"
    assert (checked.width, checked.height) == (32, 24)
    assert b"secret" not in checked.content
    assert b"<script>" not in checked.content
    assert checked.content.endswith(b"IEND\xaeB`\x82")
    with Image.open(io.BytesIO(checked.content)) as image:
        assert image.getpixel((3, 3)) == (255, 0, 0, 255)
    assert checked.sha256 == check_image(checked.content).sha256  # cleaning is idempotent


def test_a_clean_svg_keeps_its_drawing_and_loses_comments() -> None:
    checked = check_image(GOOD_SVG)
    assert checked.media_type == "image/svg+xml"
    assert (checked.width, checked.height) == (100, 100)
    text = checked.content.decode("utf-8")
    assert "made by hand" not in text
    assert 'xlink:href="#c"' in text
    assert "url(#g)" in text
    assert "Zażółć &amp; &lt;go&gt;" in text
    assert check_image(checked.content).content == checked.content


HOSTILE_SVG = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
    "remote href": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<use xlink:href="http://evil.example/x.svg#a"/></svg>',
    "javascript href": b'<svg xmlns="http://www.w3.org/2000/svg"><use href="javascript:alert(1)"/></svg>',
    "image": b'<svg xmlns="http://www.w3.org/2000/svg"><image href="#x"/></svg>',
    "foreignObject": b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><p xmlns="http://www.w3.org/1999/xhtml">'
    b"hi</p></foreignObject></svg>",
    "anchor": b'<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><rect/></a></svg>',
    "animate set": b'<svg xmlns="http://www.w3.org/2000/svg"><set attributeName="href" to="javascript:x"/></svg>',
    "style url": b'<svg xmlns="http://www.w3.org/2000/svg"><rect style="fill:url(https://evil.example/p)"/></svg>',
    "style import": b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import "https://evil.example/a.css";</style>'
    b"</svg>",
    "css escape": b'<svg xmlns="http://www.w3.org/2000/svg"><style>a{b:u\\72l(http://x)}</style></svg>',
    "fill url": b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(//evil.example/p)"/></svg>',
    "billion laughs": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;'
    b'&a;&a;&a;&a;&a;">]><svg xmlns="http://www.w3.org/2000/svg"><text>&b;</text></svg>',
    "external entity": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
    "html namespace": b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:h="http://www.w3.org/1999/xhtml">'
    b"<h:iframe/></svg>",
    "no namespace": b"<svg><rect/></svg>",
    "huge": b'<svg xmlns="http://www.w3.org/2000/svg" width="100000000" height="100000000"/>',
    "deep": b'<svg xmlns="http://www.w3.org/2000/svg">' + b"<g>" * 60 + b"</g>" * 60 + b"</svg>",
    "broken": b'<svg xmlns="http://www.w3.org/2000/svg"><rect></svg>',
    "not utf8": b'<svg xmlns="http://www.w3.org/2000/svg"><text>\xff\xfe</text></svg>',
}


@pytest.mark.parametrize("name", sorted(HOSTILE_SVG))
def test_hostile_svg_is_refused_with_a_reason(name: str) -> None:
    with pytest.raises(InputError) as caught:
        check_image(HOSTILE_SVG[name])
    assert caught.value.message_id.startswith("the ")
    assert data_url_image("data:image/svg+xml;base64," + base64.b64encode(HOSTILE_SVG[name]).decode()) is None


def _bomb(side: int) -> bytes:
    """A valid PNG header claiming ``side`` x ``side`` pixels and a tiny compressed stream: a decompression bomb."""
    header = _chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + _chunk(b"IDAT", zlib.compress(b"\0" * 100_000, 9)) + _chunk(b"IEND", b"")


def test_a_png_too_wide_is_refused_from_its_header_alone() -> None:
    with pytest.raises(InputError) as caught:
        check_image(_bomb(5000))
    assert caught.value.values == {"width": 5000, "height": 5000, "max": 2048}
    with pytest.raises(InputError) as caught:
        check_image(_bomb(50_000))  # beyond Pillow's own bomb limit: refused as Image.open reads the header
    assert caught.value.message_id.startswith("the PNG image claims more pixels")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the image is empty"),
        (b"x" * (MAX_IMAGE_BYTES + 1), "the image is larger than %(max)s KB"),
        (b"GIF89a\x01\x00\x01\x00<script>alert(1)</script>", "only PNG and SVG images are accepted"),
        (b"<html><script>alert(1)</script></html>", "only PNG and SVG images are accepted"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "the PNG image cannot be read"),
    ],
)
def test_other_inputs_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputError) as caught:
        check_image(data)
    assert caught.value.message_id == message


def test_data_urls_pass_only_when_they_hold_a_checked_image_of_the_named_type() -> None:
    png = _png((8, 8))
    checked = data_url_image("data:image/png;base64," + base64.b64encode(png).decode())
    assert checked is not None
    assert checked.width == 8
    assert data_url_image(checked.data_url()) == checked
    assert data_url_image("data:image/svg+xml;base64," + base64.b64encode(png).decode()) is None
    assert data_url_image("data:image/svg+xml," + GOOD_SVG.decode().replace("#", "%23")) is not None
    assert data_url_image("https://issuer.example/badge.png") is None
    assert data_url_image("data:text/html;base64,PHNjcmlwdD4=") is None
    assert data_url_image("data:image/png;base64,!!!") is None
    assert data_url_image({"id": "data:image/png;base64,"}) is None
