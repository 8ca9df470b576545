"""A certificate PDF for a credential: what it certifies, a QR code to its verification, and the credential itself.

:func:`certificate_pdf` lays out one A4 page: the title, the learner's name when the credential carries
it, the issuer, the date, the EQF level and ECTS credits, the learning outcomes, a QR code leading to the
verification URL and the URL as text. The signed credential travels inside the PDF as an attached file
(``credential.json`` or ``credential.jwt``), so :func:`cairn.vc.formats.baking.unbake` gets it back and a verifier
can check it without trusting the printout.

Accessibility: the document has a title and a language, all text is real text (DejaVu Sans, bundled with
its licence in ``fonts/``, covers Polish and the other EU alphabets). Labels in English and Polish.

Pure: no network, no clock (the PDF's dates come from the credential), the same input gives the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from importlib import resources
from typing import Any

from fpdf import FPDF

from cairn.formats.annex import language_texts, localized, read_annex
from cairn.formats.qr import qr_code
from cairn.model.types import pick

__all__ = ["LABELS", "certificate_pdf"]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "certificate": "Certificate",
        "awarded_to": "Awarded to",
        "issuer": "Issued by",
        "date": "Date of issue",
        "eqf": "EQF level",
        "ects": "ECTS credits",
        "workload": "Workload",
        "outcomes": "Learning outcomes",
        "more": "and {n} more",
        "verify": "Verify this credential",
        "verify_help": "Scan the code or open the address below. The signed credential is attached to this PDF "
        "as {name}; the verification page checks its signature, issuer and status.",
        "subject": "Micro-credential certificate",
        "vouched": "Vouched for by",
        "nobody": "Nobody this instance trusts vouches for this issuer: the name above is the issuer's own claim",
    },
    "pl": {
        "certificate": "Certyfikat",
        "awarded_to": "Przyznano",
        "issuer": "Wydawca",
        "date": "Data wydania",
        "eqf": "Poziom ERK (EQF)",
        "ects": "Punkty ECTS",
        "workload": "Nakład pracy",
        "outcomes": "Efekty uczenia się",
        "more": "oraz {n} więcej",
        "verify": "Zweryfikuj to poświadczenie",
        "verify_help": "Zeskanuj kod lub otwórz poniższy adres. Podpisane poświadczenie jest załączone do tego "
        "pliku PDF jako {name}; strona weryfikacji sprawdza jego podpis, wydawcę i status.",
        "subject": "Certyfikat mikropoświadczenia",
        "vouched": "Poręcza",
        "nobody": "Nikt, komu ta instancja ufa, nie poręcza za tego wydawcę: "
        "powyższa nazwa to deklaracja samego wydawcy",
    },
}
MAX_OUTCOMES = 8
FONT = "DejaVu"
BADGE_MM = 34
"""The badge's side on the page, in millimetres."""
INK = (33, 37, 41)
MUTED = (90, 96, 104)
ACCENT = (31, 78, 121)


