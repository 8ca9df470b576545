"""Badges Cairn draws itself (pure: no database, no network, no clock).

- :func:`badge_svg` and :func:`badge_png`: a definition's badge from its title, its issuer's name, a colour of
  :data:`PALETTE` and a shape of :data:`SHAPES`. Equal input, equal bytes: a badge is content-addressed.
- :func:`monogram_svg`: an organisation's logo when it uploaded none, from the initials of its name.
- :func:`default_design`: the colour and shape of a definition that chose none (from its id, so it is stable).

Both images lay the title out the same way (at most three lines, the last shortened with an ellipsis), with no
external fonts or resources: the SVG names DejaVu Sans and the usual sans-serif fallbacks, the PNG draws with the
DejaVu Sans Cairn ships. Every text is escaped.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Final
from xml.sax.saxutils import escape

from PIL import Image, ImageDraw, ImageFont

from cairn.model.definitions import BADGE_COLOURS, BADGE_SHAPES

__all__ = [
    "PALETTE",
    "SHAPES",
    "Colour",
    "badge_png",
    "badge_svg",
    "contrast_ratio",
    "default_design",
    "initials",
    "monogram_svg",
    "wrap_title",
]

SIZE: Final = 256
"""The badge's own coordinate space (a square); the PNG is drawn at any multiple of it."""
_CENTRE: Final = SIZE / 2


@dataclass(frozen=True, slots=True)
class Colour:
    """A palette entry: the badge's fill, a darker rim and the ink of its text (WCAG AA on the fill)."""

    fill: str
    rim: str
    ink: str = "#FFFFFF"


PALETTE: Final[dict[str, Colour]] = {
    "teal": Colour("#1F5E4A", "#123B2E"),
    "blue": Colour("#1D4E89", "#102F55"),
    "indigo": Colour("#4338CA", "#2A2184"),
    "purple": Colour("#6B2D8C", "#441B5A"),
    "crimson": Colour("#9B1C31", "#62101F"),
    "rust": Colour("#9A3412", "#5F1F0A"),
    "forest": Colour("#3F6212", "#27400A"),
    "slate": Colour("#334155", "#1E2633"),
}
"""The colours an issuer chooses from, by the names :data:`cairn.model.definitions.BADGE_COLOURS` allows."""
assert tuple(PALETTE) == BADGE_COLOURS


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG 2 contrast ratio of two ``#RRGGBB`` colours (1 to 21)."""
    a, b = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def _polar(radius: float, angle: float) -> tuple[float, float]:
    return (_CENTRE + radius * math.cos(angle), _CENTRE + radius * math.sin(angle))


def _bezier(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
) -> list[tuple[float, float]]:
    points = []
    for i in range(1, 17):
        t = i / 16
        u = 1 - t
        points.append(
            (
                u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0],
                u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1],
            )
        )
    return points


def _outline(shape: str) -> list[tuple[float, float]]:
    """The shape's outline as points in the 256-unit square (a circle is a 96-gon)."""
    if shape == "circle":
        return [_polar(122, 2 * math.pi * i / 96) for i in range(96)]
    if shape == "hexagon":
        return [_polar(124, math.pi / 6 + math.pi / 3 * i) for i in range(6)]
    if shape == "rosette":
        return [_polar(124 if i % 2 == 0 else 113, math.pi * i / 16) for i in range(32)]
    if shape == "shield":
        points = [(128.0, 6.0), (232.0, 38.0), (232.0, 118.0)]
        points += _bezier((232, 118), (232, 184), (186, 224), (128, 250))
        points += _bezier((128, 250), (70, 224), (24, 184), (24, 118))
        return [*points, (24.0, 38.0)]
    raise ValueError(f"no badge shape '{shape}'")


SHAPES: Final[dict[str, list[tuple[float, float]]]] = {name: _outline(name) for name in BADGE_SHAPES}
"""The shapes an issuer chooses from, as outline points in a 256-unit square."""


def _scaled(points: list[tuple[float, float]], factor: float, *, lift: float = 0.0) -> list[tuple[float, float]]:
    return [(_CENTRE + (x - _CENTRE) * factor, _CENTRE + (y - _CENTRE) * factor - lift) for x, y in points]


