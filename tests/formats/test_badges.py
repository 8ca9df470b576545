"""Generated badges and monograms: deterministic, readable, escaped, self-contained."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from cairn.formats.badges import (
    PALETTE,
    SHAPES,
    badge_png,
    badge_svg,
    contrast_ratio,
    default_design,
    initials,
    monogram_svg,
    wrap_title,
)
from cairn.formats.images import check_image
from cairn.model.definitions import BADGE_COLOURS, BADGE_SHAPES

SVG = "{http://www.w3.org/2000/svg}"


def test_every_palette_colour_reads_as_text_at_wcag_aa() -> None:
    assert tuple(PALETTE) == BADGE_COLOURS
    for name, colour in PALETTE.items():
        assert contrast_ratio(colour.fill, colour.ink) >= 4.5, name
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21)


@pytest.mark.parametrize("shape", BADGE_SHAPES)
def test_badge_svg_is_deterministic_self_contained_and_passes_the_upload_checks(shape: str) -> None:
    title = 'Zarządzanie projektem <zwinnym> & "ryzykiem" w praktyce'
    first = badge_svg(title=title, issuer="Uniwersytet Łódzki", colour="teal", shape=shape)
    assert first == badge_svg(title=title, issuer="Uniwersytet Łódzki", colour="teal", shape=shape)
    assert first != badge_svg(title=title, issuer="Uniwersytet Łódzki", colour="blue", shape=shape)
    root = ET.fromstring(first)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert " ".join(texts[:-1]).replace("…", "") in " ".join(title.split())
    assert texts[-1] == "Uniwersytet Łódzki"
    assert root.findtext(f"{SVG}title", "").startswith("Zarządzanie projektem <zwinnym>")
    assert b"href" not in first
    assert b"url(" not in first
    assert b"<script" not in first
    assert check_image(first).media_type == "image/svg+xml"  # what Cairn draws passes its own upload checks


def test_a_long_title_takes_at_most_three_lines_and_ends_with_an_ellipsis() -> None:
    lines, size = wrap_title("Bezpieczeństwo sieci komputerowych i ochrona danych osobowych w przedsiębiorstwie " * 3)
    assert len(lines) == 3
    assert lines[-1].endswith("…")
    assert size == 15
    short, big = wrap_title("AI")
    assert short == ["AI"]
    assert big == 26
    cut, _ = wrap_title("Donaudampfschifffahrtsgesellschaftskapitänsmütze")
    assert len(cut) >= 2
    assert "".join(cut).replace("…", "") in "Donaudampfschifffahrtsgesellschaftskapitänsmütze"


def test_badge_png_draws_the_shape_in_the_colour_with_a_transparent_corner() -> None:
    data = badge_png(title="Data analysis", issuer="Cairn", colour="crimson", shape="hexagon", size=128)
    with Image.open(io.BytesIO(data)) as image:
        assert image.size == (128, 128)
        rgba = image.convert("RGBA")
        corner, inside = rgba.getpixel((1, 1)), rgba.getpixel((64, 30))
        assert isinstance(corner, tuple)
        assert isinstance(inside, tuple)
        assert corner[3] == 0
        assert inside[:3] == (0x9B, 0x1C, 0x31)
    assert data == badge_png(title="Data analysis", issuer="Cairn", colour="crimson", shape="hexagon", size=128)


def test_unknown_colour_or_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="pink"):
        badge_svg(title="x", issuer="y", colour="pink", shape="circle")
    with pytest.raises(ValueError, match="star"):
        badge_png(title="x", issuer="y", colour="teal", shape="star")


def test_default_design_is_stable_and_from_the_lists() -> None:
    colour, shape = default_design("data-analysis")
    assert (colour, shape) == default_design("data-analysis")
    assert colour in PALETTE
    assert shape in SHAPES
    assert len({default_design(f"d{i}") for i in range(40)}) > 8


def test_monogram_takes_the_initials_of_significant_words() -> None:
    assert initials("University of Warsaw") == "UW"
    assert initials("Politechnika Gdańska") == "PG"
    assert initials("Łódź Institute of Technology and Arts") == "ŁIT"
    assert initials("   ") == "?"
    svg = monogram_svg("Uniwersytet <Łódzki>")
    root = ET.fromstring(svg)
    assert "".join(root.find(f"{SVG}text").itertext()) == "UŁ"  # type: ignore[union-attr]
    assert root.findtext(f"{SVG}title") == "Uniwersytet <Łódzki>"
    assert check_image(svg).media_type == "image/svg+xml"
