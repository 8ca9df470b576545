"""Check and clean an image someone hands over as a badge or a logo (pure: no database, no network).

:func:`check_image` takes the bytes of an upload and answers a :class:`CheckedImage` whose ``content`` is safe to
serve from Cairn's own origin, or raises :class:`~cairn.errors.InputError` saying why not:

- PNG: at most :data:`MAX_IMAGE_BYTES` and :data:`MAX_PIXELS` a side, its size read from the header before any
  pixel is decoded (a decompression bomb is refused unread); then decoded and written again, so that text chunks,
  metadata and anything after the image (a polyglot) are gone.
- SVG: parsed with ``defusedxml`` (no DTD, no entities: billion laughs and external entities are refused), then
  every element and attribute checked against an allowlist: no scripts, no event handlers, no
  ``<foreignObject>``, no reference outside the document (``href`` only to ``#id``, ``url(#id)`` only), no
  ``@import``; written again from the checked tree (comments and processing instructions dropped).

:func:`data_url_image` reads a ``data:`` URL (what another issuer's credential may embed) through the same checks
and answers None when it is anything else: a remote image is never fetched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from typing import Final
from urllib.parse import unquote_to_bytes
from xml.etree.ElementTree import Element
from xml.sax.saxutils import escape, quoteattr

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from PIL import Image, UnidentifiedImageError

from cairn.errors import InputError

__all__ = [
    "MAX_IMAGE_BYTES",
    "MAX_PIXELS",
    "MEDIA_TYPES",
    "CheckedImage",
    "check_image",
    "data_url_image",
    "extension_of",
]

MAX_IMAGE_BYTES: Final = 512 * 1024
"""The largest image accepted, PNG or SVG."""
MAX_PIXELS: Final = 2048
"""The largest width or height of a PNG (and of an SVG that states its size in pixels)."""
MAX_SVG_ELEMENTS: Final = 5000
MAX_SVG_DEPTH: Final = 40
MEDIA_TYPES: Final = {"png": "image/png", "svg": "image/svg+xml"}

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_SVG: Final = "http://www.w3.org/2000/svg"
_XLINK: Final = "http://www.w3.org/1999/xlink"
_XML: Final = "http://www.w3.org/XML/1998/namespace"

_ELEMENTS: Final = frozenset(
    {
        "svg", "g", "defs", "title", "desc", "symbol", "use", "path", "rect", "circle", "ellipse", "line",
        "polyline", "polygon", "text", "tspan", "textPath", "linearGradient", "radialGradient", "stop",
        "clipPath", "mask", "pattern", "marker", "style", "metadata",
    }
)  # fmt: skip
_ATTRIBUTES: Final = frozenset(
    {
        "id", "class", "style", "width", "height", "x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "rx", "ry",
        "fx", "fy", "fr", "d", "points", "viewBox", "preserveAspectRatio", "transform", "version", "role",
        "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity", "stroke-linecap",
        "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity", "color",
        "clip-path", "clip-rule", "mask", "display", "visibility", "overflow", "offset", "stop-color",
        "stop-opacity", "gradientUnits", "gradientTransform", "spreadMethod", "patternUnits",
        "patternContentUnits", "patternTransform", "clipPathUnits", "maskUnits", "maskContentUnits",
        "font-family", "font-size", "font-weight", "font-style", "font-variant", "text-anchor",
        "dominant-baseline", "alignment-baseline", "baseline-shift", "letter-spacing", "word-spacing",
        "text-decoration", "dx", "dy", "rotate", "textLength", "lengthAdjust", "startOffset", "markerWidth",
        "markerHeight", "refX", "refY", "orient", "markerUnits", "marker-start", "marker-mid", "marker-end",
        "vector-effect", "shape-rendering", "text-rendering", "paint-order", "aria-label", "aria-hidden",
        "focusable", "type", "media", "href", "space", "lang",
    }
)  # fmt: skip
_URL = re.compile(r"url\s*\(\s*(['\"]?)\s*([^)'\"]*)\1\s*\)", re.IGNORECASE)
_FORBIDDEN_CSS = re.compile(r"@import|expression\s*\(|javascript:|behavior\s*:|-moz-binding|\\", re.IGNORECASE)
_NUMBER = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(px)?\s*$")


@dataclass(frozen=True, slots=True)
class CheckedImage:
    """An image that passed the checks, as it will be stored and served."""

    media_type: str
    content: bytes
    width: int | None
    height: int | None

    @property
    def sha256(self) -> str:
        """The SHA-256 (hex) of :attr:`content`: the image's address."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def extension(self) -> str:
        """``png`` or ``svg``."""
        return extension_of(self.media_type)

    def data_url(self) -> str:
        """The image as a ``data:`` URL."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.content).decode('ascii')}"


def extension_of(media_type: str) -> str:
    """``png`` or ``svg`` for a media type :func:`check_image` gives."""
    return "svg" if media_type == MEDIA_TYPES["svg"] else "png"


def check_image(data: bytes) -> CheckedImage:
    """The checked, cleaned image in ``data`` (PNG or SVG); InputError says why it is refused."""
    if len(data) > MAX_IMAGE_BYTES:
        raise InputError("the image is larger than %(max)s KB", max=MAX_IMAGE_BYTES // 1024)
    if not data:
        raise InputError("the image is empty")
    if data.startswith(_PNG_MAGIC):
        return _check_png(data)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")):
        return _check_svg(data)
    raise InputError("only PNG and SVG images are accepted")


def _check_png(data: bytes) -> CheckedImage:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
            width, height = image.size
            if width > MAX_PIXELS or height > MAX_PIXELS or width < 1 or height < 1:
                raise InputError(
                    "the image is %(width)s x %(height)s pixels: at most %(max)s a side",
                    width=width,
                    height=height,
                    max=MAX_PIXELS,
                )
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                image.load()
            converted = image.convert("RGBA" if image.mode in ("RGBA", "LA", "P", "PA") else "RGB")
    except InputError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InputError(
            "the PNG image claims more pixels than it may have (at most %(max)s a side)", max=MAX_PIXELS
        ) from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise InputError("the PNG image cannot be read") from None
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return CheckedImage(MEDIA_TYPES["png"], out.getvalue(), width, height)


def _local(name: str) -> tuple[str, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return "", name


def _check_css(text: str, where: str) -> None:
    if _FORBIDDEN_CSS.search(text):
        raise InputError("the SVG image has styles that are not allowed (in %(where)s)", where=where)
    for match in _URL.finditer(text):
        if not match.group(2).startswith("#"):
            raise InputError("the SVG image refers to something outside itself (in %(where)s)", where=where)


def _pixels(value: str | None) -> float | None:
    match = _NUMBER.match(value) if value else None
    return float(match.group(1)) if match else None


def _check_svg(data: bytes) -> CheckedImage:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("the SVG image is not UTF-8 text") from None
    try:
        root = SafeET.fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise InputError("the SVG image declares a DTD or entities, which are not allowed") from None
    except SafeET.ParseError:
        raise InputError("the SVG image is not well-formed XML") from None
    if root.tag != f"{{{_SVG}}}svg":
        raise InputError("the file is not an SVG image (its root element is not <svg> in the SVG namespace)")
    count = _check_element(root, 0, 0)
    if count > MAX_SVG_ELEMENTS:
        raise InputError("the SVG image has more than %(max)s elements", max=MAX_SVG_ELEMENTS)
    width, height = _pixels(root.get("width")), _pixels(root.get("height"))
    box = (root.get("viewBox") or "").replace(",", " ").split()
    if (width is None or height is None) and len(box) == 4:
        try:
            width, height = float(box[2]), float(box[3])
        except ValueError:
            raise InputError("the SVG image's viewBox is not four numbers") from None
    if (width or 0) > MAX_PIXELS * 8 or (height or 0) > MAX_PIXELS * 8:
        raise InputError("the SVG image is too large: at most %(max)s units a side", max=MAX_PIXELS * 8)
    content = ('<?xml version="1.0" encoding="UTF-8"?>\n' + _serialise(root, top=True)).encode("utf-8")
    return CheckedImage(MEDIA_TYPES["svg"], content, round(width) if width else None, round(height) if height else None)


def _check_element(element: Element, depth: int, count: int) -> int:
    if not isinstance(element.tag, str):
        return count
    count += 1
    if depth > MAX_SVG_DEPTH or count > MAX_SVG_ELEMENTS:
        raise InputError("the SVG image is nested too deeply or has too many elements")
    namespace, name = _local(element.tag)
    if namespace != _SVG or name not in _ELEMENTS:
        raise InputError("the SVG image has an element that is not allowed: <%(name)s>", name=name[:40])
    for key, value in element.attrib.items():
        attr_ns, attr = _local(key)
        if attr.lower().startswith("on"):
            raise InputError("the SVG image has an event handler (%(name)s), which is not allowed", name=attr[:40])
        if attr_ns not in ("", _XLINK, _XML) or attr not in _ATTRIBUTES:
            raise InputError("the SVG image has an attribute that is not allowed: %(name)s", name=attr[:40])
        if attr_ns == _XLINK and attr != "href":
            raise InputError("the SVG image has an attribute that is not allowed: %(name)s", name=attr[:40])
        if attr == "href" and not value.strip().startswith("#"):
            raise InputError("the SVG image refers to something outside itself (in %(where)s)", where=attr)
        _check_css(value, attr)
    if name == "style":
        _check_css(element.text or "", "<style>")
    for child in element:
        count = _check_element(child, depth + 1, count)
    return count


def _name(tag: str) -> str:
    namespace, local = _local(tag)
    return {"": local, _SVG: local, _XLINK: f"xlink:{local}", _XML: f"xml:{local}"}[namespace]


def _serialise(element: Element, *, top: bool = False) -> str:
    if not isinstance(element.tag, str):  # comments and processing instructions are dropped
        return escape(element.tail or "")
    name = _name(element.tag)
    attributes = "".join(f" {_name(k)}={quoteattr(v)}" for k, v in element.attrib.items())
    if top:
        attributes = f' xmlns="{_SVG}" xmlns:xlink="{_XLINK}"' + attributes
    inner = escape(element.text or "") + "".join(_serialise(child) for child in element)
    tail = "" if top else escape(element.tail or "")
    return f"<{name}{attributes}>{inner}</{name}>{tail}"


def data_url_image(url: object) -> CheckedImage | None:
    """The PNG or SVG image in a ``data:`` URL when it passes :func:`check_image`; None for anything else
    (another kind of URL, another media type, a malformed or refused image)."""
    if not isinstance(url, str) or url[:5].lower() != "data:" or len(url) > MAX_IMAGE_BYTES * 2:
        return None
    header, comma, payload = url[5:].partition(",")
    if not comma:
        return None
    media_type = header.split(";")[0].strip().lower()
    if media_type not in MEDIA_TYPES.values():
        return None
    try:
        raw = (
            base64.b64decode(payload, validate=True)
            if header.lower().endswith(";base64")
            else unquote_to_bytes(payload)
        )
        checked = check_image(raw)
    except (binascii.Error, ValueError, InputError):
        return None
    return checked if checked.media_type == media_type else None
