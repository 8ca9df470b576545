"""``cairn award``, ``cairn audit`` and ``cairn org``: exit codes, reports, and a bulk award killed with SIGKILL
in the middle and run again (no duplicates, no gaps) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, update

from cairn.cli.issuing import audit, award, org
from cairn.services.audit import audit_key
from cairn.store.database import Database
from cairn.store.tables import AuditEntry, AwardRow, BulkJobRow, OutboxRow
from tests.factories import DEFINITION, ORG, PUBLIC_URL, REPO, SECRET, FixedClock, load_examples

CLI_SCRIPT = """
import sys
import click
from cairn.cli.issuing import audit, award, org

@click.group()
def cli() -> None:
    pass

for command in (award, audit, org):
    cli.add_command(command)
cli.main(args=sys.argv[1:], prog_name="cairn")
"""


@click.group()
def cli() -> None:
    """The commands under test, as the lead will register them on ``cairn``."""


for _command in (award, audit, org):
    cli.add_command(_command)


@pytest.fixture
def env(database: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    database.audit_key = audit_key(SECRET)  # the catalogue is imported as the instance would, its audit keyed
    load_examples(database, clock)
    monkeypatch.chdir(tmp_path)
    for name in ("CAIRN_DATABASE_URL", "CAIRN_SECRET_KEY", "CAIRN_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return {"CAIRN_DATABASE_URL": database.url, "CAIRN_SECRET_KEY": SECRET, "CAIRN_BASE_URL": PUBLIC_URL}


def run(env: dict[str, str], *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def _csv(tmp_path: Path, rows: int, name: str = "rows.csv") -> Path:
    path = tmp_path / name
    lines = "".join(f"learner{i}@example.org,Learner {i},ID-{i}\n" for i in range(rows))
    path.write_text("email,name,external_id\n" + lines, encoding="utf-8")
    return path


def _count(database: Database, table: type[AwardRow] | type[OutboxRow]) -> int:
    with database.transaction() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_bulk_award_then_again(env: dict[str, str], database: Database, tmp_path: Path) -> None:
    path = _csv(tmp_path, 5)
    result = run(env, "award", "bulk", "--definition", DEFINITION, str(path))
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ok"]
    assert report["created"] == 5
    assert report["rows"] == 5
    assert "Awarded 5 (already awarded: 0) of 5 rows" in result.stderr
    again = run(env, "award", "bulk", "--definition", DEFINITION, "--version", "1", str(path))
    assert again.exit_code == 0
    assert json.loads(again.stdout)["job_id"] == report["job_id"]
    assert _count(database, AwardRow) == 5


def test_a_bad_file_exits_1_with_a_report(env: dict[str, str], database: Database, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("email,name\nann@example,Ann\nbob@example.org,=cmd()\n", encoding="utf-8")
    out = tmp_path / "report.json"
    result = run(env, "award", "bulk", "--definition", DEFINITION, "--report", str(out), str(path))
    assert result.exit_code == 1
    assert "row 2 (email): 'ann@example' is not an email address" in result.stderr
    assert "row 3 (name): looks like a spreadsheet formula" in result.stderr
    assert "2 problems: nothing was awarded" in result.stderr
    assert result.stdout == ""
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["status"] == "refused"
    assert [p["row"] for p in report["problems"]] == [2, 3]
    assert _count(database, AwardRow) == 0


def test_unknown_definition_and_missing_secret(env: dict[str, str], tmp_path: Path) -> None:
    path = _csv(tmp_path, 1)
    result = run(env, "award", "bulk", "--definition", "nothing", str(path))
    assert result.exit_code == 1
    assert "no micro-credential 'nothing'" in result.stderr
    result = run({**env, "CAIRN_SECRET_KEY": ""}, "award", "bulk", "--definition", DEFINITION, str(path))
    assert result.exit_code == 2
    assert "CAIRN_SECRET_KEY is not set" in result.stderr


def test_revoke_suspend_unsuspend(env: dict[str, str], database: Database, tmp_path: Path) -> None:
    assert run(env, "award", "bulk", "--definition", DEFINITION, str(_csv(tmp_path, 1))).exit_code == 0
    with database.transaction() as session:
        award_id = session.scalars(select(AwardRow.id)).one()
    result = run(env, "award", "suspend", award_id, "--reason", "under review")
    assert (result.exit_code, result.stdout.strip()) == (0, f"Suspended {award_id}")
    assert run(env, "award", "unsuspend", award_id, "--reason", "cleared").stdout.strip() == f"Reinstated {award_id}"
    assert run(env, "award", "unsuspend", award_id, "--reason", "x").stdout.strip() == f"{award_id} was not suspended"
    result = run(env, "award", "revoke", award_id, "--reason", "issued by mistake", "--actor", "registrar")
    assert (result.exit_code, result.stdout.strip()) == (0, f"Revoked {award_id}")
    assert run(env, "award", "revoke", award_id, "--reason", "x").stdout.strip() == f"{award_id} was already revoked"
    with database.transaction() as session:
        row = session.get(AwardRow, award_id)
        assert row is not None
        assert row.revocation_reason == "issued by mistake"
        actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "award.revoke")).all()
    assert actors == ["registrar"]
    missing = run(env, "award", "revoke", "no-such-award", "--reason", "x")
    assert missing.exit_code == 1
    assert "no award 'no-such-award'" in missing.stderr
    assert run(env, "award", "revoke", award_id).exit_code == 2  # --reason is required


def test_audit_verify_names_the_first_broken_entry(env: dict[str, str], database: Database, tmp_path: Path) -> None:
    assert run(env, "award", "bulk", "--definition", DEFINITION, str(_csv(tmp_path, 3))).exit_code == 0
    result = run(env, "audit", "verify")
    assert result.exit_code == 0
    assert "The audit log is intact" in result.stdout
    with database.transaction() as session:
        ids = list(session.scalars(select(AuditEntry.id).order_by(AuditEntry.id)))
        session.execute(update(AuditEntry).where(AuditEntry.id == ids[-2]).values(actor="someone else"))
    result = run(env, "audit", "verify")
    assert result.exit_code == 1
    assert f"broken at entry {ids[-2]} (award.create" in result.stderr


def test_org_keys_rotate_list_and_did(env: dict[str, str]) -> None:
    first = json.loads(run(env, "org", "did", ORG).stdout)  # the first key is made when first needed
    assert len(first["verificationMethod"]) == 1
    result = run(env, "org", "keys", "rotate", ORG)
    assert result.exit_code == 0
    assert "New signing key did:web:cairn.example:orgs:" in result.stdout
    listed = run(env, "org", "keys", "list", ORG).stdout.splitlines()
    assert len(listed) == 2
    assert "retired" in listed[0]
    assert listed[1].endswith("current")
    document = json.loads(run(env, "org", "did", ORG).stdout)
    assert document["id"] == f"did:web:cairn.example:orgs:{ORG}"
    assert len(document["verificationMethod"]) == 2
    assert run(env, "org", "keys", "rotate", "nobody").exit_code == 1


def test_org_suite_chooses_p384(env: dict[str, str]) -> None:
    result = run(env, "org", "suite", ORG, "ecdsa-jcs-2019", "--key-type", "P-384")
    assert result.exit_code == 0, result.stderr
    assert "signs with ecdsa-jcs-2019" in result.stdout
    assert "(P-384)" in result.stdout
    listed = run(env, "org", "keys", "list", ORG).stdout
    assert "P-384" in listed
    document = json.loads(run(env, "org", "did", ORG).stdout)
    assert any(m["publicKeyMultibase"].startswith("z82L") for m in document["verificationMethod"])
    refused = run(env, "org", "suite", ORG, "ecdsa-sd-2023", "--key-type", "P-384")
    assert refused.exit_code != 0
    assert "P-256" in refused.stderr


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text(encoding="latin-1").rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_kill_9_in_the_middle_then_resume(
    env: dict[str, str], database: Database, tmp_path: Path, workers: int
) -> None:
    """A real process killed with SIGKILL between batches; the same command again finishes the job exactly.

    With signing workers, they leave too once their parent is gone."""
    rows = 200  # killed after 60 (three batches): the rest is the resumed run's work
    path = _csv(tmp_path, rows)
    command = [sys.executable, "-c", CLI_SCRIPT, "award", "bulk", "--definition", DEFINITION]
    command += ["--batch-size", "20", "--workers", str(workers), str(path)]
    child_env = {**os.environ, **env, "PYTHONPATH": str(REPO / "src")}
    process = subprocess.Popen(command, env=child_env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        done = 0
        deadline = time.monotonic() + 120
        while done < 60 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.02)
            with database.transaction() as session:
                done = int(session.scalar(select(func.coalesce(func.max(BulkJobRow.done_rows), 0))) or 0)
        orphans = [c for c in _children(process.pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    if workers and sys.platform == "linux":
        assert len(orphans) == 2
        deadline = time.monotonic() + 10
        while any(_alive(o) for o in orphans) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(o) for o in orphans), "signing workers outlived their parent"
    killed_at = _count(database, AwardRow)
    assert 60 <= killed_at < rows
    with database.transaction() as session:
        job = session.scalars(select(BulkJobRow)).one()
        assert job.status == "running"
        assert job.done_rows == killed_at

    again = subprocess.run(command, env=child_env, cwd=tmp_path, capture_output=True, timeout=600, check=False)
    assert again.returncode == 0, again.stderr.decode()
    report = json.loads(again.stdout)
    assert report["ok"]
    assert report["resumed_from"] == killed_at
    assert report["created"] == rows
    with database.transaction() as session:
        numbers = list(session.scalars(select(AwardRow.row_number).order_by(AwardRow.row_number)))
        external = set(session.scalars(select(AwardRow.external_id)))
        job = session.scalars(select(BulkJobRow)).one()
    assert numbers == list(range(2, rows + 2))  # no duplicates, no gaps
    assert external == {f"ID-{i}" for i in range(rows)}
    assert (job.status, job.done_rows) == ("done", rows)
    assert _count(database, OutboxRow) == rows
    assert run(env, "audit", "verify").exit_code == 0


def test_vc_verify_checks_this_instances_awards_without_the_network(
    env: dict[str, str], database: Database, tmp_path: Path
) -> None:
    from cairn.cli.main import cli as cairn_cli
    from cairn.vc.formats.baking import bake_png
    from tests.hostile import tiny_png

    assert run(env, "award", "bulk", "--definition", DEFINITION, str(_csv(tmp_path, 1))).exit_code == 0
    with database.transaction() as session:
        award_id, credential = session.execute(select(AwardRow.id, AwardRow.credential)).one()
    baked = tmp_path / "baked.png"
    baked.write_bytes(bake_png(tiny_png(), json.dumps(credential)))

    def verify() -> Result:
        args = ["vc", "verify", str(baked), "--format", "text", "--database", database.url]
        return CliRunner().invoke(cairn_cli, args, env=env, catch_exceptions=False)

    verified = verify()
    assert verified.exit_code == 0, verified.output
    assert verified.output.startswith("Authentic, but nobody vouches for the issuer")
    assert run(env, "award", "revoke", award_id, "--reason", "issued by mistake").exit_code == 0
    revoked = verify()
    assert revoked.exit_code == 1, revoked.output
    assert "revoked" in revoked.output.lower()
