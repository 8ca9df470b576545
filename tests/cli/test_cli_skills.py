"""cairn skills suggest: one JSON array per text, best first, from an index built once from the shipped extract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli.main import cli

PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
MAG = "http://data.europa.eu/esco/skill/60ff3eac-7d4d-4e51-87b8-74c3b5d62498"


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("skills") / "index"


def test_suggest_texts_and_a_batch(index_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    args = ["skills", "suggest", "--lexical-only", "--index", str(index_dir)]
    first = runner.invoke(cli, [*args, "Write Python programs that clean tabular data", "Weld steel plates with MAG"])
    assert first.exit_code == 0, first.output
    assert "Building the skill index" in first.stderr
    arrays = [json.loads(line) for line in first.stdout.splitlines()]
    assert len(arrays) == 2
    assert all(len(a) == 10 for a in arrays)
    assert arrays[0][0]["uri"] == PYTHON
    assert MAG in [s["uri"] for s in arrays[1][:3]]
    assert set(arrays[0][0]) == {"uri", "label", "score"}
    assert [s["score"] for s in arrays[0]] == sorted((s["score"] for s in arrays[0]), reverse=True)
    batch = tmp_path / "texts.txt"
    batch.write_text("teamwork and leading a team\n\nSQL queries with joins\n", encoding="utf-8")
    again = runner.invoke(cli, [*args, "--batch", str(batch), "-k", "12"])
    assert again.exit_code == 1, "the empty line fails"
    assert "Building" not in again.stderr, "the index is built once"
    lines = again.stdout.splitlines()
    assert len(lines) == 3
    assert json.loads(lines[1]) == []
    assert "text 2: " in again.stderr
    assert len(json.loads(lines[2])) == 12


def test_suggest_needs_input(index_dir: Path) -> None:
    result = CliRunner().invoke(cli, ["skills", "suggest", "--lexical-only", "--index", str(index_dir)])
    assert result.exit_code == 2
    assert "give a TEXT or --batch FILE" in result.output


def test_a_batch_that_is_not_utf8_is_refused(index_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    result = CliRunner().invoke(
        cli, ["skills", "suggest", "--lexical-only", "--index", str(index_dir), "--batch", str(bad)]
    )
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
