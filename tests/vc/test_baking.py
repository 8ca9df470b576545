"""Open Badges baking: PNG and SVG round trips, replacement, the 1EdTech baked fixtures, OB 2.0, hostile files."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cairn.errors import InputError
from cairn.vc.formats.baking import BakingError, bake, bake_png, bake_svg, sniff, unbake
from tests import hostile
from tests.factories import OB3_FIXTURES, signed_json, signed_jwt


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, body) of each chunk, read independently of the code under test."""
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        ctype, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(ctype + body)
        out.append((ctype, body))
        pos += 12 + length
    return out


@pytest.mark.parametrize("credential", [signed_json, signed_jwt], ids=["json", "jwt"])
def test_png_round_trip_is_exact_and_follows_the_spec(credential: Callable[[], str]) -> None:
    text = credential()
    baked = bake_png(hostile.tiny_png(), text)
    assert unbake(baked) == text
    chunks = png_chunks(baked)
    assert [c for c, _ in chunks] == [b"IHDR", b"iTXt", b"IDAT", b"IEND"]
    # keyword, then compression flag 0 and method 0, empty language tag and translated keyword, then the text
    assert chunks[1][1] == b"openbadgecredential\0\0\0\0\0" + text.encode("utf-8")


@pytest.mark.parametrize("credential", [signed_json, signed_jwt], ids=["json", "jwt"])
def test_svg_round_trip_is_exact_and_follows_the_spec(credential: Callable[[], str]) -> None:
    text = credential()
    baked = bake_svg(hostile.tiny_svg(), text)
    assert unbake(baked) == text
    svg = baked.decode("utf-8")
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in svg.split(">", 2)[1]
    if text.startswith("{"):
        assert "<openbadges:credential><![CDATA[{" in svg
    else:
        assert f'<openbadges:credential verify="{text}">' in svg
    assert '<circle cx="50" cy="50" r="40" fill="#1f4e79"/>' in svg  # the picture is kept as it was


def test_baking_twice_replaces_the_credential() -> None:
    once = bake_png(hostile.tiny_png(), signed_jwt())
    twice = bake_png(once, signed_json())
    assert [c for c, _ in png_chunks(twice)].count(b"iTXt") == 1
    assert unbake(twice) == signed_json()
    assert bake_png(twice, signed_jwt()) == once
    svg_once = bake_svg(hostile.tiny_svg(), signed_jwt())
    svg_twice = bake_svg(svg_once, signed_json())
    assert svg_twice.count(b"openbadges:credential") == 2  # one start tag, one end tag
    assert unbake(svg_twice) == signed_json()
    assert bake_svg(svg_twice, signed_jwt()) == svg_once


def test_cdata_end_in_the_credential_survives() -> None:
    text = '{"name": "a]]>b"}'
    assert unbake(bake_svg(hostile.tiny_svg(), text)) == text


def test_a_self_closing_svg_and_a_doctype_can_be_baked() -> None:
    image = b'<?xml version="1.0"?>\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n'
    image += b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>'
    assert unbake(bake_svg(image, signed_jwt())) == signed_jwt()


def test_bake_picks_the_format() -> None:
    assert sniff(bake(hostile.tiny_png(), "{}")) == "png"
    assert sniff(bake(hostile.tiny_svg(), "{}")) == "svg"
    with pytest.raises(BakingError, match="only PNG and SVG"):
        bake(b"GIF89a", "{}")


def test_sniff() -> None:
    assert sniff(hostile.tiny_png()) == "png"
    assert sniff(b"\xef\xbb\xbf  \n<svg/>") == "svg"
    assert sniff(b"%PDF-1.7\n") == "pdf"
    assert sniff(b'{"a": 1}') is None
    assert sniff(b"eyJhbGciOi.e30.") is None
    assert sniff(b"") is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("simple-json.png", '"@context"'),
        ("simple-json.svg", '"@context"'),
        ("simple-jwt.png", "eyJhbGciOi"),
        ("simple-jwt.svg", "eyJhbGciOi"),
        ("simple-jwt_v1.png", "eyJhbGciOi"),
        ("simple-jwt_v1.svg", "eyJhbGciOi"),
    ],
)
def test_1edtech_baked_fixtures_unbake_and_rebake(test_data: Path, name: str, text: str) -> None:
    image = (test_data / OB3_FIXTURES / name).read_bytes()
    credential = unbake(image)
    assert text in credential[:40]
    rebaked = bake(image, signed_json())
    assert unbake(rebaked) == signed_json()
    assert unbake(bake(rebaked, credential)) == credential


