"""A plain-language summary of a skill profile ("You can ..."), from templates, in English or Polish.

Pure and local: no external service. Skills (ESCO ``skill/competence``) read as what the learner *can do*,
knowledge concepts as what they *know about*; the first few of each are named, the rest counted. Counts
use the right plural form (Polish has three: 1, 2-4 except 12-14, and the rest). Skill labels are ESCO's
in the profile's language, which may fall back to English when the release has no labels in that language.
"""

from __future__ import annotations

from collections.abc import Sequence

from cairn.skills.careers import SkillProfile

__all__ = ["SUMMARY_LANGUAGES", "join_list", "plural", "summarise"]

SUMMARY_LANGUAGES = ("en", "pl")
NAMED = 4


def plural(language: str, n: int, forms: Sequence[str]) -> str:
    """The form of a counted noun: ``forms`` is (one, other) in English, (one, few, many) in Polish."""
    if language == "pl" and len(forms) == 3:
        if n == 1:
            return forms[0]
        if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
            return forms[1]
        return forms[2]
    return forms[0] if n == 1 else forms[-1]


def join_list(items: Sequence[str], language: str) -> str:
    """``a, b and c`` (``a, b i c`` in Polish)."""
    word = " i " if language == "pl" else " and "
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + word + items[-1]


_SENTENCES: dict[str, dict[str, str]] = {
    "en": {
        "none": "Your verified credentials do not name any ESCO skills yet, so there is nothing to summarise.",
        "can": "You can {items}.",
        "know": "You know about {items}.",
        "evidence": "This comes from {credentials} from {issuers}.",
    },
    "pl": {
        "none": "Twoje zweryfikowane poświadczenia nie wymieniają jeszcze umiejętności ESCO, więc nie ma czego "
        "podsumować.",
        "can": "Potrafisz: {items}.",
        "know": "Masz wiedzę z zakresu: {items}.",
        "evidence": "Wynika to z {credentials} od {issuers}.",
    },
}

_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "more_skills": ("{n} more skill", "{n} more skills"),
        "more_knowledge": ("{n} more topic", "{n} more topics"),
        "credentials": ("{n} verified credential", "{n} verified credentials"),
        "issuers": ("{n} issuer", "{n} issuers"),
    },
    "pl": {
        "more_skills": ("jeszcze {n} umiejętność", "jeszcze {n} umiejętności", "jeszcze {n} umiejętności"),
        "more_knowledge": ("jeszcze {n} dziedzina", "jeszcze {n} dziedziny", "jeszcze {n} dziedzin"),
        "credentials": (
            "{n} zweryfikowanego poświadczenia",
            "{n} zweryfikowanych poświadczeń",
            "{n} zweryfikowanych poświadczeń",
        ),
        "issuers": ("{n} wystawcy", "{n} wystawców", "{n} wystawców"),
    },
}


def _named(labels: list[str], more: Sequence[str], language: str) -> str:
    shown = labels[:NAMED]
    rest = len(labels) - len(shown)
    if rest:
        shown = [*shown, plural(language, rest, more).format(n=rest)]
    return join_list(shown, language)


def summarise(profile: SkillProfile, language: str = "en") -> str:
    """A few sentences about ``profile`` in ``language`` (English for a language without templates)."""
    lang = language if language in _SENTENCES else "en"
    text, forms = _SENTENCES[lang], _FORMS[lang]
    if not profile.skills:
        return text["none"]
    ordered = sorted(profile.skills.values(), key=lambda s: (-len(s.evidence), s.label.casefold()))
    can = [s.label for s in ordered if s.skill_type != "knowledge"]
    know = [s.label for s in ordered if s.skill_type == "knowledge"]
    sentences: list[str] = []
    if can:
        sentences.append(text["can"].format(items=_named(can, forms["more_skills"], lang)))
    if know:
        sentences.append(text["know"].format(items=_named(know, forms["more_knowledge"], lang)))
    credentials = plural(lang, profile.credentials, forms["credentials"]).format(n=profile.credentials)
    if profile.issuers:
        issuers = plural(lang, profile.issuers, forms["issuers"]).format(n=profile.issuers)
        sentences.append(text["evidence"].format(credentials=credentials, issuers=issuers))
    return " ".join(sentences)
