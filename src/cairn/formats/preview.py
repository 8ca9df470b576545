"""Pictures of a credential, drawn from its text alone (pure: no database, no network, no clock).

- :func:`preview_png`: the 1200x630 card that social networks show for a shared link (Open Graph / Twitter).
- :func:`badge_png` and :func:`badge_svg`: a plain badge to bake a credential into when the credential
  carries no image of its own; :func:`embedded_image` takes the one it carries when it is an embedded
  ``data:`` URL (a remote image is never fetched).

Text comes in already translated; the font is DejaVu Sans shipped with Cairn (Pillow's own bundled font when
it is missing), and a character neither can draw is replaced by its plain-Latin stand-in.
"""

from __future__ import annotations

import base64
import binascii
import io
import unicodedata
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Final
from urllib.parse import unquote_to_bytes
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

__all__ = [
    "MAX_IMAGE_BYTES",
    "PREVIEW_SIZE",
    "badge_png",
    "badge_svg",
    "embedded_image",
    "preview_png",
]

PREVIEW_SIZE: Final = (1200, 630)
"""Width and height of the link preview: the size Open Graph and Twitter's large card expect."""
MAX_IMAGE_BYTES: Final = 2_000_000
"""An embedded badge image larger than this is ignored (a generated one is used instead)."""

_INK = (23, 32, 42)
_MUTED = (74, 85, 104)
_PAPER = (250, 248, 243)
_ACCENT = (31, 94, 74)
_WARN = (150, 40, 24)
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int, bold: bool = False) -> Font:
    """DejaVu Sans shipped in ``cairn/formats/fonts`` (all European scripts), else Pillow's bundled font."""
    font = resources.files("cairn.formats") / "fonts" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        with font.open("rb") as handle:
            return ImageFont.truetype(io.BytesIO(handle.read()), size=size)
    except OSError:
        return ImageFont.load_default(size=size)


_FALLBACK: Final = {
    "Ł": "L",
    "ł": "l",
    "Ø": "O",
    "ø": "o",
    "Đ": "D",
    "đ": "d",
    "ß": "ss",
    "Æ": "AE",
    "æ": "ae",
    "Œ": "OE",
    "œ": "oe",
    "—": "-",
    "–": "-",
    "‘": "'",
    "’": "'",
    "“": '"',
    "”": '"',
    "„": '"',
}


@cache
def _missing_glyph() -> bytes:
    return bytes(_font(40).getmask("\ufffe"))


@cache
def _drawable(char: str) -> str:
    """``char`` when the bundled font draws it, else its closest plain-Latin stand-in (the font is Latin-1 only)."""
    if char.isspace() or bytes(_font(40).getmask(char)) != _missing_glyph():
        return char
    if char in _FALLBACK:
        return _FALLBACK[char]
    plain = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if plain and plain != char and all(bytes(_font(40).getmask(c)) != _missing_glyph() for c in plain):
        return plain
    return "?"


def _plain(text: str) -> str:
    """``text`` with every character the font cannot draw replaced (ł -> l, — -> -)."""
    return "".join(_drawable(c) for c in text)


def _width(font: Font, text: str) -> float:
    return float(font.getlength(text))


def _wrap(text: str, font: Font, width: int, max_lines: int) -> list[str]:
    """``text`` in lines no wider than ``width``, at most ``max_lines`` (the last one ends with an ellipsis)."""
    lines: list[str] = []
    current = ""
    for word in " ".join(text.split()).split(" "):
        candidate = f"{current} {word}".strip()
        if _width(font, candidate) <= width or not current:
            current = candidate
            continue
        lines.append(current)
        current = word
    if current:
        lines.append(current)
    lines = [_fit(line, font, width) for line in lines]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _fit(lines[-1] + " …", font, width, force=True)
    return lines


def _fit(line: str, font: Font, width: int, *, force: bool = False) -> str:
    """``line`` cut (with an ellipsis) to fit ``width``."""
    if _width(font, line) <= width and not force:
        return line
    while line and _width(font, line.rstrip(" …") + "…") > width:
        line = line[:-1]
    return line.rstrip(" …") + "…"


def _check_mark(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, colour: tuple[int, int, int]) -> None:
    """A drawn tick in a circle (the bundled font has no check mark glyph)."""
    draw.ellipse((x, y, x + size, y + size), fill=colour)
    s = size
    points = [(x + s * 0.27, y + s * 0.52), (x + s * 0.44, y + s * 0.69), (x + s * 0.74, y + s * 0.34)]
    draw.line(points, fill=_PAPER, width=max(3, size // 9), joint="curve")


def _cross_mark(draw: ImageDraw.ImageDraw, x: int, y: int, size: int, colour: tuple[int, int, int]) -> None:
    draw.ellipse((x, y, x + size, y + size), fill=colour)
    a, b = size * 0.32, size * 0.68
    width = max(3, size // 9)
    draw.line([(x + a, y + a), (x + b, y + b)], fill=_PAPER, width=width)
    draw.line([(x + a, y + b), (x + b, y + a)], fill=_PAPER, width=width)


def preview_png(*, title: str, issuer: str, date: str, verdict: str, verified: bool, site: str = "Cairn") -> bytes:
    """The 1200x630 link preview: title, issuer, date and a verified (or not) mark; PNG bytes."""
    title, issuer, date, verdict, site = (_plain(t) for t in (title, issuer, date, verdict, site))
    width, height = PREVIEW_SIZE
    image = Image.new("RGB", PREVIEW_SIZE, _PAPER)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 24, height), fill=_ACCENT)
    margin, text_width = 90, width - 180
    y = 70
    draw.text((margin, y), site, font=_font(34, bold=True), fill=_ACCENT)
    y += 80
    title_font = _font(60, bold=True)
    title_lines = _wrap(title or "Credential", title_font, text_width, 3)
    for line in title_lines:
        draw.text((margin, y), line, font=title_font, fill=_INK)
        y += 78
    y += 16
    for line in _wrap(issuer, _font(38), text_width, 1 if len(title_lines) == 3 else 2):
        draw.text((margin, y), line, font=_font(38), fill=_MUTED)
        y += 50
    if date:
        draw.text((margin, y + 6), _fit(date, _font(32), text_width), font=_font(32), fill=_MUTED)
    mark_y = height - 110
    colour = _ACCENT if verified else _WARN
    (_check_mark if verified else _cross_mark)(draw, margin, mark_y, 64, colour)
    draw.text((margin + 88, mark_y + 12), _fit(verdict, _font(36), text_width - 88), font=_font(36), fill=colour)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False, compress_level=6)
    return out.getvalue()


