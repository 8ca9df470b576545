"""Open Badges baking: a credential carried inside a PNG or SVG image (and read back out of a Cairn PDF).

Open Badges 3.0 (section "Badge Baking"):

- PNG: one ``iTXt`` chunk with the keyword ``openbadgecredential``, uncompressed, holding the credential
  (JSON-LD text or the compact JWT). Baking again replaces the chunk; there is never more than one.
- SVG: the root ``svg`` element declares ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` and its
  first child is ``<openbadges:credential>``: JSON-LD inside a CDATA section, or a JWT in a ``verify`` attribute.

Open Badges 2.0 images are read too (PNG keyword ``openbadges``; SVG ``<openbadges:assertion>`` in the
``http://openbadges.org`` namespace): :func:`unbake` returns what they carry (JSON, a JWS, or the URL of a
hosted assertion).

Everything here treats input as hostile: chunks are walked by hand with their CRCs checked, nothing is
ever rendered or decompressed beyond a limit, XML is parsed by defusedxml (no entity declarations, no
external entities), and every refusal is an :class:`~cairn.errors.InputError` with a reason a person can read.
An SVG to be baked must be safe to serve: no scripts, ``foreignObject``, event attributes or external references.

Pure: no network, no clock.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import Element, ParseError  # types only; parsing goes through defusedxml

import defusedxml
import defusedxml.ElementTree as SafeET

from cairn.errors import InputError

__all__ = [
    "MAX_CHUNKS",
    "MAX_CREDENTIAL_BYTES",
    "MAX_IMAGE_BYTES",
    "OB2_NS",
    "OB3_NS",
    "BakingError",
    "bake",
    "bake_png",
    "bake_svg",
    "sniff",
    "unbake",
]

MAX_IMAGE_BYTES = 10_000_000
"""Largest image or PDF accepted, in bytes."""
MAX_CREDENTIAL_BYTES = 2_000_000
"""Largest credential carried (the same limit as :data:`cairn.vc.verification.MAX_INPUT_BYTES`)."""
MAX_CHUNKS = 20_000
"""Most PNG chunks walked."""
MAX_PIXELS = 100_000_000
"""Largest image (width x height) accepted for baking; unbaking never decodes pixels."""

OB3_NS = "https://purl.imsglobal.org/ob/v3p0"
OB2_NS = "http://openbadges.org"
SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
OB3_KEYWORD = b"openbadgecredential"
OB2_KEYWORD = b"openbadges"
_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")


class BakingError(InputError):
    """An image or PDF cannot be baked or carries no readable credential (HTTP 400)."""


def sniff(data: bytes) -> str | None:
    """``"png"``, ``"svg"`` (XML text, presumably SVG), ``"pdf"`` or None, from the first bytes of ``data``."""
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data.startswith(b"%PDF-"):
        return "pdf"
    head = data[:1024].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n")
    if head.startswith(b"<"):
        return "svg"
    return None


def unbake(data: bytes) -> str:
    """The credential text baked into a PNG or SVG image or attached to a Cairn PDF.

    Returns JSON text, a compact JWT / JWS, or (Open Badges 2.0 hosted) an assertion URL. Raises
    :class:`BakingError` (an ``InputError``, HTTP 400) with the reason when there is none or the file is unsafe.
    """
    if len(data) > MAX_IMAGE_BYTES:
        raise BakingError(f"the file is larger than {MAX_IMAGE_BYTES:,} bytes")
    kind = sniff(data)
    if kind == "png":
        return _unbake_png(data)
    if kind == "svg":
        return _unbake_svg(data)
    if kind == "pdf":
        return _unbake_pdf(data)
    raise BakingError("the file is not a PNG, SVG or PDF")


def bake(image: bytes, credential: str) -> bytes:
    """Bake into a PNG or SVG, whichever ``image`` is."""
    kind = sniff(image)
    if kind == "png":
        return bake_png(image, credential)
    if kind == "svg":
        return bake_svg(image, credential)
    raise BakingError("only PNG and SVG images can be baked")


def _check_credential(credential: str) -> str:
    text = credential.strip()
    if not text:
        raise BakingError("the credential to bake is empty")
    if len(text.encode("utf-8")) > MAX_CREDENTIAL_BYTES:
        raise BakingError(f"the credential is larger than {MAX_CREDENTIAL_BYTES:,} bytes")
    return text


def _is_jwt(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*", text) is not None


# -- PNG ------------------------------------------------------------------------------------------


def _chunks(data: bytes) -> Iterator[tuple[bytes, int, int]]:
    """Each chunk as (type, start of chunk, start of data), CRCs checked; stops after IEND."""
    if not data.startswith(PNG_SIGNATURE):
        raise BakingError("the file is not a PNG image")
    pos, count, total = len(PNG_SIGNATURE), 0, len(data)
    while True:
        if pos + 12 > total:
            raise BakingError("the PNG image is truncated (it ends without an IEND chunk)")
        count += 1
        if count > MAX_CHUNKS:
            raise BakingError(f"the PNG image has more than {MAX_CHUNKS:,} chunks")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if length > 0x7FFFFFFF or end > total:
            raise BakingError(f"the PNG image is truncated or damaged (chunk {count} claims {length:,} bytes)")
        if not ctype.isalpha() or not ctype.isascii():
            raise BakingError(f"the PNG image is damaged (chunk {count} has no valid type)")
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(data[pos + 4 : end - 4]) != crc:
            raise BakingError(f"the PNG image is damaged (the {ctype.decode('ascii')} chunk's checksum is wrong)")
        if count == 1 and ctype != b"IHDR":
            raise BakingError("the PNG image is damaged (it does not start with an IHDR chunk)")
        yield ctype, pos, pos + 8
        pos = end
        if ctype == b"IEND":
            return


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body))


def _text_keyword(ctype: bytes, body: bytes) -> bytes:
    return body[: body.find(b"\0")] if b"\0" in body[:80] else b""


def _inflate(compressed: bytes, what: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(compressed, MAX_CREDENTIAL_BYTES + 1)
    except zlib.error as exc:
        raise BakingError(f"the {what} cannot be decompressed") from exc
    if len(out) > MAX_CREDENTIAL_BYTES or inflater.unconsumed_tail:
        raise BakingError(f"the {what} decompresses to more than {MAX_CREDENTIAL_BYTES:,} bytes")
    return out


def _text_of(ctype: bytes, body: bytes) -> bytes:
    """The text of a tEXt, zTXt or iTXt chunk whose keyword is known to be ours."""
    rest = body[body.find(b"\0") + 1 :]
    if ctype == b"tEXt":
        return rest
    if ctype == b"zTXt":
        return _inflate(rest[1:], "compressed credential chunk")
    if len(rest) < 2:
        raise BakingError("the PNG's credential chunk is damaged")
    compressed, method = rest[0], rest[1]
    parts = rest[2:].split(b"\0", 2)  # language tag, translated keyword, text
    if len(parts) != 3:
        raise BakingError("the PNG's credential chunk is damaged")
    if compressed == 0:
        return parts[2]
    if method != 0:
        raise BakingError("the PNG's credential chunk uses an unknown compression method")
    return _inflate(parts[2], "compressed credential chunk")


def _unbake_png(data: bytes) -> str:
    found: dict[bytes, list[bytes]] = {OB3_KEYWORD: [], OB2_KEYWORD: []}
    for ctype, start, body_start in _chunks(data):
        if ctype in _TEXT_CHUNKS:
            body = data[body_start : body_start + struct.unpack(">I", data[start : start + 4])[0]]
            keyword = _text_keyword(ctype, body)
            if keyword in found:
                found[keyword].append(_text_of(ctype, body))
    for keyword, label in ((OB3_KEYWORD, "Open Badges 3.0"), (OB2_KEYWORD, "Open Badges 2.0")):
        texts = found[keyword]
        if len(texts) > 1:
            raise BakingError(f"the PNG carries {len(texts)} {label} credentials; a baked image may carry only one")
        if texts:
            return _decode(texts[0])
    raise BakingError("the PNG image carries no baked credential (no openbadgecredential iTXt chunk)")


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_CREDENTIAL_BYTES:
        raise BakingError(f"the baked credential is larger than {MAX_CREDENTIAL_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise BakingError("the baked credential is not UTF-8 text") from exc
    if not text:
        raise BakingError("the baked credential is empty")
    return text


def bake_png(image: bytes, credential: str) -> bytes:
    """``image`` with ``credential`` (JSON-LD text or a compact JWT) in one uncompressed iTXt chunk.

    Any credential baked before (Open Badges 3.0 or 2.0) is replaced; the chunk goes right after IHDR.
    Raises :class:`BakingError` for a damaged PNG or an image too large to serve.
    """
    text = _check_credential(credential)
    if len(image) > MAX_IMAGE_BYTES:
        raise BakingError(f"the image is larger than {MAX_IMAGE_BYTES:,} bytes")
    kept: list[bytes] = []
    for ctype, start, body_start in _chunks(image):
        length = struct.unpack(">I", image[start : start + 4])[0]
        body = image[body_start : body_start + length]
        if ctype == b"IHDR":
            if length != 13:
                raise BakingError("the PNG image is damaged (its IHDR chunk has the wrong size)")
            width, height = struct.unpack(">II", body[:8])
            if width == 0 or height == 0 or width * height > MAX_PIXELS:
                raise BakingError(f"the PNG image's size {width} x {height} is not acceptable for a badge")
        if ctype in _TEXT_CHUNKS and _text_keyword(ctype, body) in (OB3_KEYWORD, OB2_KEYWORD):
            continue
        kept.append(image[start : body_start + length + 4])
    ours = _chunk(b"iTXt", OB3_KEYWORD + b"\0\0\0\0\0" + text.encode("utf-8"))
    return PNG_SIGNATURE + kept[0] + ours + b"".join(kept[1:])


# -- SVG ------------------------------------------------------------------------------------------


def _parse_xml(data: bytes) -> Element:
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DTDForbidden as exc:  # pragma: no cover - DTDs are allowed, entities are not
        raise BakingError("the SVG has a document type definition, which is not accepted") from exc
    except defusedxml.EntitiesForbidden as exc:
        raise BakingError("the SVG declares XML entities, which are refused (they can expand or fetch)") from exc
    except defusedxml.DefusedXmlException as exc:
        raise BakingError("the SVG refers to external resources, which are refused") from exc
    except ParseError as exc:
        raise BakingError(f"the SVG is not well-formed XML ({exc})") from exc
    except (ValueError, RecursionError) as exc:
        raise BakingError("the SVG cannot be read") from exc
    if root.tag != f"{{{SVG_NS}}}svg" and root.tag != "svg":
        raise BakingError("the XML is not an SVG image (its root element is not svg)")
    return root


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _credential_elements(root: Element, ns: str, name: str) -> list[Element]:
    return list(root.iter(f"{{{ns}}}{name}"))


def _unbake_svg(data: bytes) -> str:
    root = _parse_xml(data)
    active = _unsafe_svg_reason(root, active_only=True)
    if active is not None:
        raise BakingError(f"{active}: Cairn does not accept SVG images that could run code")
    for ns, name, label in ((OB3_NS, "credential", "Open Badges 3.0"), (OB2_NS, "assertion", "Open Badges 2.0")):
        found = _credential_elements(root, ns, name)
        if len(found) > 1:
            raise BakingError(f"the SVG carries {len(found)} {label} credentials; a baked image may carry only one")
        if found:
            element = found[0]
            verify = element.get("verify")
            text = verify if verify and verify.strip() else "".join(element.itertext())
            return _decode(text.encode("utf-8"))
    raise BakingError("the SVG image carries no baked credential (no openbadges:credential element)")


_EXTERNAL = re.compile(r"^\s*(#|data:image/(png|jpeg|gif|webp);)", re.IGNORECASE)


def _unsafe_svg_reason(root: Element, *, active_only: bool = False) -> str | None:
    """Why an SVG is not safe to serve as a badge, or None; ``active_only``: only what could run code
    (scripts, event attributes, embedded documents), not references to outside content."""
    for element in root.iter():
        tag = _local(element.tag).lower()
        if tag in ("script", "foreignobject", "iframe", "embed", "object", "handler", "listener"):
            return f"the SVG contains a <{_local(element.tag)}> element"
        for attribute, value in element.attrib.items():
            name = _local(attribute).lower()
            if name.startswith("on"):
                return f"the SVG has an event attribute ({name})"
            if active_only:
                continue
            if name in ("href", "src") and not _EXTERNAL.match(value):
                return f"the SVG refers to something outside itself ({name}={value[:60]!r})"
            if "url(" in value.lower() and re.search(r"url\(\s*['\"]?\s*(?!#)", value, re.IGNORECASE):
                return f"the SVG refers to something outside itself ({name} uses url())"
        if tag == "style" and not active_only:
            css = "".join(element.itertext()).lower()
            if "@import" in css or re.search(r"url\(\s*['\"]?\s*(?!#)", css):
                return "the SVG's style sheet refers to something outside itself"
    return None


def _root_start_tag_end(text: str) -> int:
    """The index just after the root element's start tag (prolog, comments and DOCTYPE skipped)."""
    pos = 0
    while True:
        lt = text.find("<", pos)
        if lt < 0:
            raise BakingError("the SVG has no root element")
        if text.startswith("<?", lt):
            pos = text.index("?>", lt) + 2
        elif text.startswith("<!--", lt):
            pos = text.index("-->", lt) + 3
        elif text.startswith("<!", lt):  # DOCTYPE (no internal subset: entities were refused already)
            pos = _skip_doctype(text, lt)
        else:
            break
    quote = ""
    for i in range(lt, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ">":
            return i + 1
    raise BakingError("the SVG's root element is not closed")


def _skip_doctype(text: str, start: int) -> int:
    depth, quote = 0, ""
    for i in range(start, len(text)):
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == ">" and depth == 0:
            return i + 1
    raise BakingError("the SVG's DOCTYPE is not closed")


def _cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def _attribute(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def _strip_baked(text: str, prefixes: dict[str, str]) -> str:
    """``text`` without any credential or assertion element in an Open Badges namespace."""
    for prefix, ns in prefixes.items():
        if ns not in (OB3_NS, OB2_NS):
            continue
        name = "credential" if ns == OB3_NS else "assertion"
        if text.count(f"<{prefix}:{name}") > 4:
            raise BakingError(f"the SVG carries several {prefix}:{name} elements; remove them to bake it")
        p = re.escape(prefix)
        pattern = rf"(?<![ \t\r\n])[ \t\r\n]*<{p}:{name}\b(?:[^>\"']|\"[^\"]*\"|'[^']*')*?(?:/>|>.*?</{p}:{name}\s*>)"
        text = re.sub(pattern, "", text, flags=re.DOTALL)
    return text


def bake_svg(image: bytes, credential: str) -> bytes:
    """``image`` with ``credential`` in an ``<openbadges:credential>`` element right after the root's start tag.

    JSON-LD goes in a CDATA section, a compact JWT in the ``verify`` attribute. A credential baked before
    (Open Badges 3.0 or 2.0) is replaced. Raises :class:`BakingError` for an SVG that is not safe to serve
    (scripts, ``foreignObject``, event attributes, external references, entity declarations).
    """
    payload = _check_credential(credential)
    if len(image) > MAX_IMAGE_BYTES:
        raise BakingError(f"the image is larger than {MAX_IMAGE_BYTES:,} bytes")
    root = _parse_xml(image)
    reason = _unsafe_svg_reason(root)
    if reason:
        raise BakingError(f"{reason}; such an SVG cannot be served as a badge")
    try:
        text = image.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BakingError("only UTF-8 SVG images can be baked") from exc
    end = _root_start_tag_end(text)
    start_tag = text[text.rfind("<", 0, end) : end]
    prefixes = dict(re.findall(r"xmlns:([\w.-]+)\s*=\s*[\"']([^\"']*)[\"']", start_tag))
    text = _strip_baked(text, prefixes)
    end = _root_start_tag_end(text)
    start_tag = text[text.rfind("<", 0, end) : end]
    bound = prefixes.get("openbadges")
    if bound is None:
        closing = "/>" if start_tag.endswith("/>") else ">"
        new_tag = start_tag[: -len(closing)].rstrip() + f' xmlns:openbadges="{OB3_NS}"' + closing
        text = text[: end - len(start_tag)] + new_tag + text[end:]
        end += len(new_tag) - len(start_tag)
    elif bound == OB2_NS:  # an Open Badges 2.0 image, its assertion removed above: rebind the prefix
        new_tag = re.sub(r"(xmlns:openbadges\s*=\s*[\"'])[^\"']*", rf"\g<1>{OB3_NS}", start_tag)
        text = text[: end - len(start_tag)] + new_tag + text[end:]
        end += len(new_tag) - len(start_tag)
    elif bound != OB3_NS:
        raise BakingError(f"the SVG binds the prefix openbadges to {bound!r}; remove that binding to bake it")
    if text[:end].endswith("/>"):  # <svg .../>: open it so it can hold a child
        text = text[: end - 2] + ">" + text[end:] + "</svg>"
        end -= 1
    element = (
        f'\n  <openbadges:credential verify="{_attribute(payload)}"></openbadges:credential>'
        if _is_jwt(payload)
        else f"\n  <openbadges:credential>{_cdata(payload)}</openbadges:credential>"
    )
    return (text[:end] + element + text[end:]).encode("utf-8")


# -- PDF ------------------------------------------------------------------------------------------

PDF_ATTACHMENTS = ("credential.jwt", "credential.json")
"""The names a Cairn certificate PDF gives the credential it carries."""


def _unbake_pdf(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=True)
        names = _embedded_files(reader)
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise BakingError("the PDF cannot be read") from exc
    except zlib.error as exc:
        raise BakingError("the PDF cannot be read (a stream does not decompress)") from exc
    for name in PDF_ATTACHMENTS:
        if name in names:
            return _decode(names[name])
    raise BakingError("the PDF carries no credential (no credential.json or credential.jwt attachment)")


def _embedded_files(reader: Any) -> dict[str, bytes]:
    """The PDF's attached files we care about, each decompressed within the credential limit."""
    from pypdf.generic import ArrayObject, DictionaryObject

    root = reader.trailer["/Root"].get_object()
    names = root.get("/Names")
    if names is None:
        return {}
    tree = names.get_object().get("/EmbeddedFiles")
    if tree is None:
        return {}
    out: dict[str, bytes] = {}
    pending, seen = [tree.get_object()], 0
    while pending:
        node = pending.pop()
        seen += 1
        if seen > 1000 or not isinstance(node, DictionaryObject):
            break
        kids = node.get("/Kids")
        if isinstance(kids, ArrayObject):
            pending.extend(k.get_object() for k in kids[:100])
        pairs = node.get("/Names")
        if not isinstance(pairs, ArrayObject):
            continue
        for i in range(0, min(len(pairs), 200) - 1, 2):
            name = str(pairs[i].get_object())
            if name not in PDF_ATTACHMENTS or name in out:
                continue
            spec = pairs[i + 1].get_object()
            stream = spec.get("/EF", {}).get("/F")
            if stream is not None:
                out[name] = _stream_bytes(stream.get_object())
    return out


def _stream_bytes(stream: Any) -> bytes:
    """A PDF stream's content, inflated by hand so that a zip bomb stops at the limit."""
    raw = bytes(stream._data)  # the encoded bytes, before any filter
    filters = stream.get("/Filter")
    names = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)] if filters else []
    if not names:
        return raw
    if names != ["/FlateDecode"] or stream.get("/DecodeParms"):
        raise BakingError("the PDF's credential attachment uses an unsupported encoding")
    return _inflate(raw, "PDF's credential attachment")
