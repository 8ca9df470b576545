"""The emails about an award a learner receives: its claim link (sent again by the issuer) and a change of its
status (revoked, suspended, reinstated), in English or Polish.

The outbox keeps plain text written once, so the language is chosen when the email is queued: the learner's
language where Cairn knows it (the credential's language), else English.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["EMAIL_LANGUAGES", "claim_email", "credential_language", "status_email"]

EMAIL_LANGUAGES: Final = ("en", "pl")

_CLAIM: Final = {
    "en": (
        "Your micro-credential: {title}",
        "{hello}\n\n{issuer} has awarded you the micro-credential \u201c{title}\u201d.\n\n"
        "Claim it and keep it in your wallet, or download it, here:\n{link}\n\n"
        "This link is yours alone: please do not share it.{again}\n",
    ),
    "pl": (
        "Twoje mikropoświadczenie: {title}",
        "{hello}\n\n{issuer} przyznaje Ci mikropoświadczenie \u201e{title}\u201d.\n\n"
        "Odbierz je i zachowaj w portfelu albo pobierz tutaj:\n{link}\n\n"
        "Ten link jest tylko dla Ciebie: nie udostępniaj go.{again}\n",
    ),
}
_AGAIN: Final = {
    "en": " It replaces the earlier claim link for this credential, which no longer works.",
    "pl": " Zastępuje wcześniejszy link do odbioru tego poświadczenia, który już nie działa.",
}
_HELLO: Final = {"en": ("Hello {name},", "Hello,"), "pl": ("Dzień dobry, {name},", "Dzień dobry,")}
_STATUS: Final = {
    "en": {
        "revoked": ("Your micro-credential was revoked: {title}", "{issuer} has revoked your micro-credential"),
        "suspended": ("Your micro-credential was suspended: {title}", "{issuer} has suspended your micro-credential"),
        "reinstated": (
            "Your micro-credential is valid again: {title}",
            "{issuer} has reinstated your micro-credential",
        ),
    },
    "pl": {
        "revoked": (
            "Twoje mikropoświadczenie zostało unieważnione: {title}",
            "{issuer} unieważnia Twoje mikropoświadczenie",
        ),
        "suspended": (
            "Twoje mikropoświadczenie zostało zawieszone: {title}",
            "{issuer} zawiesza Twoje mikropoświadczenie",
        ),
        "reinstated": (
            "Twoje mikropoświadczenie znów jest ważne: {title}",
            "{issuer} przywraca ważność Twojego mikropoświadczenia",
        ),
    },
}
_STATUS_TAIL: Final = {
    "en": (
        "\u201c{title}\u201d.\n\n{reason}Verifiers checking it see its current status from now on. "
        "Your wallet shows it too: {wallet}\n"
    ),
    "pl": (
        "\u201e{title}\u201d.\n\n{reason}Od teraz osoby sprawdzające je widzą jego aktualny status. "
        "Widać go także w Twoim portfelu: {wallet}\n"
    ),
}
_REASON: Final = {"en": "Reason given: {reason}\n\n", "pl": "Podany powód: {reason}\n\n"}
_SOME_ISSUER: Final = {"en": "The issuer", "pl": "Wystawca"}


def credential_language(credential: Mapping[str, Any] | None) -> str:
    """The language to write to the learner in: the credential's first language Cairn writes emails in, else
    English."""
    languages = (credential or {}).get("inLanguage")
    for language in languages if isinstance(languages, list) else [languages]:
        if isinstance(language, str) and language[:2].lower() in EMAIL_LANGUAGES:
            return language[:2].lower()
    return "en"


def _pick(language: str) -> str:
    return language if language in EMAIL_LANGUAGES else "en"


def claim_email(
    *, language: str, title: str, issuer: str, name: str | None, link: str, again: bool = False
) -> tuple[str, str]:
    """``(subject, body)`` of a claim email carrying ``link`` (``again``: it replaces an earlier link)."""
    lang = _pick(language)
    named, plain = _HELLO[lang]
    hello = named.format(name=name) if name else plain
    subject, body = _CLAIM[lang]
    return subject.format(title=title), body.format(
        hello=hello, issuer=issuer, title=title, link=link, again=_AGAIN[lang] if again else ""
    )


def status_email(
    *, language: str, change: str, title: str, issuer: str | None, reason: str | None, wallet_url: str
) -> tuple[str, str]:
    """``(subject, body)`` telling the learner that ``change`` (``revoked``, ``suspended``, ``reinstated``)
    happened to their credential; without a reason line when none is known (another issuer's status list gives
    none), and "the issuer" when it has no name."""
    lang = _pick(language)
    subject, lead = _STATUS[lang][change]
    hello = _HELLO[lang][1]
    said = _REASON[lang].format(reason=reason) if reason else ""
    body = f"{hello}\n\n{lead.format(issuer=issuer or _SOME_ISSUER[lang])} " + _STATUS_TAIL[lang].format(
        title=title, reason=said, wallet=wallet_url
    )
    return subject.format(title=title), body
