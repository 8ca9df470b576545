"""The plain-language profile summary: skills and knowledge named, the rest counted, Polish plural forms."""

from __future__ import annotations

import pytest

from cairn.skills.careers import Evidence, ProfileSkill, SkillProfile
from cairn.skills.summary import join_list, plural, summarise

S = "http://data.europa.eu/esco/skill/"


def profile(can: int, know: int, *, credentials: int = 1, issuers: int = 1) -> SkillProfile:
    evidence = (Evidence("c", "Title", "UM", 6, None),)
    skills = {S + f"s{i}": ProfileSkill(S + f"s{i}", f"do thing {i}", "skill/competence", evidence) for i in range(can)}
    skills |= {S + f"k{i}": ProfileSkill(S + f"k{i}", f"topic {i}", "knowledge", evidence) for i in range(know)}
    return SkillProfile(skills=skills, groups=(), credentials=credentials, issuers=issuers)


@pytest.mark.parametrize(
    ("n", "form"),
    [(1, "a"), (2, "b"), (4, "b"), (5, "c"), (11, "c"), (12, "c"), (14, "c"), (22, "b"), (25, "c"), (112, "c")],
)
def test_polish_plural_forms(n: int, form: str) -> None:
    assert plural("pl", n, ("a", "b", "c")) == form


def test_english_plural_and_lists() -> None:
    assert plural("en", 1, ("skill", "skills")) == "skill"
    assert plural("en", 0, ("skill", "skills")) == "skills"
    assert join_list(["a"], "en") == "a"
    assert join_list(["a", "b", "c"], "en") == "a, b and c"
    assert join_list(["a", "b"], "pl") == "a i b"


def test_english_summary_names_four_and_counts_the_rest() -> None:
    text = summarise(profile(6, 1, credentials=3, issuers=2), "en")
    assert text == (
        "You can do thing 0, do thing 1, do thing 2, do thing 3 and 2 more skills. You know about topic 0. "
        "This comes from 3 verified credentials from 2 issuers."
    )
    assert summarise(profile(5, 0), "en").endswith(
        "and 1 more skill. This comes from 1 verified credential from 1 issuer."
    )


def test_polish_summary_uses_the_right_forms() -> None:
    text = summarise(profile(9, 6, credentials=5, issuers=2), "pl")
    assert text.startswith("Potrafisz: do thing 0, do thing 1, do thing 2, do thing 3 i jeszcze 5 umiejętności.")
    assert "Masz wiedzę z zakresu: topic 0, topic 1, topic 2, topic 3 i jeszcze 2 dziedziny." in text
    assert text.endswith("Wynika to z 5 zweryfikowanych poświadczeń od 2 wystawców.")
    one = summarise(profile(5, 0, credentials=1, issuers=1), "pl")
    assert "jeszcze 1 umiejętność." in one
    assert one.endswith("z 1 zweryfikowanego poświadczenia od 1 wystawcy.")


def test_empty_profile_and_other_languages() -> None:
    assert "nothing to summarise" in summarise(profile(0, 0), "en")
    assert "nie ma czego" in summarise(profile(0, 0), "pl")
    assert summarise(profile(1, 0), "de").startswith("You can do thing 0.")  # English where there is no template
