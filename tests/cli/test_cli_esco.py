"""``cairn esco import`` and ``cairn esco status``: progress and summary, exit 1 with a one-line message
naming the missing file on a partial folder (and nothing changed), usage errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli.main import cli
from tests.factories import cut_polish, cut_release


@pytest.mark.slow
def test_import_then_status(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cairn.db'}"
    runner = CliRunner()
    result = runner.invoke(cli, ["esco", "import", str(cut_release(tmp_path, occupations=4)), "--database", url])
    assert result.exit_code == 0, result.output
    assert "Imported ESCO 1.1.1 (en): " in result.stdout
    assert "4 occupations" in result.stdout
    assert "reading " in result.stderr
    result = runner.invoke(cli, ["esco", "import", str(cut_polish(tmp_path)), "--language", "pl", "--database", url])
    assert result.exit_code == 0, result.output
    assert "ESCO 1.2.1 (pl)" in result.stdout
    status = runner.invoke(cli, ["esco", "status", "--database", url])
    assert status.exit_code == 0, status.output
    assert "ESCO version: 1.1.1" in status.stdout
    assert "occupations: 4" in status.stdout
    assert "(pl) from " in status.stdout


def test_a_partial_folder_fails_with_one_line_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cairn.db'}"
    runner = CliRunner()
    good = cut_release(tmp_path / "good", occupations=3)
    assert runner.invoke(cli, ["esco", "import", str(good), "--database", url]).exit_code == 0
    before = runner.invoke(cli, ["esco", "status", "--database", url]).stdout
    partial = cut_release(tmp_path / "partial", occupations=6, version="1.2.0")
    (partial / "occupationSkillRelations_en.csv").unlink()
    result = runner.invoke(cli, ["esco", "import", str(partial), "--database", url])
    assert result.exit_code == 1
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1
    assert "occupationSkillRelations_en.csv" in error_lines[0]
    assert runner.invoke(cli, ["esco", "status", "--database", url]).stdout == before


def test_folder_or_shipped_but_not_both(tmp_path: Path) -> None:
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'cairn.db'}"
    assert runner.invoke(cli, ["esco", "import", "--database", url]).exit_code == 2
    both = runner.invoke(cli, ["esco", "import", str(tmp_path), "--shipped", "--database", url])
    assert both.exit_code == 2
    assert "one of them" in both.output