def _initials(title: str) -> str:
    words = [w for w in title.split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "C"


def badge_png(*, title: str, issuer: str, size: int = 512) -> bytes:
    """A square badge with the title's initials, the title and the issuer; PNG bytes."""
    title, issuer = _plain(title), _plain(issuer)
    image = Image.new("RGB", (size, size), _PAPER)
    draw = ImageDraw.Draw(image)
    pad = size // 16
    draw.ellipse((pad, pad, size - pad, size - pad), fill=_ACCENT)
    draw.ellipse((pad * 2, pad * 2, size - pad * 2, size - pad * 2), outline=_PAPER, width=max(2, size // 100))
    big = _font(size // 4, bold=True)
    initials = _initials(title)
    draw.text((size / 2, size * 0.36), initials, font=big, fill=_PAPER, anchor="mm")
    small = _font(size // 18)
    y = size * 0.55
    for line in _wrap(title, small, int(size * 0.62), 2):
        draw.text((size / 2, y), line, font=small, fill=_PAPER, anchor="mm")
        y += size // 14
    tiny = _font(size // 24)
    for line in _wrap(issuer, tiny, int(size * 0.5), 1):
        draw.text((size / 2, size * 0.76), line, font=tiny, fill=_PAPER, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def badge_svg(*, title: str, issuer: str) -> bytes:
    """A simple square SVG badge with an accessible title; UTF-8 bytes."""
    label = escape(f"{title} — {issuer}" if issuer else title)
    initials = escape(_initials(title))
    short_title = escape(title if len(title) <= 40 else title[:39] + "…")
    short_issuer = escape(issuer if len(issuer) <= 48 else issuer[:47] + "…")
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512" role="img" '
        'aria-labelledby="badge-title">'
        f'<title id="badge-title">{label}</title>'
        '<rect width="512" height="512" fill="#faf8f3"/>'
        '<circle cx="256" cy="256" r="224" fill="#1f5e4a"/>'
        '<circle cx="256" cy="256" r="192" fill="none" stroke="#faf8f3" stroke-width="5"/>'
        '<g fill="#faf8f3" font-family="sans-serif" text-anchor="middle">'
        f'<text x="256" y="215" font-size="120" font-weight="bold">{initials}</text>'
        f'<text x="256" y="300" font-size="26">{short_title}</text>'
        f'<text x="256" y="345" font-size="20">{short_issuer}</text>'
        "</g></svg>"
    )
    return svg.encode("utf-8")


def _decode_data_url(url: str) -> tuple[str, bytes] | None:
    """(media type, bytes) of a ``data:`` URL, or None when it is not one or cannot be decoded."""
    if not url.startswith("data:") or "," not in url or len(url) > MAX_IMAGE_BYTES * 4 // 3 + 200:
        return None
    header, _, payload = url[5:].partition(",")
    parts = header.split(";")
    media_type = parts[0].strip().lower()
    try:
        data = base64.b64decode(payload, validate=False) if "base64" in parts[1:] else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None
    return media_type, data


def embedded_image(credential: Mapping[str, Any], kind: str) -> bytes | None:
    """The achievement's (else the credential's) image when it is an embedded ``data:`` URL of ``kind``
    (``"png"`` or ``"svg"``) within :data:`MAX_IMAGE_BYTES`; None otherwise (never fetched)."""
    subject = credential.get("credentialSubject")
    subject = subject[0] if isinstance(subject, list) and subject else subject
    achievement = subject.get("achievement") if isinstance(subject, Mapping) else None
    candidates = [achievement.get("image")] if isinstance(achievement, Mapping) else []
    candidates.append(credential.get("image"))
    for image in candidates:
        url = image.get("id") if isinstance(image, Mapping) else image
        decoded = _decode_data_url(url) if isinstance(url, str) else None
        if decoded is None or len(decoded[1]) > MAX_IMAGE_BYTES:
            continue
        media_type, data = decoded
        if kind == "png" and media_type == "image/png" and data.startswith(_PNG_MAGIC):
            return data
        if kind == "svg" and media_type == "image/svg+xml" and b"<svg" in data[:4096]:
            return data
    return None
