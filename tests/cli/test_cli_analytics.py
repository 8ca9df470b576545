"""``cairn analytics refresh`` and ``cairn analytics show``: a snapshot made from the command line, and a table as it
is released (withheld cells without a value, with the reason)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from cairn.cli.main import cli
from cairn.store.database import Database
from tests.analytics_parts import build_dataset
from tests.factories import PUBLIC_URL, SECRET


def _instance(database: Database, tmp_path: Path, **more: str) -> dict[str, str]:
    """The hand-made data set in ``database``, and the environment of ``cairn`` commands over it."""
    build_dataset(database)
    return {
        "CAIRN_SECRET_KEY": SECRET,
        "CAIRN_BASE_URL": PUBLIC_URL,
        "CAIRN_DATABASE_URL": database.url,
        "CAIRN_ANALYTICS_CACHE": str(tmp_path / "cache"),
        **more,
    }


def test_refresh_then_show(sqlite_database: Database, tmp_path: Path) -> None:
    env = _instance(sqlite_database, tmp_path, CAIRN_ANALYTICS_K="3")
    runner = CliRunner()
    before = runner.invoke(cli, ["analytics", "show", "awards"], env=env)
    assert before.exit_code == 1
    assert "cairn analytics refresh" in before.output

    made = runner.invoke(cli, ["analytics", "refresh"], env=env)
    assert made.exit_code == 0, made.output
    assert json.loads(made.stdout.splitlines()[-1])["rows"]["awards"] == 19

    shown = runner.invoke(cli, ["analytics", "show", "awards", "--by", "issuer", "--by", "month"], env=env)
    assert shown.exit_code == 0, shown.output
    lines = [json.loads(line) for line in shown.stdout.splitlines()]
    cells = {tuple(line["keys"]): line for line in lines if line["kind"] == "cell"}
    assert cells[("uni-a", "2026-01")]["value"] == 13
    assert cells[("train-b", "2026-02")] == {"kind": "cell", "keys": ["train-b", "2026-02"], "value": None,
                                             "withheld": "small"}  # fmt: skip
    assert [line["value"] for line in lines if line["kind"] == "total"] == [19]

    filtered = runner.invoke(cli, ["analytics", "show", "awards", "--filter", "field=06", "--from", "2026-02"], env=env)
    assert filtered.exit_code == 0, filtered.output
    assert json.loads(filtered.stdout.splitlines()[-1])["value"] == 6

    for wrong in (["show", "colour"], ["show", "awards", "--by", "colour"], ["show", "awards", "--from", "May"],
                  ["show", "awards", "--filter", "field"]):  # fmt: skip
        refused = runner.invoke(cli, ["analytics", *wrong], env=env)
        assert refused.exit_code == 1, (wrong, refused.output)


def test_release_then_combine(sqlite_database: Database, tmp_path: Path) -> None:
    env = _instance(sqlite_database, tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["analytics", "refresh"], env=env).exit_code == 0
    off = runner.invoke(cli, ["analytics", "release"], env=env)
    assert off.exit_code == 1
    assert "CAIRN_ANALYTICS_EPSILON" in off.output
    on = {**env, "CAIRN_ANALYTICS_EPSILON": "1.5"}
    assert runner.invoke(cli, ["analytics", "refresh"], env=on).exit_code == 0
    made = runner.invoke(cli, ["analytics", "release"], env=on)
    assert made.exit_code == 0, made.output
    release = json.loads(made.stdout)
    assert release["epsilon"] == 1.5
    first = tmp_path / "one.json"
    first.write_text(made.stdout, encoding="utf-8")
    combined = runner.invoke(cli, ["analytics", "combine", str(first), str(first)], env=env)
    assert combined.exit_code == 0, combined.output
    learners = next(t for t in json.loads(combined.stdout)["tables"] if t["indicator"] == "learners")
    single = next(t for t in release["tables"] if t["indicator"] == "learners")
    assert learners["cells"][0]["value"] == 2 * single["cells"][0]["value"]
    junk = tmp_path / "junk.json"
    junk.write_text("{not json", encoding="utf-8")
    assert runner.invoke(cli, ["analytics", "combine", str(junk)], env=env).exit_code == 1
