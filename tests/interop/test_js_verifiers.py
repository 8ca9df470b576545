"""Cairn's awards in other implementations, and theirs in Cairn (issue #12, "Done when").

A real Cairn instance serves HTTPS on loopback (its DID documents at ``/orgs/{slug}/did.json``, so the award's
did:web resolves as anywhere else); an award issued by it is verified by Digital Bazaar's ``@digitalbazaar/vc`` and
by the DCC's ``@digitalcredentials/verifier-core`` with only the contexts those packages bundle (the harness,
tests/interop/js/interop.mjs, refuses every other fetch and reports it). Then the reverse: ``@digitalbazaar/vc``
issues an Open Badge and a revoked one (a BitstringStatusListEntry; the list served locally), and Cairn's
``POST /credentials/verify`` verifies the first and refuses the second as revoked. A composite credential (issue
#15: its components' evidence and digests, the pathway as an alignment) and a recognition decision (issue #16) verify
in both JavaScript verifiers too.
Last, ``openbadgeslib`` from PyPI verifies the award when it installs, and issues its own badges (a JWT-VC, or a
credential with a Data Integrity proof, each with its status lists published as JWTs), of which Cairn verifies one
and finds the other revoked, in the VC-API and on the verify page.

The JavaScript packages are those of tests/interop/js/package-lock.json, installed once (tests/interop/node.py);
without node and npm, or without the npm registry for that first install, the test skips saying why; likewise
``openbadgeslib`` without the package index.
"""

from __future__ import annotations

import configparser
import hashlib
import json
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from cairn.formats.ob3 import CAIRN_CONTEXT, OB3_CONTEXT, VC2_CONTEXT
from cairn.formats.recognition import Counted, decision_credential
from cairn.model.awards import Recipient
from cairn.vc import issue
from cairn.vc.dids import did_key
from cairn.vc.keys import KeyPair, KeyType
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.report import UNCONFIRMED
from tests.factories import (
    DEFINITION,
    ORG,
    composite_award,
    loopback_tls,
)
from tests.interop.node import CACHE, JS, Harness, Instance

pytestmark = pytest.mark.slow

OLD_AWARD = JS.parents[1] / "data" / "cairn" / "award-cairn-context-v1-bea-shift-team-leadership.json"


def _award(instance: Instance) -> dict[str, Any]:
    issuing = instance.container.issuing
    result = issuing.award(DEFINITION, Recipient(email="anna@example.org", name="Anna Nowak"), actor="t", grade="4.5")
    credential = issuing.get(result.award_id, organisation=ORG).credential
    assert isinstance(credential, dict)
    return credential


def test_cairn_awards_verify_in_digital_bazaar_and_dcc_with_their_own_contexts_only(
    harness_folder: Path, cairn: Instance, tmp_path: Path
) -> None:
    award = _award(cairn)
    assert award["@context"] == [VC2_CONTEXT, OB3_CONTEXT]
    assert award["issuer"]["id"].startswith("did:web:127.0.0.1%3A")
    path = tmp_path / "award.json"
    path.write_text(json.dumps(award), encoding="utf-8")
    harness = Harness(harness_folder, cairn.tls[0])
    result = harness.run("verify", str(path))
    assert result["digitalbazaar"]["verified"] is True, result
    assert result["digitalbazaar"] == {"verified": True, "status": result["digitalbazaar"]["status"], "errors": []}
    assert result["dcc"]["errors"] == []
    assert result["dcc"]["log"]["valid_signature"] is True
    assert result["dcc"]["log"]["expiration"] is True
    assert result["dcc"]["log"].get("revocation_status") is True  # Cairn's award carries its status entries
    # nothing but the OB 3.0 JSON Schema (verifier-core's optional schema check) was asked of the network
    assert {u for u in result["blocked"] if "/schema/" not in u} == set()
    tampered = dict(award, name="Changed after signing")
    path.write_text(json.dumps(tampered), encoding="utf-8")
    again = harness.run("verify", str(path))
    assert again["digitalbazaar"]["verified"] is False
    assert again["dcc"]["log"].get("valid_signature") is not True
    # what awards were before issue #12: their private context is nowhere these verifiers look
    old = harness.run("verify", str(OLD_AWARD))
    assert old["digitalbazaar"]["verified"] is False
    assert old["dcc"]["log"].get("valid_signature") is not True
    assert CAIRN_CONTEXT in old["blocked"]


