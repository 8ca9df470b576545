"""Reading ESCO CSV downloads into dataclasses."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.errors import InputError
from cairn.skills.esco import ALL_PARTS, Labels, load_esco
from tests.factories import SKILL, SKILLS_HEADER, write_csv, write_esco


def test_reads_a_complete_v1_1_release(esco_dir: Path) -> None:
    data = load_esco(esco_dir, require=ALL_PARTS)
    assert data.version == "1.1.1"
    assert data.languages == ("en",)
    assert data.parts == frozenset(ALL_PARTS)
    js = data.skills[SKILL + "js"]
    assert js.preferred_label == "JavaScript"
    assert js.label("en").alternatives == ("JS", "ECMAScript")
    assert js.label("en").all() == ("JavaScript", "JS", "ECMAScript")
    assert (js.skill_type, js.reuse_level) == ("knowledge", "sector-specific")
    assert js.collections == frozenset({"digital"})
    assert js.broader == (SKILL + "g-ict",)
    assert data.collections["green"] == frozenset({SKILL + "recycle"})
    assert data.skill_groups[SKILL + "g-ict"].code == "06"
    occupation = next(iter(data.occupations.values()))
    assert (occupation.isco_group, occupation.labels["en"].alternatives) == ("2512", ("programmer",))
    assert [r.relation for r in data.occupation_skills] == ["essential", "optional"]
    assert "http://data.europa.eu/esco/isco/C2512" in data.isco_groups


def test_reads_v1_2_layout_with_one_folder_per_language(tmp_path: Path) -> None:
    root = tmp_path / "esco-v1.2.0"
    write_esco(root / "en", v12=True)
    write_esco(root / "pl", lang="pl", v12=True)
    write_csv(
        root / "pl" / "skills_pl.csv",
        SKILLS_HEADER,
        [["KnowledgeSkillCompetence", SKILL + "team", "skill/competence", "transversal", "pracować w zespole",
          "współpracować", "", "released", "", "", "", "", "Współpracować z innymi."]],
    )  # fmt: skip
    data = load_esco(root, require=ALL_PARTS)
    assert data.version == "1.2.0"
    assert data.languages == ("en", "pl")
    team = data.skills[SKILL + "team"]
    assert team.label("pl").preferred == "pracować w zespole"
    assert team.label("en").preferred == "work in teams"
    assert data.skills[SKILL + "js"].label("pl").preferred == "JavaScript"  # falls back to English
    assert len(data.occupation_skills) == 2
    assert load_esco(root, languages=["pl"]).languages == ("pl",)


def test_a_language_without_a_skills_file_labels_skills_from_its_collections(tmp_path: Path) -> None:
    # ESCO v1.2.1's Polish download has no skills_pl.csv, but its collection files label their members.
    root = tmp_path / "esco-v1.2.0"
    write_esco(root / "en", v12=True)
    write_csv(
        root / "pl" / "transversalSkillsCollection_pl.csv",
        ["conceptType", "conceptUri", "preferredLabel", "status", "skillType", "altLabels", "description"],
        [["KnowledgeSkillCompetence", SKILL + "team", "pracować w zespole", "released", "skill/competence",
          "współpracować | działać w grupie", "Współpracować z innymi."],
         ["KnowledgeSkillCompetence", SKILL + "not-in-en", "coś innego", "released", "skill/competence", "", ""],
         ["SkillGroup", "http://data.europa.eu/esco/isced-f/00", "programy ogólne", "released", "", "", ""]],
    )  # fmt: skip
    write_csv(root / "pl" / "occupations_pl.csv", ["conceptUri", "preferredLabel", "altLabels", "iscoGroup"], [])
    data = load_esco(root)
    team = data.skills[SKILL + "team"]
    assert team.label("pl") == Labels(
        "pracować w zespole", ("współpracować", "działać w grupie"), description="Współpracować z innymi."
    )
    assert team.label("en").preferred == "work in teams"
    assert team.collections == frozenset({"transversal"})  # membership as the English files say
    assert SKILL + "not-in-en" not in data.skills  # a label alone makes no skill
    assert set(data.skill_labels) == {SKILL + "team", SKILL + "not-in-en"}  # what an import of Polish adds
    only_polish = load_esco(root / "pl", require=[], languages=["pl"])
    assert not only_polish.skills
    assert only_polish.skill_labels[SKILL + "team"]["pl"].preferred == "pracować w zespole"
    # A language with its own skills file takes the labels from there, not from its collections.
    assert not load_esco(root, languages=["en"]).skill_labels


def test_names_a_missing_file(tmp_path: Path) -> None:
    folder = write_esco(tmp_path / "esco")
    (folder / "occupations_en.csv").unlink()
    load_esco(folder)  # skills alone are enough by default
    with pytest.raises(InputError, match=r"occupations_en\.csv \(occupations\)"):
        load_esco(folder, require=ALL_PARTS)
    (folder / "skills_en.csv").unlink()
    with pytest.raises(InputError, match=r"skills_en\.csv"):
        load_esco(folder)


def test_names_a_missing_column(tmp_path: Path) -> None:
    folder = tmp_path / "esco"
    write_csv(folder / "skills_en.csv", ["conceptUri", "preferredLabel", "skillType"], [["u", "x", "knowledge"]])
    with pytest.raises(InputError, match=r"skills_en\.csv: missing column\(s\) altLabels, reuseLevel"):
        load_esco(folder)


def test_refuses_malformed_files(tmp_path: Path) -> None:
    folder = write_esco(tmp_path / "esco")
    (folder / "skills_en.csv").write_bytes(b"conceptUri,preferredLabel\n\xff\xfe,\n")
    with pytest.raises(InputError, match="not UTF-8"):
        load_esco(folder)
    rows = [["KnowledgeSkillCompetence", "", "knowledge", "", "label", "", "", "", "", "", "", "", ""]]
    write_csv(folder / "skills_en.csv", SKILLS_HEADER, rows)
    with pytest.raises(InputError, match="line 2: empty conceptUri"):
        load_esco(folder)
    with pytest.raises(InputError, match="unknown ESCO part"):
        load_esco(folder, require=["skillz"])
    with pytest.raises(InputError, match="not found"):
        load_esco(tmp_path / "nowhere")


def test_reads_the_shared_v1_1_1_release(shared_data: Path) -> None:
    data = load_esco(shared_data / "esco" / "v1.1.1" / "en", require=ALL_PARTS)
    assert len(data.skills) == 13896
    assert len(data.occupations) == 3007
    assert len(data.occupation_skills) == 123855
    assert {name: len(uris) for name, uris in data.collections.items()} == {
        "digcomp": 26, "digital": 1201, "green": 570, "language": 346, "research": 40, "transversal": 96,
    }  # fmt: skip


def test_partial_shared_v1_2_1_release_names_what_is_missing(shared_data: Path) -> None:
    folder = shared_data / "esco" / "v1.2.1_partial"
    with pytest.raises(InputError, match=r"skills_en\.csv or skills_pl\.csv"):
        load_esco(folder)
    data = load_esco(folder, require=["occupations"])
    assert data.languages == ("en", "pl")
    assert not data.skills
    assert any("pl" in occupation.labels for occupation in data.occupations.values())
