"""The analytics charts (server-side SVG) and the words figures are written in: bars proportional to their values,
withheld values drawn as gaps, every label escaped, an accessible name; and every indicator, breakdown and key in
Polish."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from cairn.services.analytics.indicators import DIMENSIONS, INDICATORS
from cairn.web.analytics.charts import Bar, bars, columns
from cairn.web.analytics.panels import _WORDS, REASON_WORDS, key_text, value_text
from cairn.web.i18n import catalog

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_bar_lengths_are_proportional_and_withheld_values_are_gaps() -> None:
    svg = _parse(bars([Bar("a", 10, "10"), Bar("b", None, "withheld"), Bar("c", 5, "5")], "Awards by field"))
    widths = [float(r.get("width", "0")) for r in svg.iter(f"{SVG}rect")]
    assert len(widths) == 2  # b has no bar
    assert widths[0] == 2 * widths[1] > 0
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert texts == ["a", "10", "b", "withheld", "c", "5"]


def test_columns_are_proportional_too() -> None:
    svg = _parse(columns([Bar("2026-01", 3, "3"), Bar("2026-02", 12, "12"), Bar("2026-03", None, "w")], "t"))
    heights = [float(r.get("height", "0")) for r in svg.iter(f"{SVG}rect")]
    assert len(heights) == 2
    assert heights[1] == 4 * heights[0]


def test_a_chart_is_an_image_with_a_name_and_escapes_its_labels() -> None:
    svg = str(bars([Bar('<script>alert("x")</script> & co', 1, "1")], 'Awards "by" <field>'))
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == 'Awards "by" <field>'
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == 'Awards "by" <field>'


def test_a_long_label_is_cut_and_nothing_is_drawn_for_nothing() -> None:
    svg = str(bars([Bar("x" * 80, 1, "1")], "t"))
    assert "x" * 80 not in svg
    assert "…" in svg
    assert "<rect" not in str(bars([], "t"))
    zero = _parse(bars([Bar("a", 0, "0")], "t"))  # all zero: no division by zero, a bar of no length
    assert [r.get("width") for r in zero.iter(f"{SVG}rect")] == ["0.0"]


def test_values_are_written_the_readers_way() -> None:
    assert value_text(INDICATORS["claim_rate"], 6 / 19, "en") == "31.6%"
    assert value_text(INDICATORS["claim_rate"], 6 / 19, "pl") == "31,6%"
    assert value_text(INDICATORS["days_to_claim"], 3.5, "pl") == "3,5"
    assert value_text(INDICATORS["awards"], 12500.0, "en") == "12,500"
    assert key_text("mode", "online", "pl") == "Online"
    assert key_text("field", "06", "en") == "06 Information and communication technologies"
    assert key_text("region", "", "en") == "not stated"
    assert key_text("ects_band", "1-2.9", "pl") == "1–2,9"  # the Polish decimal comma, a dash for the range
    assert key_text("ects_band", "6-14.9", "en") == "6–14.9"
    assert key_text("ects_band", "15+", "pl") == "15+"


def test_every_indicator_breakdown_and_word_reads_in_polish() -> None:
    polish = catalog("pl")
    wanted = [i.label for i in INDICATORS.values()] + [i.formula for i in INDICATORS.values()]
    wanted += [d.label for d in DIMENSIONS.values()] + list(_WORDS.values()) + list(REASON_WORDS.values())
    missing = [m for m in wanted if not polish.get(m, "").strip()]
    assert not missing, missing
    for message in REASON_WORDS.values():
        assert re.findall(r"%\(\w+\)s", polish[message]) == re.findall(r"%\(\w+\)s", message)