def test_a_composite_credential_verifies_in_digital_bazaar_and_dcc_with_their_own_contexts_only(
    harness_folder: Path, tmp_path: Path
) -> None:
    """The OB 3.0 form of a composite (issue #15): its evidence, relatedResource digests and pathway alignment use
    only terms of the contexts these verifiers bundle. Signed by a did:key, so no Cairn instance is needed."""
    composite = composite_award()
    assert composite["@context"] == [VC2_CONTEXT, OB3_CONTEXT]
    assert composite["relatedResource"]
    path = tmp_path / "composite.json"
    path.write_text(json.dumps(composite), encoding="utf-8")
    harness = Harness(harness_folder, loopback_tls(tmp_path / "tls")[0])
    result = harness.run("verify", str(path))
    assert result["digitalbazaar"] == {"verified": True, "status": None, "errors": []}, result
    assert result["dcc"]["errors"] == []
    assert result["dcc"]["log"]["valid_signature"] is True
    assert {u for u in result["blocked"] if "/schema/" not in u} == set()
    swapped = json.loads(json.dumps(composite))  # a component's digest changed after signing
    swapped["relatedResource"][0]["digestSRI"] = swapped["relatedResource"][1]["digestSRI"]
    path.write_text(json.dumps(swapped), encoding="utf-8")
    again = harness.run("verify", str(path))
    assert again["digitalbazaar"]["verified"] is False
    assert again["dcc"]["log"].get("valid_signature") is not True


