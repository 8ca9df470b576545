"""The labels pages give ESCO skills: the careers pages' own, on every page that names a skill.

A page looks the labels of all its skills up at once (:func:`page_names`: one call to
:meth:`~cairn.services.careers.service.CareersService.skill_names`, which answers from the ESCO release an operator
imported with ``cairn esco import``, else from the extract shipped in the package) and hands the answer to what builds
its rows; they read one skill's label with :func:`name_of` and keep their own words for a skill nobody knows (an
alignment's name, "ESCO skill N", the URI). A label not in the page's language keeps its ``lang`` and its visible tag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import Request

from cairn.formats.annex import read_annex
from cairn.skills.labels import skill_label
from cairn.web.deps import container
from cairn.web.i18n import translate

__all__ = ["SkillNames", "credential_names", "labelled", "name_of", "page_names"]

SkillNames = Mapping[str, tuple[str, str]]
"""ESCO skill URI -> ``(label, its language)`` for the page's reader (:func:`page_names`)."""


def page_names(request: Request, uris: Iterable[str], lang: str) -> dict[str, tuple[str, str]]:
    """The labels of a page's ESCO skills for a reader of ``lang``, in one lookup: the stored release's label in
    ``lang``, else the shipped extract's, else English (:func:`cairn.skills.occupations.names_of`); a skill the
    release does not know is left out (:func:`name_of` answers for it)."""
    wanted = list(dict.fromkeys(uris))
    return container(request).careers.skill_names(wanted, language=lang) if wanted else {}


def credential_names(request: Request, documents: Iterable[Mapping[str, Any]], lang: str) -> dict[str, tuple[str, str]]:
    """The labels of every ESCO skill of the credentials ``documents`` for a reader of ``lang``, looked up at once
    (:func:`page_names`)."""
    return page_names(request, (uri for document in documents for uri in read_annex(document).skills), lang)


def name_of(uri: str, lang: str, names: SkillNames | None = None) -> tuple[str, str] | None:
    """``(label, its language)`` of the ESCO skill ``uri`` for a reader of ``lang``: from the page's ``names``, else
    the shipped extract's (a skill the stored release lacks, or a page that passed no names); None when neither
    knows it."""
    if names is not None and (found := names.get(uri)):
        return found
    shipped = skill_label(uri, lang)
    return (shipped[1], shipped[0]) if shipped else None


def labelled(uris: Sequence[str], lang: str, names: SkillNames | None = None) -> tuple[tuple[str, str, str], ...]:
    """``(label, URI, the label's language)`` of each ESCO skill of a list, from the page's ``names``
    (:func:`name_of`); one nobody knows is "ESCO skill N" in the reader's words."""
    out = []
    for i, uri in enumerate(uris, 1):
        found = name_of(str(uri), lang, names)
        out.append(
            (found[0], str(uri), found[1]) if found else (translate(lang, "ESCO skill %(n)s", n=i), str(uri), lang)
        )
    return tuple(out)
