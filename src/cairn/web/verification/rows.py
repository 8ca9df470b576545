"""An Open Badges 3.0 / Verifiable Credential's Annex I elements as rows for a page (:func:`credential_rows`): what
the verifier, the wallet and the shared pages show under "What it certifies" (a European Digital Credential's come
from :func:`cairn.web.verification.views.elm_rows`).

Everything here reads untrusted input: only strings are shown, only http(s) URLs become links, and the template
escapes all of it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from cairn.formats.annex import Annex, localized, read_annex
from cairn.model.definitions import ANNEX_I, Organisation
from cairn.model.types import pick
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    EQF_LEVELS,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)
from cairn.phrases import Phrase
from cairn.web.careers.names import SkillNames, labelled
from cairn.web.catalog.views import Item, Row, country_name, ects_text, hours_text, nqf_text
from cairn.web.i18n import human_date, translate

__all__ = ["IDENTITY_TYPES", "credential_rows"]

IDENTITY_TYPES = {"name": Phrase("name"), "emailAddress": Phrase("emailAddress")}
"""OB 3.0 identity types said in the reader's language."""
_SAFE_LINK = re.compile(r"^https?://", re.IGNORECASE)


def _name(n: int) -> str:
    return next(e.name for e in ANNEX_I if e.number == n)


def _optional(prefix: str) -> str:
    return next(e.name for e in ANNEX_I if not e.mandatory and e.name.startswith(prefix))


def _str(value: Any) -> str:
    """A string from the credential, or '' (untrusted input: anything else is ignored)."""
    return value if isinstance(value, str) else ""


def _link(value: Any) -> str:
    """An http(s) URL from the credential, or '' (never a ``javascript:`` or other scheme)."""
    text = _str(value)
    return text if _SAFE_LINK.match(text) else ""


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(*texts: str, lang: str = "", data: bool = False) -> list[Item]:
    """Items of the non-empty ``texts``; ``data``: the credential's own words (shown as written, never translated)."""
    return [Item(t, lang, data=data) for t in texts if t]


def _country(address: Mapping[str, Any], lang: str) -> list[Item]:
    country = _str(address.get("addressCountryCode"))
    if not country:
        return _items(_str(address.get("addressCountry")), data=True)
    try:
        return [Item(country_name(country, _str(address.get("addressRegion")) or None, lang))]
    except (KeyError, LookupError, ValueError):
        return [Item(country, data=True)]


def _learner(subject: Mapping[str, Any]) -> list[Item]:
    items = _items(f"DID: {_str(subject.get('id'))}" if _str(subject.get("id")) else "")
    for ident in _list(subject.get("identifier")):
        ident = _map(ident)
        kind = IDENTITY_TYPES.get(_str(ident.get("identityType")), _str(ident.get("identityType")) or "identifier")
        if ident.get("hashed") is True:
            hashed = Phrase("%(kind)s: hashed (the learner can prove it by giving the original value)", kind=kind)
            items.append(Item(hashed))
        elif _str(ident.get("identityHash")):
            items.append(Item(Phrase("%(kind)s: %(value)s", kind=kind, value=_str(ident.get("identityHash")))))
    return items


def _outcomes(annex: Annex, written: str, lang: str, names: SkillNames | None) -> list[Item]:
    items = []
    for outcome in annex.outcomes:
        links = labelled([u for u in outcome.skills if _link(u)], lang, names)
        if outcome.statement or links:
            statement = outcome.statement
            items.append(
                Item(
                    statement or Phrase("(no statement)"),
                    written if statement else "",
                    links=links,
                    data=bool(statement),
                )
            )
    return items


def _workload(annex: Annex, lang: str) -> list[Item]:
    items = [Item(ects_text(annex.ects, lang))] if annex.ects is not None else []
    if annex.volume:
        hours = annex.hours
        items.append(
            Item(
                hours_text(hours, lang)
                if hours is not None
                else Phrase("Volume of learning: %(volume)s", volume=annex.volume)
            )
        )
    return items


def _level(annex: Annex, lang: str) -> list[Item]:
    items = [Item(Phrase("Not applicable"))] if annex.level_not_applicable else []
    if annex.eqf is not None:
        items.append(Item(EQF_LEVELS.label(str(annex.eqf), lang), href=_link(annex.eqf_uri)))
    if annex.qf_ehea:
        items.append(Item(f"QF-EHEA: {QF_EHEA_CYCLES.label(annex.qf_ehea, lang)}"))
    if annex.nqf_level is not None:
        items.append(Item(nqf_text(annex.nqf_framework or "-", annex.nqf_level)))
    return items


def _quality(annex: Annex, written: str, lang: str) -> list[Item]:
    items = [Item(QUALITY_ASSURANCE_TYPES.label(t, lang)) for t in annex.quality_assurance_types]
    if annex.quality_assurance_body:
        items.append(Item(annex.quality_assurance_body, written, href=_link(annex.quality_assurance_url), data=True))
    return items + _items(annex.quality_assurance_description, lang=written, data=True)