def test_a_recognition_decision_verifies_in_digital_bazaar_and_dcc_with_their_own_contexts_only(
    harness_folder: Path, tmp_path: Path
) -> None:
    """The decision credential of issue #16 (what was recognised, for what, by whom, under which rules, the counted
    credentials pinned by digest) uses only terms of the VC 2.0 and OB 3.0 contexts these verifiers bundle."""
    key = KeyPair.from_secret(KeyType.ED25519, bytes(range(40, 72)))
    issuer = {"id": did_key(key.public), "type": ["Profile"], "name": "Wydział Informatyki (demo)"}
    counted = [Counted("urn:uuid:6b1b0d0e-2f43-4c9e-9d3a-1f0e6c0b7a11", "Data analysis with Python", "UMW", "sha384-x")]
    decision = decision_credential(
        credential_id="urn:uuid:0c5f6a0a-8a47-4b57-9a43-8f7cf5b1d2e3",
        issuer=issuer,
        holder="did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        decision="partial",
        ects=2,
        full_ects=3,
        course_id="wi-data-analysis",
        course_title="Data analysis",
        course_url="https://cairn.example/recognition/courses/wi-data-analysis",
        rules_id="wi-data-analysis-micro",
        rules_version=1,
        rules_title="Micro-credentials towards Data analysis",
        rules_url="https://cairn.example/recognition/rules/wi-data-analysis-micro/versions/1",
        counted=counted,
        issued=datetime(2026, 12, 6, 12, 0, tzinfo=UTC),
        differences=["the learning outcomes cover 70% of the course's skills"],
    )
    assert decision["@context"] == [VC2_CONTEXT, OB3_CONTEXT]
    signed = issue(decision, key=key, suite="eddsa-rdfc-2022", created="2026-12-06T12:00:00Z")
    path = tmp_path / "decision.json"
    path.write_text(json.dumps(signed), encoding="utf-8")
    harness = Harness(harness_folder, loopback_tls(tmp_path / "tls")[0])
    result = harness.run("verify", str(path))
    assert result["digitalbazaar"] == {"verified": True, "status": None, "errors": []}, result
    assert result["dcc"]["errors"] == []
    assert result["dcc"]["log"]["valid_signature"] is True
    assert {u for u in result["blocked"] if "/schema/" not in u} == set()
    assert isinstance(signed, dict)
    signed["credentialSubject"]["creditsEarned"] = 3  # more ECTS than were recognised: the signature breaks
    path.write_text(json.dumps(signed), encoding="utf-8")
    assert harness.run("verify", str(path))["digitalbazaar"]["verified"] is False


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def status_server(cairn: Instance, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback serving the folder it returns (the JavaScript issuer's status list)."""
    folder = tmp_path / "served"
    folder.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cairn.tls[1]), str(cairn.tls[2]))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}", folder
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_digital_bazaar_credentials_verify_in_cairn_and_a_revoked_one_does_not(
    harness_folder: Path, cairn: Instance, status_server: tuple[str, Path], tmp_path: Path
) -> None:
    base, served = status_server
    list_url = f"{base}/status-list.json"
    out = tmp_path / "issued"
    out.mkdir()
    Harness(harness_folder, cairn.tls[0]).run("issue", list_url, str(out))
    shutil.copyfile(out / "status-list.json", served / "status-list.json")
    with httpx.Client(verify=ssl.create_default_context(cafile=cairn.tls[0]), timeout=30) as client:

        def verify(name: str) -> httpx.Response:
            credential = json.loads((out / name).read_text(encoding="utf-8"))
            return client.post(f"{cairn.url}/credentials/verify", json={"verifiableCredential": credential})

        plain = verify("plain.json")
        assert plain.status_code == 200, plain.text
        assert "proof" in plain.json()["checks_passed"]
        revoked = verify("revoked.json")
        assert revoked.status_code == 400, revoked.text
        body = revoked.json()
        assert "proof" in body["checks_passed"]
        assert [e["check"] for e in body["errors"]] == ["status"]
        assert "revoked" in body["errors"][0]["reason"].lower()


OPENBADGESLIB = ("openbadgeslib==4.6.3", "PyJWT==2.10.1", "pypng==0.20220715.0", "defusedxml==0.7.1")
"""openbadgeslib and the dependencies Cairn's environment lacks (it brings its own cryptography and pyld)."""


@pytest.fixture(scope="module")
def openbadgeslib_path() -> Iterator[Path]:
    """openbadgeslib from PyPI, installed once beside Cairn's environment (never into it), or skip saying why."""
    folder = CACHE / ("py-" + hashlib.sha256(" ".join(OPENBADGESLIB).encode()).hexdigest()[:16])
    if not (folder / ".installed").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(folder)]
        try:
            done = subprocess.run([*command, *OPENBADGESLIB], capture_output=True, text=True, timeout=300, check=False)
        except subprocess.TimeoutExpired:
            pytest.skip("pip could not install openbadgeslib within 300 s (is the package index reachable?)")
        if done.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip(f"pip could not install openbadgeslib (is the package index reachable?): {done.stderr[-400:]}")
        (folder / ".installed").write_text("ok\n", encoding="utf-8")
    sys.path.insert(0, str(folder))
    try:
        yield folder
    finally:
        sys.path.remove(str(folder))


def test_openbadgeslib_verifies_a_cairn_award(openbadgeslib_path: Path, cairn: Instance) -> None:
    from openbadgeslib.ob3.ldp import OB3LdpVerifier  # type: ignore[import-not-found]

    award = _award(cairn)
    with httpx.Client(verify=ssl.create_default_context(cafile=cairn.tls[0]), timeout=30) as client:

        def download(url: str, *args: Any, **kwargs: Any) -> bytes:
            assert url.startswith(cairn.url), url  # the DID document: nothing else
            return client.get(url).raise_for_status().content

        verifier = OB3LdpVerifier.for_issuer_did(award["issuer"]["id"])
        # check_status=False: openbadgeslib 4.6.3 reads only status lists secured as JWT-VC, and Cairn's are
        # Data Integrity credentials ("is not a signed JWT-VC, so its proof cannot be verified")
        verified = verifier.verify(award, check_status=False, download=download)
        assert verified is not None
        tampered = dict(award, name="Changed after signing")
        with pytest.raises(Exception, match=r"(?i)proof|signature|verif"):
            OB3LdpVerifier.for_issuer_did(award["issuer"]["id"]).verify(tampered, download=download)