def _points(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


# Average advance of DejaVu Sans Bold in ems: enough to wrap the same way in the SVG and the PNG.
_EM_WIDTH: Final = 0.64
_NARROW: Final = frozenset("iljtfrI.,:;'!| ")
_WIDE: Final = frozenset("mwMWŁĄĘŚŻŹ@%")


def _estimate(text: str, size: float, *, em: float = _EM_WIDTH) -> float:
    units = sum(0.33 if ch in _NARROW else 0.9 if ch in _WIDE else em for ch in text)
    return units * size


def _shorten(line: str, size: float, width: float, *, em: float = _EM_WIDTH) -> str:
    while line and _estimate(line + "…", size, em=em) > width:
        line = line[:-1].rstrip()
    return line + "…"


def wrap_title(title: str, *, width: float = 168, max_lines: int = 3) -> tuple[list[str], int]:
    """The title in at most ``max_lines`` lines of estimated ``width`` units, and the font size that fits it
    (26 down to 15); a word too long for a line is cut, and what does not fit ends with an ellipsis."""
    words = " ".join(title.split()).split(" ")
    for size in (26, 23, 20, 17, 15):
        lines: list[str] = []
        current = ""
        for word in words:
            candidate = f"{current} {word}".strip()
            if _estimate(candidate, size) <= width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = word
            while _estimate(current, size) > width:
                cut = len(current)
                while cut > 1 and _estimate(current[:cut], size) > width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
        if current:
            lines.append(current)
        if len(lines) <= max_lines:
            return lines, size
    kept = lines[:max_lines]
    kept[-1] = _shorten(" ".join(lines[max_lines - 1 :]), size, width)
    return kept, size


def _one_line(text: str, size: float, width: float) -> str:
    text = " ".join(text.split())
    return text if _estimate(text, size, em=0.56) <= width else _shorten(text, size, width, em=0.56)


def default_design(definition_id: str) -> tuple[str, str]:
    """The colour and shape of a definition that chose none: picked from its id, so it never changes."""
    digest = hashlib.sha256(definition_id.encode("utf-8")).digest()
    return BADGE_COLOURS[digest[0] % len(BADGE_COLOURS)], BADGE_SHAPES[digest[1] % len(BADGE_SHAPES)]


@dataclass(frozen=True, slots=True)
class _Layout:
    lines: list[str]
    size: int
    issuer: str
    top: float  # the first title line's baseline
    issuer_y: float
    star_y: float


def _layout(title: str, issuer: str, shape: str) -> _Layout:
    lines, size = wrap_title(title, width=150 if shape == "hexagon" else 160)
    leading = size * 1.15
    block = leading * (len(lines) - 1)
    shift = -8.0 if shape == "shield" else 0.0
    top = _CENTRE + 6 - block / 2 + shift
    return _Layout(
        lines=lines,
        size=size,
        issuer=_one_line(issuer, 12, 150 if shape == "circle" else 136),
        top=top,
        issuer_y=top + block + 30,
        star_y=top - size - 14,
    )


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    return [
        (
            cx + (outer if i % 2 == 0 else outer * 0.45) * math.cos(-math.pi / 2 + math.pi * i / 5),
            cy + (outer if i % 2 == 0 else outer * 0.45) * math.sin(-math.pi / 2 + math.pi * i / 5),
        )
        for i in range(10)
    ]


_FONT: Final = "'DejaVu Sans', Verdana, 'Segoe UI', Arial, sans-serif"


def badge_svg(*, title: str, issuer: str, colour: str, shape: str) -> bytes:
    """The badge as a self-contained SVG (UTF-8), labelled with its title for screen readers.

    ``colour`` is a key of :data:`PALETTE`, ``shape`` one of :data:`SHAPES` (ValueError otherwise)."""
    if colour not in PALETTE or shape not in SHAPES:
        raise ValueError(f"no badge colour '{colour}' or shape '{shape}'")
    paint = PALETTE[colour]
    outline = SHAPES[shape]
    layout = _layout(title, issuer, shape)
    label = escape(f"{' '.join(title.split())} ({' '.join(issuer.split())})" if issuer.strip() else title)
    text = "".join(
        f'<text x="128" y="{layout.top + i * layout.size * 1.15:.1f}" font-size="{layout.size}" '
        f'font-weight="700">{escape(line)}</text>'
        for i, line in enumerate(layout.lines)
    )
    parts = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256" role="img">',
        f"<title>{label}</title>",
        f'<polygon points="{_points(_scaled(outline, 1.0))}" fill="{paint.rim}"/>',
        f'<polygon points="{_points(_scaled(outline, 0.955))}" fill="{paint.fill}"/>',
        f'<polygon points="{_points(_scaled(outline, 0.86))}" fill="none" stroke="{paint.ink}" '
        'stroke-opacity="0.55" stroke-width="2"/>',
        f'<polygon points="{_points(_star(128, layout.star_y, 9))}" fill="{paint.ink}"/>',
        f'<g fill="{paint.ink}" font-family="{_FONT}" text-anchor="middle">{text}',
        f'<line x1="104" y1="{layout.issuer_y - 17:.1f}" x2="152" y2="{layout.issuer_y - 17:.1f}" '
        f'stroke="{paint.ink}" stroke-opacity="0.7" stroke-width="1.5"/>',
        f'<text x="128" y="{layout.issuer_y:.1f}" font-size="12">{escape(layout.issuer)}</text></g>',
        "</svg>",
    ]
    return "".join(parts).encode("utf-8")


