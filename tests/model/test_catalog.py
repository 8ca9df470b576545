"""Catalogue files: parsing, cross-references, and hostile input refused with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from cairn.model.catalog import MAX_DEPTH, MAX_FILE_BYTES, build_catalog, parse_file

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "catalog"
ORG = (EXAMPLES / "organisations" / "uniwersytet-mazowiecki.yaml").read_bytes()
DEF = (EXAMPLES / "micro-credentials" / "um-sql-databases.yaml").read_bytes()


def messages(files: list[tuple[str, bytes]]) -> list[str]:
    _, problems = build_catalog(files)
    return [str(p) for p in problems]


def test_example_catalogue_has_enough_variety() -> None:
    files = [(str(p), p.read_bytes()) for p in sorted(EXAMPLES.rglob("*.yaml"))]
    catalog, problems = build_catalog(files)
    assert problems == []
    assert len(catalog.definitions) >= 8
    assert {o.type for o in catalog.organisations.values()} >= {
        "university",
        "vet-provider",
        "employer",
        "training-platform",
    }
    assert any(o.country == "PL" for o in catalog.organisations.values())
    for d in catalog.definitions.values():
        assert {"en", "pl"} <= set(d.title), d.id
        assert all(o.esco_skills for o in d.learning_outcomes), d.id
    stackable = [d for d in catalog.definitions.values() if d.integration.stackability == "stackable"]
    targets = [t.identifier for d in stackable for t in d.integration.towards]
    assert max(targets.count(t) for t in targets) >= 2, "at least one group stacks towards the same credential"


def test_a_file_may_hold_several_documents() -> None:
    catalog, problems = build_catalog([("both.yaml", ORG + b"\n---\n" + DEF)])
    assert problems == []
    assert list(catalog.organisations) == ["uniwersytet-mazowiecki"]
    assert list(catalog.definitions) == ["um-sql-databases"]


def test_json_files_and_arrays() -> None:
    doc = b'[{"kind": "organisation", "id": "x"}]'
    found = messages([("a.json", doc)])
    assert any("a.json: legal_name: missing" in m for m in found)


def test_unknown_awarding_body_is_named() -> None:
    (problem,) = messages([("d.yaml", DEF)])
    assert "d.yaml: awarding_bodies[0]: no organisation 'uniwersytet-mazowiecki'" in problem
    assert "Awarding body(ies)" in problem
    _, problems = build_catalog([("d.yaml", DEF)], known_organisations=["uniwersytet-mazowiecki"])
    assert problems == []


def test_kind_is_required_and_checked() -> None:
    assert "say what this is: kind:" in messages([("a.yaml", b"id: x\n")])[0]
    assert "got 'badge'" in messages([("a.yaml", b"kind: badge\n")])[0]
    assert "expected a mapping" in messages([("a.yaml", b"- 1\n- 2\n")])[0]


def test_duplicate_ids_across_files() -> None:
    found = messages([("a.yaml", ORG), ("b.yaml", ORG)])
    assert found == ["b.yaml: id: organisation 'uniwersytet-mazowiecki' is also defined in a.yaml"]


def test_a_file_over_the_size_limit_is_refused_unparsed() -> None:
    big = b"# padding\n" * (MAX_FILE_BYTES // 10 + 1)
    docs, problems = parse_file("big.yaml", big)
    assert docs == []
    assert "larger than 1,000,000 bytes" in str(problems[0])


def test_ten_megabytes_is_refused() -> None:
    docs, problems = parse_file("huge.yaml", b"a" * 10_000_000)
    assert docs == []
    assert len(problems) == 1


@pytest.mark.parametrize("data", [b"title: \xff\xfe broken", b"\xc3\x28", "żółw".encode("utf-16")])
def test_invalid_utf8_is_refused(data: bytes) -> None:
    docs, problems = parse_file("bad.yaml", data)
    assert docs == []
    assert "not valid UTF-8" in problems[0].message or "NUL" in problems[0].message


def test_utf8_with_bom_is_fine() -> None:
    docs, problems = parse_file("bom.yaml", b"\xef\xbb\xbf" + ORG)
    assert problems == []
    assert docs[0]["id"] == "uniwersytet-mazowiecki"


def test_yaml_alias_bomb_is_refused() -> None:
    bomb = b'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    for i, prev in zip("bcdefghi", "abcdefgh", strict=True):
        bomb += f"{i}: &{i} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]\n".encode()
    docs, problems = parse_file("bomb.yaml", bomb)
    assert docs == []
    assert "aliases" in problems[0].message
    assert "line 2" in problems[0].message


def test_deep_nesting_is_refused_in_yaml_and_json() -> None:
    deep = "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5)
    for name in ("deep.yaml", "deep.json"):
        docs, problems = parse_file(name, deep.encode())
        assert docs == []
        assert "nesting deeper" in problems[0].message
    docs, problems = parse_file("very.json", ("[" * 200_000).encode())
    assert docs == []
    assert problems


@pytest.mark.parametrize(("name", "data"), [("d.yaml", b"a: 1\na: 2\n"), ("d.json", b'{"a": 1, "a": 2}')])
def test_duplicate_keys_are_refused(name: str, data: bytes) -> None:
    _, problems = parse_file(name, data)
    assert "duplicate key 'a'" in problems[0].message


def test_yaml_syntax_errors_give_a_line() -> None:
    _, problems = parse_file("s.yaml", b"title: [unclosed\nother: 1\n")
    assert "not valid YAML" in problems[0].message
    assert "line" in problems[0].message


def test_yaml_python_tags_are_refused() -> None:
    _, problems = parse_file("t.yaml", b"a: !!python/object/apply:os.system ['echo hi']\n")
    assert problems
    assert "not valid YAML" in problems[0].message