@dataclass
class Issued:
    """Two badges openbadgeslib issued, as their holders got them: baked into an SVG, and the credential in it (the
    compact JWT-VC, or the JSON with its Data Integrity proof). The issuer has revoked the second."""

    valid: str | dict[str, Any]
    revoked: str | dict[str, Any]
    valid_image: bytes
    revoked_image: bytes


def _openbadgeslib_issues(
    home: Path, publish_url: str, published: Path, *, key_type: str, proof_format: str, did: str | None
) -> Issued:
    """What an openbadgeslib issuer does, through the library calls its command-line tools make: a config like its
    config.ini.example (a revocable badge, with the revocation and suspension lists that file suggests), a key pair
    (openbadges-keygenerator), a badge for Anna and one for Ben (openbadges-signer, ``issue_from_conf``), then
    Ben's revoked (openbadges-publish --revoke, ``publish_ob3``), which writes into ``published`` what is served at
    ``publish_url``: the issuer's did:web document and each status list, a JWT-VC signed by the badge's key."""
    from openbadgeslib import baking  # type: ignore[import-not-found]
    from openbadgeslib.issue import issue_from_conf  # type: ignore[import-not-found]
    from openbadgeslib.keys import KeyFactory, KeyType  # type: ignore[import-not-found]
    from openbadgeslib.ob3 import publish_ob3  # type: ignore[import-not-found]

    for name in ("keys", "images", "status", "log"):
        (home / name).mkdir(parents=True)
    (home / "images" / "badge.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64"><circle cx="32" cy="32" r="30"/></svg>',
        encoding="utf-8",
    )
    private, public = KeyFactory(KeyType[key_type]).generate_keypair()
    (home / "keys" / "sign_key_1.pem").write_bytes(private)
    (home / "keys" / "verify_key_1.pem").write_bytes(public)
    conf = configparser.ConfigParser(interpolation=configparser.ExtendedInterpolation())
    paths = {"base": str(home), "base_key": "${base}/keys", "base_image": "${base}/images"}
    issuer = {"name": "Escola Exemplo", "url": publish_url, "email": "badges@example.org", "publish_url": publish_url}
    conf.read_dict(
        {
            "paths": {**paths, "base_status": "${base}/status", "base_log": "${base}/log"},
            "issuer": {**issuer, **({"did": did} if did else {})},
            "badge_1": {
                "name": "Data stewardship",
                "description": "Looks after research data",
                "criteria_narrative": "Passed the data stewardship exam",
                "local_image": "badge.svg",
                "image": f"{publish_url}badge_1/badge.svg",
                "badge": f"{publish_url}badge_1/badge.json",
                "private_key": "${paths:base_key}/sign_key_1.pem",
                "public_key": "${paths:base_key}/verify_key_1.pem",
                "key_type": key_type,
                "proof_format": proof_format,
                "status_lists": "revocation, suspension",
                "status_validity_days": "7",
            },
        }
    )
    anna = issue_from_conf(conf, "badge_1", "anna@example.org")
    ben = issue_from_conf(conf, "badge_1", "ben@example.org")
    done = publish_ob3(conf, str(published), revoke=ben.jti)
    assert done.status_operation is not None
    assert done.status_operation.verb == "REVOKED"
    assert {"badge_1/revocation.jwt", "badge_1/suspension.jwt"} <= set(done.files_written)

    def unbaked(image: bytes) -> str | dict[str, Any]:
        text = baking.extract_svg(image, element=baking.SVG_ELEMENT_OB3, text_fallback=True)
        assert isinstance(text, str)
        if proof_format == "vc-jwt":
            return text
        credential: dict[str, Any] = json.loads(text)
        return credential

    return Issued(unbaked(anna.badge_bytes), unbaked(ben.badge_bytes), anna.badge_bytes, ben.badge_bytes)


