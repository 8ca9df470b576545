"""cairn keys generate, cairn vc issue, cairn vc verify: exit codes, formats, vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cairn.cli.main import cli
from cairn.vc.keys import load_key_pair

UNSIGNED = {
    "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "issuer": "ISSUER",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_keys_generate_prints_a_loadable_key_pair(runner: CliRunner) -> None:
    for kind, prefix in (("ed25519", "z6Mk"), ("p256", "zDna")):
        result = runner.invoke(cli, ["keys", "generate", "--type", kind])
        assert result.exit_code == 0
        pair = load_key_pair(result.output)
        assert pair.public_multibase.startswith(prefix)
    assert list(json.loads(runner.invoke(cli, ["keys", "generate"]).output)) == [
        "publicKeyMultibase",
        "privateKeyMultibase",
    ]


def test_keys_generate_matches_the_vector_layout(runner: CliRunner, test_data: Path) -> None:
    vector = json.loads((test_data / "vectors/vc-di-eddsa/TestVectors/keyPair.json").read_text(encoding="utf-8"))
    ours = json.loads(runner.invoke(cli, ["keys", "generate"]).output)
    assert list(ours) == list(vector)


@pytest.mark.parametrize(
    ("kind", "suite"),
    [
        ("ed25519", "eddsa-rdfc-2022"),
        ("ed25519", "eddsa-jcs-2022"),
        ("p256", "ecdsa-rdfc-2019"),
        ("p256", "ecdsa-jcs-2019"),
        ("ed25519", "jwt"),
    ],
)
def test_issue_then_verify(runner: CliRunner, tmp_path: Path, kind: str, suite: str) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(runner.invoke(cli, ["keys", "generate", "--type", kind]).output, encoding="utf-8")
    pair = load_key_pair(key_file.read_text(encoding="utf-8"))
    from cairn.vc.dids import did_key

    credential = dict(UNSIGNED, issuer=did_key(pair.public))
    source = tmp_path / "vc.json"
    source.write_text(json.dumps(credential), encoding="utf-8")
    issued = runner.invoke(
        cli, ["vc", "issue", "--key", str(key_file), "--suite", suite, "--created", "2023-02-24T23:36:38Z", str(source)]
    )
    assert issued.exit_code == 0, issued.output
    signed = tmp_path / "signed"
    signed.write_text(issued.output, encoding="utf-8")
    if suite != "jwt":
        assert json.loads(issued.output)["proof"]["created"] == "2023-02-24T23:36:38Z"
    verified = runner.invoke(cli, ["vc", "verify", str(signed)])
    assert verified.exit_code == 0, verified.output
    report = json.loads(verified.output)
    assert report["verified"] is True
    text = runner.invoke(cli, ["vc", "verify", "--format", "text", "-"], input=issued.output)
    assert text.exit_code == 0
    assert text.output.startswith("Authentic, but nobody vouches for the issuer")
    tampered = issued.output.replace("The School of Examples", "The School of Forgery")
    if suite != "jwt":
        assert runner.invoke(cli, ["vc", "verify", "-"], input=tampered).exit_code == 1


def test_issue_reproduces_the_eddsa_vector(runner: CliRunner, test_data: Path, tmp_path: Path) -> None:
    base = test_data / "vectors/vc-di-eddsa/TestVectors"
    config = json.loads((base / "eddsa-rdfc-2022/proofConfigDataInt.json").read_text(encoding="utf-8"))
    expected = json.loads((base / "eddsa-rdfc-2022/signedDataInt.json").read_text(encoding="utf-8"))
    result = runner.invoke(
        cli,
        [
            "vc",
            "issue",
            "--key",
            str(base / "keyPair.json"),
            "--suite",
            "eddsa-rdfc-2022",
            "--created",
            config["created"],
            "--verification-method",
            config["verificationMethod"],
            str(base / "unsigned.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["proof"]["proofValue"] == expected["proof"]["proofValue"]


def test_verify_exit_codes(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["vc", "verify", "-"], input="not json at all").exit_code == 2
    assert runner.invoke(cli, ["vc", "verify", "-"], input=json.dumps(UNSIGNED)).exit_code == 1
    assert runner.invoke(cli, ["vc", "verify", str(tmp_path / "missing.json")]).exit_code == 2


def test_issue_refuses_a_wrong_key_type(runner: CliRunner, tmp_path: Path) -> None:
    key_file = tmp_path / "key.json"
    key_file.write_text(runner.invoke(cli, ["keys", "generate", "--type", "p256"]).output, encoding="utf-8")
    result = runner.invoke(cli, ["vc", "issue", "--key", str(key_file), "--suite", "eddsa-rdfc-2022", "-"], input="{}")
    assert result.exit_code == 2
    assert "needs an Ed25519 key" in result.output