def _stack(annex: Annex, written: str, lang: str) -> list[Item]:
    items = [Item(STACKABILITY.label(annex.stackability, lang))] if annex.stackability else []
    for target in annex.towards:
        title = Phrase("Stacks towards: %(title)s", title=target.title or target.identifier)
        items.append(Item(title, written, href=_link(target.url)))
    return items


def _place(code: str, lang: str) -> str:
    """A country (``PL``) or region (``PL-MZ``) code as a name; the code when it is neither."""
    try:
        return country_name(code[:2].upper(), code if len(code) > 2 else None, lang)
    except (KeyError, LookupError, ValueError):
        return code


def _awarding_bodies(
    credential: Mapping[str, Any], annex: Annex, local: Mapping[str, Organisation], lang: str, written: str = ""
) -> tuple[list[Item], list[Item]]:
    """Every awarding body (the issuer first) by name, website and country, and their countries: as the credential
    describes each, else (a body on this instance) from its organisation record, else its identifier alone. Names
    are for reading only; the identifier stays beside each name."""
    issuer = _map(credential.get("issuer"))
    lead = _str(issuer.get("id"))
    bodies = [Item(_str(issuer.get("name")) or lead, written, href=_link(issuer.get("url")), data=True)]
    countries = _country(_map(issuer.get("address")), lang)
    described = {a.id: a for a in annex.awarders}
    for body in annex.awarding_bodies[:20]:
        if body == lead:
            continue
        told, org = described.get(body), local.get(body)
        name_lang, name = (
            (written, told.name) if told and told.name else pick(org.legal_name, lang) if org else ("", "")
        )
        url = (_link(told.url) if told else "") or (org.website if org else "")
        place = (told.place if told else "") or ((org.region or org.country) if org else "")
        bodies.append(Item(name or body, name_lang if name else "", href=url, note=body if name else "", data=True))
        if place and (country := _place(place, lang)) not in [c.text for c in countries]:
            countries.append(Item(country))
    return [b for b in bodies if b.text], countries


def credential_rows(
    credential: Mapping[str, Any],
    lang: str,
    local: Mapping[str, Organisation] | None = None,
    names: SkillNames | None = None,
) -> list[Row]:
    """Every Annex I element as the (untrusted) credential states it (:func:`cairn.formats.annex.read_annex`: the
    Open Badges 3.0 shape of docs/credentials.md, or the one of awards issued before issue #12). ``local``: this
    instance's organisations by DID, for joint awarding bodies the credential names by DID alone; ``names``: the
    page's ESCO skill labels (:func:`cairn.web.careers.names.page_names`; without them, the shipped extract's)."""
    subject = _map(next(iter(_list(credential.get("credentialSubject"))), None))
    a = _map(subject.get("achievement"))
    annex = read_annex(credential)
    written = _str(a.get("inLanguage"))  # the language of the credential's own texts, when it says
    title_lang, title = localized(a, "name", lang)
    if not title:
        title_lang, title = localized(credential, "name", lang)
    bodies, countries = _awarding_bodies(credential, annex, local or {}, lang, written)
    dates = _items(human_date(_str(credential.get("validFrom")) or _str(credential.get("issuanceDate")), lang))
    if _str(credential.get("awardedDate")) and credential.get("awardedDate") != credential.get("validFrom"):
        dates.append(
            Item(translate(lang, "Awarded %(date)s", date=human_date(_str(credential.get("awardedDate")), lang)))
        )
    assessment = [Item(ASSESSMENT_TYPES.label(t, lang)) for t in annex.assessment_types]
    participation = []
    if annex.participation_mode:
        participation.append(Item(PARTICIPATION_FORMS.label(annex.participation_mode, lang)))
    if annex.participation_schedule:
        participation.append(Item(SCHEDULES.label(annex.participation_schedule, lang)))
    supervision = annex.supervision
    return [
        Row(1, _name(1), _learner(subject)),
        Row(2, _name(2), _items(title, lang=title_lang or written, data=True)),
        Row(3, _name(3), countries),
        Row(4, _name(4), bodies),
        Row(5, _name(5), dates),
        Row(6, _name(6), _outcomes(annex, written, lang, names)),
        Row(7, _name(7), _workload(annex, lang)),
        Row(8, _name(8), _level(annex, lang)),
        Row(9, _name(9), assessment + _items(annex.assessment_description, lang=written, data=True)),
        Row(10, _name(10), participation + _items(annex.participation_description, lang=written, data=True)),
        Row(11, _name(11), _quality(annex, written, lang)),
        Row(0, _optional("Prerequisites"), _items(annex.prerequisites, lang=written, data=True), mandatory=False),
        Row(0, _optional("Supervision"), _items(SUPERVISION.label(supervision, lang) if supervision else ""), False),
        Row(0, _optional("Grade"), _items(annex.grade, annex.grading_scheme, lang=written, data=True), mandatory=False),
        Row(0, _optional("Integration"), _stack(annex, written, lang), mandatory=False),
        Row(
            0,
            _optional("Further information"),
            _items(annex.further_information, lang=written, data=True),
            mandatory=False,
        ),
    ]
