"""Sentences the code writes, kept with their parts apart so a page can say them in the reader's language.

A :class:`Phrase` is a ``str`` (its English text, so code that logs, compares or joins it needs nothing new) that
also remembers its template (an English msgid with ``%(name)s`` places) and the values that fill them. Values are
text taken as it is (a name, a date, a code) or phrases themselves, translated in turn. :meth:`Phrase.to_json`
keeps both in a stored report; :func:`say` turns that back into text in any language with a message catalogue.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Phrase", "say"]

Translate = Callable[[str], str]


class Phrase(str):
    """English text that can be said again in another language: ``Phrase('ended on %(day)s', day='2027-09-30')``.
    A value that is a list of phrases is said as a list joined with ", "."""

    template: str
    args: Mapping[str, str | Phrase | Sequence[Phrase]]

    def __new__(cls, template: str, /, **args: str | Phrase | Sequence[Phrase]) -> Phrase:
        english = template % {k: _join(v) for k, v in args.items()} if args else template
        phrase = super().__new__(cls, english)
        phrase.template = template
        phrase.args = args
        return phrase

    def to_json(self) -> dict[str, Any]:
        """``{"msgid": template, "args": {...}}``, nested phrases likewise (what :func:`say` reads)."""
        return {"msgid": self.template, "args": {k: _value_json(v) for k, v in self.args.items()}}

    @classmethod
    def from_json(cls, data: Any) -> Phrase | str:
        """The phrase :meth:`to_json` wrote (a stored report's reason); anything else as text."""
        if isinstance(data, list):
            return ", ".join(str(cls.from_json(part)) for part in data)
        if not isinstance(data, Mapping) or not isinstance(data.get("msgid"), str):
            return "" if data is None else str(data)
        raw = data.get("args")
        args = {str(k): cls.from_json(v) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
        try:
            return cls(data["msgid"], **args)
        except (KeyError, TypeError, ValueError):
            return str(data["msgid"])


def _join(value: str | Sequence[Phrase]) -> str:
    return value if isinstance(value, str) else ", ".join(value)


def _value_json(value: str | Phrase | Sequence[Phrase]) -> Any:
    if isinstance(value, Phrase):
        return value.to_json()
    if isinstance(value, str):
        return value
    return [part.to_json() for part in value]


def say(data: Any, translate: Translate) -> str:
    """The text of a phrase stored by :meth:`Phrase.to_json`, its templates passed through ``translate`` (a
    translation that lost a ``%(name)s`` place falls back to English). Anything else is said as ``str(data)``."""
    if isinstance(data, list):
        return ", ".join(say(part, translate) for part in data)
    if not isinstance(data, Mapping) or not isinstance(data.get("msgid"), str):
        return "" if data is None else str(data)
    template = data["msgid"]
    raw = data.get("args")
    args = {str(k): say(v, translate) for k, v in raw.items()} if isinstance(raw, Mapping) else {}
    if not args:
        return translate(template)
    try:
        return str(translate(template) % args)
    except (KeyError, TypeError, ValueError):
        return str(template % args)