def certificate_pdf(
    credential: Mapping[str, Any],
    *,
    credential_text: str,
    verify_url: str,
    language: str = "en",
    vouched_by: str = "",
    badge: bytes | None = None,
) -> bytes:
    """One A4 page certifying ``credential`` (the parsed credential), with ``credential_text`` attached.

    ``credential_text`` is what gets attached: JSON-LD text (as ``credential.json``) or a compact JWT (as
    ``credential.jwt``); ``verify_url`` is where the QR code leads. ``language`` picks the labels
    (``en`` or ``pl``; others fall back to English) and is the document's declared language. ``vouched_by`` is
    who vouches for the issuer as the verification found it; without one the page says nobody does, so the
    issuer's name (text the issuer wrote) never stands alone. ``badge`` (PNG bytes) is drawn beside the title.
    """
    labels = LABELS.get(language, LABELS["en"])
    text = credential_text.strip()
    attachment = "credential.json" if text.startswith("{") else "credential.jwt"
    subject = _mapping(credential.get("credentialSubject"))
    achievement = _mapping(subject.get("achievement"))
    issuer = credential.get("issuer")
    issuer_name = _text(_mapping(issuer).get("name"), language) or (issuer if isinstance(issuer, str) else "")
    title = localized(achievement, "name", language)[1] or localized(credential, "name", language)[1] or "—"
    issued = _date(credential.get("validFrom") or credential.get("issuanceDate") or credential.get("awardedDate"))

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(auto=True, margin=18)
    fonts = resources.files("cairn.formats") / "fonts"
    with (
        resources.as_file(fonts / "DejaVuSans.ttf") as regular,
        resources.as_file(fonts / "DejaVuSans-Bold.ttf") as bold,
    ):
        pdf.add_font(FONT, "", str(regular))
        pdf.add_font(FONT, "B", str(bold))
    pdf.set_title(f"{labels['certificate']}: {title}")
    pdf.set_lang(language)
    pdf.set_subject(labels["subject"])
    pdf.set_author(issuer_name or "Cairn")
    pdf.set_creator("Cairn")
    pdf.set_producer("Cairn")
    pdf.set_creation_date(
        datetime.combine(issued, datetime.min.time(), UTC) if issued else datetime(2000, 1, 1, tzinfo=UTC)
    )
    pdf.set_display_mode("fullpage")
    pdf.add_page()
    width = pdf.epw
    top = pdf.get_y()
    heading = width - (BADGE_MM + 6 if badge else 0)
    if badge:
        pdf.image(io.BytesIO(badge), x=pdf.l_margin + width - BADGE_MM, y=top, w=BADGE_MM, h=BADGE_MM, alt_text=title)

    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(heading, 8, labels["certificate"].upper(), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "B", 22)
    pdf.multi_cell(heading, 10, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + BADGE_MM) if badge else pdf.get_y())
    pdf.ln(4)

    rows: list[tuple[str, str]] = []
    learner = _learner_name(subject)
    if learner:
        rows.append((labels["awarded_to"], learner))
    if issuer_name:
        rows.append((labels["issuer"], issuer_name))
    rows.append((labels["vouched"], vouched_by or labels["nobody"]))
    if issued:
        rows.append((labels["date"], _format_date(issued, language)))
    annex = read_annex(credential)
    if annex.eqf is not None:
        rows.append((labels["eqf"], str(annex.eqf)))
    if annex.ects is not None:
        rows.append((labels["ects"], _number(annex.ects, language)))
    if annex.hours is not None:
        rows.append((labels["workload"], f"{_number(annex.hours, language)} h"))
    for label, value in rows:
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*MUTED)
        pdf.cell(width, 5, label, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "B" if label == labels["awarded_to"] else "", 13)
        pdf.set_text_color(*INK)
        pdf.multi_cell(width, 7, value, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    outcomes = [o.statement for o in annex.outcomes if o.statement]
    if outcomes:
        pdf.ln(2)
        pdf.set_font(FONT, "B", 12)
        pdf.cell(width, 7, labels["outcomes"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, "", 10)
        for outcome in outcomes[:MAX_OUTCOMES]:
            pdf.multi_cell(width, 5.5, f"•  {_clip(outcome, 400)}", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
        if len(outcomes) > MAX_OUTCOMES:
            pdf.set_text_color(*MUTED)
            pdf.cell(width, 5.5, labels["more"].format(n=len(outcomes) - MAX_OUTCOMES), new_x="LMARGIN", new_y="NEXT")
            pdf.set_text_color(*INK)

    _verification_block(pdf, labels, verify_url, attachment)
    pdf.embed_file(
        bytes=text.encode("utf-8"),
        basename=attachment,
        modification_date=datetime(2000, 1, 1, tzinfo=UTC),
        mime_type="application/json" if attachment.endswith(".json") else "application/vc+jwt",
        desc="The signed credential",
        compress=True,
    )
    return bytes(pdf.output())


def _verification_block(pdf: FPDF, labels: Mapping[str, str], url: str, attachment: str) -> None:
    size = 38.0
    if pdf.get_y() + size + 12 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.ln(6)
    top = pdf.get_y()
    pdf.set_draw_color(*MUTED)
    pdf.line(pdf.l_margin, top, pdf.l_margin + pdf.epw, top)
    top += 5
    _qr(pdf, url, x=pdf.l_margin, y=top, size=size)
    left = pdf.l_margin + size + 6
    pdf.set_xy(left, top)
    pdf.set_font(FONT, "B", 12)
    pdf.set_text_color(*INK)
    pdf.cell(pdf.epw - size - 6, 7, labels["verify"], new_x="LEFT", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(pdf.epw - size - 6, 4.6, labels["verify_help"].format(name=attachment), new_x="LEFT", new_y="NEXT")
    pdf.set_xy(left, pdf.get_y() + 1)  # not ln(): it returns to the left margin, printing the address over the code
    pdf.set_text_color(*ACCENT)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(pdf.epw - size - 6, 4.6, url, link=url, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*INK)
    pdf.set_y(max(pdf.get_y(), top + size) + 2)


def _qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (crisp at any zoom), one rectangle per run of dark modules."""
    qr = qr_code(url)
    matrix = [list(row) for row in qr.matrix_iter(scale=1, border=2)]
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            pdf.rect(x + start * module, y + r * module, (c - start) * module, module, style="F")
    pdf.link(x, y, size, size, url)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object, language: str) -> str:
    """A plain string, language value objects or a language map (``{"en": ..., "pl": ...}``), in the best
    language for the reader (see :func:`pick`)."""
    return pick(language_texts(value), language)[1].strip()


def _number(value: float, language: str) -> str:
    """``value`` as the reader writes numbers (``1,5`` in Polish)."""
    from babel.core import UnknownLocaleError
    from babel.numbers import format_decimal

    try:
        return str(format_decimal(value, locale=language))
    except (UnknownLocaleError, ValueError):
        return f"{value:g}"


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1].rstrip() + "…"


def _learner_name(subject: Mapping[str, Any]) -> str:
    name = subject.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    identifiers = subject.get("identifier")
    for entry in identifiers if isinstance(identifiers, Sequence) and not isinstance(identifiers, str) else []:
        if isinstance(entry, Mapping) and entry.get("identityType") == "name" and entry.get("hashed") is False:
            value = entry.get("identityHash")
            if isinstance(value, str) and value.strip():
                return value.strip()
    return ""


def _date(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _format_date(value: date, language: str) -> str:
    from babel.core import UnknownLocaleError
    from babel.dates import format_date

    try:
        return format_date(value, format="long", locale=language)
    except (UnknownLocaleError, ValueError):
        return value.isoformat()