@cache
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    font = resources.files("cairn.formats") / "fonts" / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        with font.open("rb") as handle:
            return ImageFont.truetype(io.BytesIO(handle.read()), size=size)
    except OSError:
        return ImageFont.load_default(size=size)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


def badge_png(*, title: str, issuer: str, colour: str, shape: str, size: int = 512) -> bytes:
    """The same badge as :func:`badge_svg`, drawn as a square PNG of ``size`` pixels (transparent outside)."""
    if colour not in PALETTE or shape not in SHAPES:
        raise ValueError(f"no badge colour '{colour}' or shape '{shape}'")
    paint = PALETTE[colour]
    scale = size / SIZE
    outline = SHAPES[shape]
    layout = _layout(title, issuer, shape)

    def at(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
        return [(x * scale, y * scale) for x, y in points]

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    ink = _rgb(paint.ink)
    draw.polygon(at(_scaled(outline, 1.0)), fill=_rgb(paint.rim))
    draw.polygon(at(_scaled(outline, 0.955)), fill=_rgb(paint.fill))
    ring = at(_scaled(outline, 0.86))
    draw.line([*ring, ring[0]], fill=(*ink, 150), width=max(1, round(2 * scale)))
    draw.polygon(at(_star(128, layout.star_y, 9)), fill=ink)
    title_font = _font(round(layout.size * scale), True)
    for i, line in enumerate(layout.lines):
        y = (layout.top + i * layout.size * 1.15) * scale
        draw.text((128 * scale, y), line, font=title_font, fill=ink, anchor="ms")
    rule_y = (layout.issuer_y - 17) * scale
    draw.line([(104 * scale, rule_y), (152 * scale, rule_y)], fill=(*ink, 180), width=max(1, round(1.5 * scale)))
    draw.text(
        (128 * scale, layout.issuer_y * scale),
        layout.issuer,
        font=_font(round(12 * scale), False),
        fill=ink,
        anchor="ms",
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


_SMALL_WORDS: Final = frozenset(
    {
        "of",
        "the",
        "and",
        "for",
        "in",
        "on",
        "at",
        "a",
        "an",
        "de",
        "la",
        "le",
        "i",
        "w",
        "we",
        "na",
        "im",
        "und",
        "der",
        "die",
        "das",
        "für",
        "&",
    }
)


def initials(name: str) -> str:
    """Up to three capital letters from a name's significant words ("University of Warsaw" gives "UW")."""
    words = [w for w in name.replace("-", " ").split() if w.strip(".,()&")]
    significant = [w for w in words if w.lower() not in _SMALL_WORDS] or words
    letters = [next((ch for ch in w if ch.isalnum()), "") for w in significant]
    return "".join(letters[:3]).upper() or "?"


def monogram_svg(name: str) -> bytes:
    """A square logo with the initials of ``name`` on a palette colour picked from the name (stable)."""
    colour = BADGE_COLOURS[hashlib.sha256(name.encode("utf-8")).digest()[0] % len(BADGE_COLOURS)]
    paint = PALETTE[colour]
    letters = initials(name)
    font_size = {1: 52, 2: 40, 3: 28}[len(letters)]
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="96" viewBox="0 0 96 96" role="img">'
        f"<title>{escape(' '.join(name.split()))}</title>"
        f'<rect width="96" height="96" rx="18" fill="{paint.fill}"/>'
        f'<text x="48" y="{48 + font_size * 0.36:.1f}" font-size="{font_size}" font-weight="700" '
        f'font-family="{_FONT}" text-anchor="middle" fill="{paint.ink}">{escape(letters)}</text>'
        "</svg>"
    ).encode()
