"""cairn vc bake / unbake, and cairn vc verify on baked images and PDFs: outputs and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli.main import cli
from cairn.formats.pdf import certificate_pdf
from tests import hostile
from tests.factories import signed_json, signed_jwt


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.mark.parametrize(("image", "name"), [(hostile.tiny_png, "badge.png"), (hostile.tiny_svg, "badge.svg")])
@pytest.mark.parametrize("credential", [signed_json, signed_jwt], ids=["json", "jwt"])
def test_bake_then_verify_then_unbake(runner, tmp_path: Path, image, name, credential) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / name).write_bytes(image())
    (tmp_path / "cred").write_text(credential(), encoding="utf-8")
    baked = runner.invoke(cli, ["vc", "bake", "--image", str(tmp_path / name), str(tmp_path / "cred")])
    assert baked.exit_code == 0, baked.stderr
    out = tmp_path / f"out-{name}"
    out.write_bytes(baked.stdout_bytes)
    verified = runner.invoke(cli, ["vc", "verify", str(out)])
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.stdout)
    assert report["verified"] is True
    assert report["checks"][0]["reason"].endswith(f"read from a baked {name[-3:].upper()} image")
    unbaked = runner.invoke(cli, ["vc", "unbake", str(out)])
    assert unbaked.exit_code == 0
    assert unbaked.stdout == credential() + "\n"


def test_bake_writes_to_output_and_reads_stdin(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "in.png").write_bytes(hostile.tiny_png())
    result = runner.invoke(
        cli, ["vc", "bake", "--image", str(tmp_path / "in.png"), "-o", str(tmp_path / "o.png")], input=signed_jwt()
    )
    assert result.exit_code == 0
    assert runner.invoke(cli, ["vc", "unbake", str(tmp_path / "o.png")]).stdout.strip() == signed_jwt()


def test_a_tampered_baked_credential_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "in.png").write_bytes(hostile.tiny_png())
    tampered = json.loads(signed_json())
    tampered["credentialSubject"]["achievement"]["name"] = "Brain surgery"
    (tmp_path / "cred.json").write_text(json.dumps(tampered), encoding="utf-8")
    baked = runner.invoke(cli, ["vc", "bake", "--image", str(tmp_path / "in.png"), str(tmp_path / "cred.json")])
    (tmp_path / "out.png").write_bytes(baked.stdout_bytes)
    result = runner.invoke(cli, ["vc", "verify", "--format", "text", str(tmp_path / "out.png")])
    assert result.exit_code == 1
    assert result.stdout.startswith("Not verified")


def test_verify_reads_a_certificate_pdf(runner: CliRunner, tmp_path: Path) -> None:
    pdf = certificate_pdf(json.loads(signed_json()), credential_text=signed_jwt(), verify_url="https://x.example/v")
    (tmp_path / "c.pdf").write_bytes(pdf)
    assert runner.invoke(cli, ["vc", "verify", str(tmp_path / "c.pdf")]).exit_code == 0
    assert runner.invoke(cli, ["vc", "unbake", str(tmp_path / "c.pdf")]).stdout.strip() == signed_jwt()


@pytest.mark.parametrize("name", ["png_bad_crc", "png_credential_bomb", "svg_billion_laughs", "pdf_garbage"])
def test_unreadable_images_exit_2_with_a_reason(runner: CliRunner, tmp_path: Path, name: str) -> None:
    (tmp_path / "x").write_bytes(hostile.CORPUS[name]())
    verified = runner.invoke(cli, ["vc", "verify", str(tmp_path / "x")])
    assert verified.exit_code == 2
    assert json.loads(verified.stdout)["checks"][0]["outcome"] == "fail"
    unbaked = runner.invoke(cli, ["vc", "unbake", str(tmp_path / "x")])
    assert unbaked.exit_code == 2
    assert unbaked.stderr.startswith("error: the ")


@pytest.mark.parametrize(
    ("image", "credential", "reason"),
    [
        (hostile.svg_script, "{}", "<script>"),
        (hostile.tiny_png, "not a credential", "JSON or a compact JWT"),
        (hostile.tiny_png, "[1]", "JSON or a compact JWT"),
        (hostile.tiny_png, '{"a": ', "not valid JSON"),
        (lambda: b"GIF89a", "{}", "only PNG and SVG"),
    ],
)
def test_bake_refusals_exit_2(runner, tmp_path: Path, image, credential, reason) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "img").write_bytes(image())
    (tmp_path / "cred").write_text(credential, encoding="utf-8")
    result = runner.invoke(cli, ["vc", "bake", "--image", str(tmp_path / "img"), str(tmp_path / "cred")])
    assert result.exit_code == 2
    assert reason in result.stderr
    assert result.stdout_bytes == b""
