"""Fuzzing the verifier's doors: VC-API, the /verify page and its JSON twin, and batch verification.

Hypothesis runs derandomised with a modest number of examples; every answer must be a report or a 4xx error,
never a 500, never a hang (no answer may wait: :data:`tests.helpers.MAX_WALL_SECONDS`), and no fetch may reach a
private address. How much CPU time one answer may cost is measured by ``bench/verify_hostile.py``.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import zipfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import hostile
from tests.helpers import Fuzzed

FUZZ = settings(
    max_examples=25, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25,
)
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _b64(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()


jwt_like = st.one_of(
    st.lists(st.text(alphabet=_B64, max_size=40), min_size=2, max_size=4).map(".".join),
    st.tuples(
        st.fixed_dictionaries(
            {"alg": st.sampled_from(["none", "None", "EdDSA", "ES256", "HS256", ""])},
            optional={"kid": st.text(max_size=40)},
        ),
        json_values,
        st.text(alphabet=_B64, max_size=20),
    ).map(lambda t: f"{_b64(t[0])}.{_b64(t[1])}.{t[2]}"),
)
hostile_urls = st.one_of(
    st.sampled_from(
        [
            "https://127.0.0.1/x",
            "https://localhost/x",
            "https://[::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://169.254.169.254/latest/meta-data",
            "https://metadata.google.internal/",
            "https://10.0.0.1:8443/credential.json",
            "https://rebind.example/credential.json",
            "http://example.org/credential.json",
            "https://user:pw@example.org/x",
            "gopher://example.org/",
            "https://0x7f000001/x",
            "https://2130706433/x",
        ]
    ),
    st.text(max_size=60).map(lambda t: "https://" + t),
)
paths = st.lists(
    st.sampled_from(
        [
            "credentialSubject",
            "achievement",
            "issuer",
            "proof",
            "id",
            "type",
            "@context",
            "validFrom",
            "credentialStatus",
            "identifier",
            "name",
        ]
    ),
    min_size=1,
    max_size=3,
)


def _mutate(credential: dict[str, Any], path: list[str], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(credential)
    node: Any = out
    for key in path[:-1]:
        child = node.get(key) if isinstance(node, dict) else None
        if not isinstance(child, dict):
            break
        node = child
    if isinstance(node, dict):
        node[path[-1]] = value
    return out


@FUZZ
@given(value=json_values | jwt_like)
def test_vc_api_verify(fuzzed: Fuzzed, value: Any) -> None:
    fuzzed.post("/credentials/verify", json={"verifiableCredential": value})
    fuzzed.post("/presentations/verify", json={"verifiablePresentation": value, "options": {"challenge": "c"}})


@FUZZ
@given(path=paths, value=json_values)
def test_vc_api_mutated_credentials(fuzzed: Fuzzed, path: list[str], value: Any) -> None:
    answer = fuzzed.post("/credentials/verify", json={"verifiableCredential": _mutate(fuzzed.credential, path, value)})
    assert answer.status_code in (200, 400)


@FUZZ
@given(body=st.binary(max_size=300))
def test_vc_api_raw_bodies(fuzzed: Fuzzed, body: bytes) -> None:
    fuzzed.post("/credentials/verify", content=body, headers={"content-type": "application/json"})


@FUZZ
@given(text=st.text(max_size=200) | jwt_like | json_values.map(json.dumps), email=st.text(max_size=40))
def test_verify_page_text(fuzzed: Fuzzed, text: str, email: str) -> None:
    fuzzed.post("/verify", data={"text": text, "email": email})
    fuzzed.post("/verify/report", data={"text": text, "email": email})


@FUZZ
@given(data=st.binary(max_size=500), name=st.sampled_from(["a.json", "a.png", "a.svg", "a.pdf", "a.jwt", "a"]))
def test_verify_page_files(fuzzed: Fuzzed, data: bytes, name: str) -> None:
    fuzzed.post("/verify", files={"file": (name, data)})
    fuzzed.post("/verify/report", files={"file": (name, data)})


@FUZZ
@given(url=hostile_urls)
def test_verify_page_urls_never_reach_private_addresses(fuzzed: Fuzzed, url: str) -> None:
    fuzzed.post("/verify", data={"url": url})
    fuzzed.post("/verify/report", data={"url": url})


@FUZZ
@given(
    files=st.dictionaries(
        st.text(min_size=1, max_size=20),
        st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode()),
        max_size=4,
    ),
    urls=st.lists(hostile_urls, max_size=4),
)
def test_batch(fuzzed: Fuzzed, files: dict[str, bytes], urls: list[str]) -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    fuzzed.post("/verify/batch", files={"file": ("b.zip", archive.getvalue())})
    fuzzed.post("/api/v1/verify/batch", data={"urls": "\n".join(urls)})
    fuzzed.post("/api/v1/verify/batch", files={"file": ("u.csv", "\n".join(["url", *urls]).encode())})


@pytest.mark.parametrize("name", sorted(hostile.CORPUS))
def test_the_hostile_corpus(fuzzed: Fuzzed, name: str) -> None:
    data = hostile.CORPUS[name]()
    suffix = name.split("_", 1)[0]
    filename = f"hostile.{ {'png': 'png', 'svg': 'svg', 'pdf': 'pdf', 'zip': 'zip', 'jwt': 'jwt'}.get(suffix, 'json') }"
    for path in ("/verify", "/verify/report", "/verify/batch", "/api/v1/verify/batch"):
        answer = fuzzed.post(path, files={"file": (filename, data)})
        if path.endswith("/report"):
            assert answer.status_code == 400  # never verified
    if len(data) < 1_500_000:
        text = data.decode("utf-8", "replace")
        answer = fuzzed.post("/credentials/verify", json={"verifiableCredential": text})
        assert answer.status_code == 400


def test_the_spy_refuses_private_targets_and_never_connects(fuzzed: Fuzzed) -> None:
    before = len(fuzzed.spy.connections)
    refused = fuzzed.post("/verify/report", data={"url": "https://rebind.example/badge.json"})
    assert "non-public address" in refused.json()["error"]
    assert len(fuzzed.spy.connections) == before
    public = fuzzed.post("/verify/report", data={"url": "https://badges.example/badge.json"})
    assert "no network in tests" in public.json()["error"]
    assert fuzzed.spy.connections[-1] == ("badges.example", ["93.184.215.14"])
    assert "https://rebind.example/badge.json" in fuzzed.spy.attempts
