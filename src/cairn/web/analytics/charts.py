"""Charts drawn on the server as SVG: no script, the same for every browser, readable by screen readers.

Two kinds: :func:`columns`, a time series (one column per month, left to right), and :func:`bars`, a breakdown
(one horizontal bar per value, top to bottom). Each is ``role="img"`` with a ``<title>`` and an ``aria-label``
saying what it shows; the page puts the chart's data table right after it, so the figures themselves are read
from the table. A bar's length is proportional to its value (the longest is the largest value); a withheld value
has no bar, only its label and the word the page gives (a gap, never a length). Every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from markupsafe import Markup, escape

__all__ = ["Bar", "bars", "columns"]

WIDTH: Final = 640
"""The drawing's width in its own units (it scales to the page: ``width`` 100%)."""
ROW: Final = 28
LABEL: Final = 250
"""The room left of the bars for their labels (a longer label is cut, with an ellipsis; the table has it whole)."""
LABEL_CHARS: Final = 24
VALUE_ROOM: Final = 70


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its value (None: withheld) and the value as the page writes it."""

    label: str
    value: float | None
    text: str


def _cut(label: str, most: int = LABEL_CHARS) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _largest(items: Sequence[Bar]) -> float:
    largest = max((b.value for b in items if b.value is not None), default=0.0)
    return largest if largest > 0 else 1.0


def _open(width: int, height: int, title: str, css: str) -> str:
    t = escape(title)
    return (
        f'<svg class="chart {css}" role="img" aria-label="{t}" viewBox="0 0 {width} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>'
    )


def bars(items: Sequence[Bar], title: str) -> Markup:
    """Horizontal bars, one per item in order; ``title`` says what the chart shows (its accessible name)."""
    height = max(1, len(items)) * ROW + 8
    room = WIDTH - LABEL - VALUE_ROOM
    largest = _largest(items)
    parts = [_open(WIDTH, height, title, "bars")]
    for i, item in enumerate(items):
        y = 4 + i * ROW
        middle = y + ROW / 2 + 5
        parts.append(
            f'<text class="label" x="{LABEL - 8}" y="{middle:.1f}" text-anchor="end">{escape(_cut(item.label))}</text>'
        )
        if item.value is None:
            parts.append(f'<text class="withheld" x="{LABEL}" y="{middle:.1f}">{escape(item.text)}</text>')
            continue
        length = max(0.0, item.value) / largest * room
        parts.append(f'<rect class="bar" x="{LABEL}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}"/>')
        parts.append(f'<text class="value" x="{LABEL + length + 6:.1f}" y="{middle:.1f}">{escape(item.text)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


COLUMN_AREA: Final = 180
"""The height of the columns' area (the tallest column); labels and values take the room above and below."""


def columns(items: Sequence[Bar], title: str) -> Markup:
    """Vertical columns, one per item left to right (a time series: one per month)."""
    count = max(1, len(items))
    step = (WIDTH - 20) / count
    width = max(2.0, step * 0.7)
    top, base = 24, 24 + COLUMN_AREA
    largest = _largest(items)
    parts = [_open(WIDTH, base + 30, title, "columns")]
    parts.append(f'<line class="axis" x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}"/>')
    every = max(1, round(count / 8))  # at most about 8 labels under the axis
    for i, item in enumerate(items):
        x = 10 + i * step + (step - width) / 2
        centre = x + width / 2
        if i % every == 0 or i == count - 1:
            label = escape(_cut(item.label, 10))
            parts.append(f'<text class="label" x="{centre:.1f}" y="{base + 20}" text-anchor="middle">{label}</text>')
        if item.value is None:
            parts.append(f'<text class="withheld" x="{centre:.1f}" y="{base - 6}" text-anchor="middle">–</text>')
            continue
        height = max(0.0, item.value) / largest * COLUMN_AREA
        y = base - height
        parts.append(f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{height:.1f}"/>')
        if count <= 12:
            text = escape(item.text)
            parts.append(
                f'<text class="value" x="{centre:.1f}" y="{max(y - 6, top - 8):.1f}" text-anchor="middle">{text}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped
