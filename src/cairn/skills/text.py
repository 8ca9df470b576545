"""Checking and cleaning the text a user asks skill suggestions for.

:func:`prepare_query` returns the cleaned text or raises :class:`cairn.errors.InputError` with a message
safe to show: empty text, text longer than :data:`MAX_QUERY_CHARS`, text with no letters or digits, or
text in a language that is not supported. Control characters are replaced by spaces, not refused, since
pasted text often carries them.

The language check is deliberately modest: it refuses text mostly written in a script other than Latin,
and Latin-script text whose function words clearly belong to a language outside
:data:`SUPPORTED_LANGUAGES`. Text with too few function words to tell (a list of tools, a short label)
is accepted.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from cairn.errors import InputError

__all__ = ["FUNCTION_WORDS", "MAX_QUERY_CHARS", "SUPPORTED_LANGUAGES", "guess_language", "prepare_query"]

#: Longest text accepted, in characters (a long job advertisement fits; a file does not).
MAX_QUERY_CHARS = 20_000

#: Languages skill suggestions are offered in (ISO 639-1 code -> English name).
SUPPORTED_LANGUAGES: dict[str, str] = {
    "en": "English",
    "pl": "Polish",
    "de": "German",
    "es": "Spanish",
    "fr": "French",
}

_OTHER_LANGUAGES: dict[str, str] = {
    "it": "Italian",
    "pt": "Portuguese",
    "nl": "Dutch",
    "sv": "Swedish",
    "cs": "Czech",
    "tr": "Turkish",
}

# Frequent function words that are (nearly) unique to one language among those above.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    code: frozenset(words.split())
    for code, words in {
        "en": "the and of to a in is are with for on as or it this that be will by at an from you your our we "
        "which have has can",
        "pl": "i w na z się nie do jest że oraz lub przez dla jak są to po od być ich które który",
        "de": "der die das und ist mit für von zu den im auf nicht ein eine sich auch werden sind des dem",
        "es": "el la los las y de en con para por que es un una del al se su sus como más",
        "fr": "le la les et des du en un une est pour avec dans sur que qui au aux ce ces être sont",
        "it": "il gli lo della delle degli con per che è una sono nel nella alla dei",
        "pt": "o os as e do da dos das em com para que não uma um são pelo pela ao",
        "nl": "de het een en van is op te met voor niet zijn aan bij ook dat wordt",
        "sv": "och att det som är en på för med av till den inte har om ett",
        "cs": "a je se na v že s z do pro jako by jsou nebo ale také který která",
        "tr": "ve bir bu için ile da de olarak çok gibi daha olan",
    }.items()
}

_WORD = re.compile(r"[^\W\d_]+")
_SPACES = re.compile(r"\s+")


def _clean(text: str) -> str:
    """NFC-normalised text with control and format characters turned into spaces, spaces collapsed."""
    normal = unicodedata.normalize("NFC", text)
    kept = "".join(" " if unicodedata.category(ch)[0] == "C" else ch for ch in normal)
    return _SPACES.sub(" ", kept).strip()


def _script(ch: str) -> str:
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def guess_language(text: str) -> str | None:
    """ISO 639-1 code guessed from function words, ``"non-latin:<SCRIPT>"`` for another script, or None.

    None means there is not enough evidence. Another Latin-script language is returned only when its
    function words are at least three and twice as many as those of the best supported language.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if letters:
        scripts = Counter(_script(ch) for ch in letters)
        script, count = scripts.most_common(1)[0]
        if script != "LATIN" and count >= len(letters) / 2:
            return f"non-latin:{script}"
    words = [word.casefold() for word in _WORD.findall(text)]
    hits = Counter({code: sum(1 for word in words if word in vocab) for code, vocab in FUNCTION_WORDS.items()})
    supported = max((hits[code], code) for code in SUPPORTED_LANGUAGES)
    other = max((hits[code], code) for code in _OTHER_LANGUAGES)
    if other[0] >= 3 and other[0] >= 2 * supported[0]:
        return other[1]
    if supported[0] >= 2:
        return supported[1]
    return None


def prepare_query(text: str) -> str:
    """``text`` cleaned for searching; raises :class:`InputError` when it cannot be searched."""
    if not isinstance(text, str):
        raise InputError("the text must be a string")
    if len(text) > MAX_QUERY_CHARS:
        raise InputError(
            f"the text is too long: {len(text):,} characters; at most {MAX_QUERY_CHARS:,} "
            "(split a long document into sentences or paragraphs)"
        )
    cleaned = _clean(text)
    if not cleaned:
        raise InputError("the text is empty")
    if not any(ch.isalnum() for ch in cleaned):
        raise InputError("the text has no letters or digits")
    language = guess_language(cleaned)
    if language is not None and language.startswith("non-latin:"):
        script = language.split(":", 1)[1].title()
        raise InputError(
            f"the text is written in a script that is not supported ({script}); supported languages: "
            + ", ".join(SUPPORTED_LANGUAGES.values())
        )
    if language in _OTHER_LANGUAGES:
        raise InputError(
            f"the text looks like {_OTHER_LANGUAGES[language]}, which is not supported; supported "
            "languages: " + ", ".join(SUPPORTED_LANGUAGES.values())
        )
    return cleaned