def _verdict(html: str) -> str:
    start = html.index('<h2 id="verdict"')
    return html[html.index(">", start) + 1 : html.index("</h2>", start)].strip()


@pytest.mark.parametrize(
    ("key_type", "proof_format", "did"),
    [
        pytest.param("RSA", "vc-jwt", None, id="jwt-rsa-url-issuer"),  # config.ini.example: RSA, issuer = publish_url
        pytest.param("ECC", "vc-jwt", "auto", id="jwt-p256-did-web"),
        pytest.param("ED25519", "ldp", "auto", id="data-integrity-ed25519-did-web"),
    ],
)
def test_openbadgeslib_badges_verify_in_cairn_and_a_revoked_one_is_revoked(
    openbadgeslib_path: Path,
    cairn: Instance,
    status_server: tuple[str, Path],
    tmp_path: Path,
    key_type: str,
    proof_format: str,
    did: str | None,
) -> None:
    base, served = status_server
    issued = _openbadgeslib_issues(
        tmp_path / "openbadges",
        f"{base}/issuer/",
        served / "issuer",
        key_type=key_type,
        proof_format=proof_format,
        did=did,
    )
    revocation_list = (served / "issuer" / "badge_1" / "revocation.jwt").read_text(encoding="ascii")
    assert is_compact_jws(revocation_list)  # the list is a JWT
    with httpx.Client(verify=ssl.create_default_context(cafile=cairn.tls[0]), timeout=30) as client:

        def verify(credential: str | dict[str, Any]) -> dict[str, Any]:
            answer = client.post(f"{cairn.url}/credentials/verify", json={"verifiableCredential": credential})
            assert answer.status_code in (200, 400), answer.text
            body: dict[str, Any] = answer.json()
            assert answer.status_code == (200 if body["verified"] else 400)
            return body

        def page(image: bytes) -> str:  # the holder uploads the baked badge to the verify page
            answer = client.post(f"{cairn.url}/verify", files={"file": ("badge.svg", image, "image/svg+xml")})
            assert answer.status_code == 200, answer.text
            return answer.text

        def statuses(body: dict[str, Any]) -> list[tuple[str, str, bool]]:
            found = [c for c in body["checks"] if c["check"] == "status"]
            return [(c["outcome"], c["reason"], bool(c.get("undetermined"))) for c in found]

        valid = verify(issued.valid)
        assert valid["verified"] is True, valid
        assert valid["format"] == ("ob3-jwt" if proof_format == "vc-jwt" else "vc-data-integrity")
        assert {"proof", "status"} <= set(valid["checks_passed"]), valid
        assert statuses(valid) == [("pass", "not revoked", False), ("pass", "not suspended", False)]
        revoked = verify(issued.revoked)
        assert revoked["verified"] is False
        assert revoked["verdict"] == "Not verified", revoked
        assert "proof" in revoked["checks_passed"], revoked
        assert [e["check"] for e in revoked["errors"]] == ["status"], revoked
        assert statuses(revoked) == [
            ("fail", "the issuer has revoked this credential", False),  # revoked, not "cannot confirm"
            ("pass", "not suspended", False),
        ]

        shown = page(issued.valid_image)
        assert _verdict(shown) == valid["verdict"]
        assert _verdict(shown) not in ("Not verified", UNCONFIRMED)
        shown = page(issued.revoked_image)
        assert _verdict(shown) == "Not verified"
        assert "the issuer has revoked this credential" in shown
        assert UNCONFIRMED.lower() not in shown.lower()