def test_open_badges_2_images_unbake() -> None:
    url = "https://example.org/assertions/1"
    png = hostile.tiny_png(hostile.chunk(b"iTXt", b"openbadges\0\0\0\0\0" + url.encode()))
    assert unbake(png) == url
    jws = "eyJhbGciOiJSUzI1NiJ9.eyJ1aWQiOiIxIn0.c2ln"
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        b'<openbadges:assertion verify="' + jws.encode() + b'"></openbadges:assertion></svg>'
    )
    assert unbake(svg) == jws
    json_svg = svg.replace(b'verify="' + jws.encode() + b'">', b'><![CDATA[ {"uid": "1"} ]]>')
    assert unbake(json_svg) == '{"uid": "1"}'
    # baking over an OB 2.0 image replaces its assertion and rebinds the prefix
    baked = bake_svg(svg, signed_jwt())
    assert b"openbadges:assertion" not in baked
    assert b"http://openbadges.org" not in baked
    assert unbake(baked) == signed_jwt()
    assert b"openbadges\0" not in bake_png(png, signed_jwt())


def test_compressed_credential_chunks_are_read_within_the_limit() -> None:
    body = b"openbadgecredential\0\1\0\0\0" + zlib.compress(signed_json().encode())
    assert unbake(hostile.tiny_png(hostile.chunk(b"iTXt", body))) == signed_json()


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (hostile.svg_script, "<script>"),
        (hostile.svg_event_attribute, "event attribute (onload)"),
        (hostile.svg_foreign_object, "<foreignObject>"),
        (hostile.svg_external_href, "refers to something outside itself"),
        (hostile.svg_external_entity, "declares XML entities"),
        (hostile.svg_billion_laughs, "declares XML entities"),
        (hostile.svg_not_xml, "not well-formed XML"),
        (hostile.png_huge_dimensions, "100000 x 100000"),
        (hostile.png_bad_crc, "checksum is wrong"),
    ],
)
def test_unsafe_images_are_not_baked(make: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(BakingError) as caught:
        bake(make(), signed_jwt())
    assert reason in caught.value.message


def test_svg_css_references_are_refused() -> None:
    image = b'<svg xmlns="http://www.w3.org/2000/svg"><style>@import "https://evil.example/x.css";</style></svg>'
    with pytest.raises(BakingError, match="style sheet"):
        bake_svg(image, "{}")
    image = b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(https://evil.example/#p)"/></svg>'
    with pytest.raises(BakingError, match="url"):
        bake_svg(image, "{}")
    local = b'<svg xmlns="http://www.w3.org/2000/svg"><rect fill="url(#p)"/></svg>'
    assert unbake(bake_svg(local, "{}")) == "{}"


def test_bake_refuses_an_empty_or_huge_credential() -> None:
    with pytest.raises(BakingError, match="empty"):
        bake_png(hostile.tiny_png(), "  ")
    with pytest.raises(BakingError, match="larger than"):
        bake_png(hostile.tiny_png(), "x" * 2_000_001)


UNBAKE_REFUSALS = {
    "png_without_credential": "carries no baked credential",
    "png_garbage_chunks": "carries no baked credential",
    "png_oversized_chunk": "claims 2,147,483,632 bytes",
    "png_truncated": "truncated",
    "png_no_iend": "ends without an IEND chunk",
    "png_bad_crc": "checksum is wrong",
    "png_huge_dimensions": "carries no baked credential",  # no pixel is ever decoded
    "png_credential_bomb": "decompresses to more than 2,000,000 bytes",
    "png_many_chunks": "more than 20,000 chunks",
    "png_two_credentials": "may carry only one",
    "svg_without_credential": "carries no baked credential",
    "svg_external_entity": "declares XML entities",
    "svg_billion_laughs": "declares XML entities",
    "svg_internal_dtd": "declares XML entities",
    "svg_not_xml": "not well-formed XML",
    "pdf_without_credential": "no credential.json or credential.jwt attachment",
    "pdf_attachment_bomb": "decompresses to more than 2,000,000 bytes",
    "pdf_garbage": "the PDF cannot be read",
    "zip_bomb": "not a PNG, SVG or PDF",
    "json_deep": "not a PNG, SVG or PDF",
}


@pytest.mark.parametrize(("name", "reason"), sorted(UNBAKE_REFUSALS.items()))
def test_hostile_files_are_refused_with_a_reason(name: str, reason: str) -> None:
    with pytest.raises(BakingError) as caught:
        unbake(getattr(hostile, name)())
    assert reason in caught.value.message
    assert isinstance(caught.value, InputError)
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (hostile.svg_script, "<script>"),
        (hostile.svg_event_attribute, "event attribute (onload)"),
        (hostile.svg_foreign_object, "<foreignObject>"),
    ],
)
def test_an_svg_that_could_run_code_is_refused_when_read(make: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(BakingError) as caught:
        unbake(make())
    assert reason in caught.value.message
    assert "could run code" in caught.value.message


def test_an_svg_that_only_refers_outside_itself_is_still_read() -> None:
    # an <image href="https://..."> is common in issued badges; Cairn never renders it, so reading is safe
    svg = (
        b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
        b'<image href="https://issuer.example/badge.png"/><openbadges:credential><![CDATA[{}]]>'
        b"</openbadges:credential></svg>"
    )
    assert unbake(svg) == "{}"


def test_unbake_refuses_oversized_files() -> None:
    with pytest.raises(BakingError, match="larger than 10,000,000 bytes"):
        unbake(hostile.tiny_png() + b"\0" * 10_000_000)
