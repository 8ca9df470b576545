"""The cairn command: catalogue validate/import, db, settings, serve (with uvicorn replaced by a recorder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from cairn.cli.main import cli
from cairn.store.database import Database


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for name in ("CAIRN_DATABASE_URL", "CAIRN_SECRET_KEY", "CAIRN_PORT", "CAIRN_HOST"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CAIRN_SKILLS_INDEX", "none")  # no background build of the full skills index here
    monkeypatch.chdir(tmp_path)
    return CliRunner()


def run(runner: CliRunner, *args: str, **env: str) -> Result:
    return runner.invoke(cli, list(args), env=env or None, catch_exceptions=False)


def test_validate_the_examples(runner: CliRunner, examples: Path) -> None:
    result = run(runner, "catalog", "validate", str(examples))
    assert result.exit_code == 0, result.output
    assert "Valid: 4 organisations, 11 micro-credentials, 1 pathway" in result.output


def test_a_definition_without_outcomes_and_workload_fails_naming_both(
    runner: CliRunner, examples: Path, tmp_path: Path
) -> None:
    shutil.copytree(examples, tmp_path / "cat")
    path = tmp_path / "cat" / "micro-credentials" / "um-python-data-analysis.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["learning_outcomes"], data["workload"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = run(runner, "catalog", "validate", str(tmp_path / "cat"))
    assert result.exit_code == 1
    assert "Learning outcomes" in result.output
    assert "Notional workload" in result.output
    assert str(path) in result.output
    assert "2 problems found" in result.stderr


def test_validate_as_json(runner: CliRunner, examples: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: micro-credential\nid: x\n", encoding="utf-8")
    result = run(runner, "catalog", "validate", "--format", "json", str(examples), str(bad))
    assert result.exit_code == 1
    body = json.loads(result.output)
    assert body["ok"] is False
    elements = {p["element"] for p in body["problems"]}
    assert {"Learning outcomes", "Notional workload", "Type of assessment"} <= elements


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("huge.yaml", b"a" * 10_000_000, "larger than"),
        ("latin2.yaml", "kind: organisation\nid: \xbf\n".encode("latin-1"), "not valid UTF-8"),
        ("bomb.yaml", b"a: &a [1, 2]\nb: [*a, *a]\n", "aliases"),
        ("types.yaml", b"kind: micro-credential\nid: x\ntitle: 42\n", "title: Input should be a valid dictionary"),
    ],
)
def test_bad_input_is_refused_and_nothing_stored(
    runner: CliRunner, tmp_path: Path, examples: Path, name: str, content: bytes, expected: str
) -> None:
    (tmp_path / name).write_bytes(content)
    db_url = f"sqlite:///{tmp_path / 'c.db'}"
    result = run(runner, "catalog", "import", "--database", db_url, str(examples), str(tmp_path / name))
    assert result.exit_code == 1
    assert expected in result.output
    assert str(tmp_path / name) in result.output
    assert "nothing was stored" in result.stderr
    db = Database(db_url)
    from cairn.services.catalog.service import CatalogService

    assert CatalogService(db, clock=lambda: None).is_empty()  # type: ignore[arg-type,return-value]


def test_import_then_db_current(runner: CliRunner, examples: Path, tmp_path: Path) -> None:
    env = {"CAIRN_DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"}
    result = run(runner, "catalog", "import", str(examples), **env)
    assert result.exit_code == 0, result.output
    assert "4 organisations (4 create)" in result.output
    assert (tmp_path / "env.db").exists()
    current = run(runner, "db", "current", **env)
    head = Database(env["CAIRN_DATABASE_URL"]).head_revision()
    assert f"database: {head}" in current.output


def test_db_upgrade(runner: CliRunner, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'up.db'}"
    head = Database(url).head_revision()
    assert f"Database at revision {head}" in run(runner, "db", "upgrade", "--database", url).output
    assert "already current" in run(runner, "db", "upgrade", "--database", url).output


def test_settings_masks_secrets(runner: CliRunner) -> None:
    secret = "s3cret-" + "x" * 40
    result = run(
        runner,
        "settings",
        CAIRN_SECRET_KEY=secret,
        CAIRN_DATABASE_URL="postgresql://cairn:hunter2@db.example:5432/cairn",
    )
    assert result.exit_code == 0
    assert secret not in result.output
    assert "hunter2" not in result.output
    assert "CAIRN_SECRET_KEY=******** (set)" in result.output
    assert "CAIRN_DATABASE_URL=postgresql://cairn:***@db.example:5432/cairn" in result.output
    assert "CAIRN_PORT=8000" in result.output


def test_invalid_settings_fail_loudly(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["settings"], env={"CAIRN_PORT": "eighty"})
    assert result.exit_code == 2
    assert "CAIRN_PORT must be a whole number, not 'eighty'" in result.stderr
    result = runner.invoke(cli, ["db", "current"], env={"CAIRN_DATABASE_URL": "mysql://x/y"})
    assert result.exit_code == 2
    assert "unsupported database 'mysql'" in result.stderr


def test_schema_command(runner: CliRunner) -> None:
    schema = json.loads(run(runner, "catalog", "schema", "micro-credential").output)
    assert "learning_outcomes" in schema["required"]
    assert schema["properties"]["kind"] == {"const": "micro-credential"}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def __call__(self, app: Any, **kwargs: Any) -> None:
        self.calls.append((app, kwargs))


@pytest.fixture
def uvicorn_run(monkeypatch: pytest.MonkeyPatch) -> Recorder:
    import uvicorn

    recorder = Recorder()
    monkeypatch.setattr(uvicorn, "run", recorder)
    return recorder


@pytest.mark.slow
def test_plain_cairn_serves_and_demo_loads_the_catalogue(
    runner: CliRunner, uvicorn_run: Recorder, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    result = run(runner, "serve", "--demo", "--database", url, "--port", "8123")
    assert result.exit_code == 0, result.output
    assert "Loaded the demo catalogue" in result.output
    app, kwargs = uvicorn_run.calls[0]
    assert kwargs["port"] == 8123
    assert kwargs["host"] == "127.0.0.1"
    with TestClient(app) as client:
        assert client.get("/healthz").json()["ok"] is True
        assert "Data analysis with Python" in client.get("/").text
    again = run(runner, "serve", "--demo", "--database", url)
    assert "Loaded the demo catalogue" not in again.output, "--demo loads only into an empty database"
    bare = run(runner, CAIRN_DATABASE_URL=f"sqlite:///{tmp_path / 'bare.db'}")
    assert bare.exit_code == 0
    assert len(uvicorn_run.calls) == 3, "plain 'cairn' runs serve"


def test_serve_passes_tls_files(runner: CliRunner, uvicorn_run: Recorder, tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("cert", encoding="utf-8")
    key.write_text("key", encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'tls.db'}"
    result = run(runner, "serve", "--database", url, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key))
    assert result.exit_code == 0
    assert "https://" in result.output
    _, kwargs = uvicorn_run.calls[0]
    assert (kwargs["ssl_certfile"], kwargs["ssl_keyfile"]) == (str(cert), str(key))
    half = runner.invoke(cli, ["serve", "--database", url, "--ssl-certfile", str(cert)])
    assert half.exit_code == 2
    assert "give both" in half.output


def test_a_worker_needs_postgresql(runner: CliRunner, tmp_path: Path) -> None:
    env = {"CAIRN_DATABASE_URL": f"sqlite:///{tmp_path / 'w.db'}", "CAIRN_SECRET_KEY": "w" * 48}
    result = runner.invoke(cli, ["worker", "--once"], env=env)
    assert result.exit_code == 1
    assert "'cairn serve' runs the jobs itself" in result.output
