"""Bad input never reaches a 500 (issue #12, point 7): text that is not Unicode, numbers beyond any row.

A lone surrogate (``"\\ud800"``) is valid JSON that Python parses and nothing can write out again; every JSON
body holding one answers 400 in the one error shape, and a file holding one is refused by the reader with a reason.
Integer path parameters beyond any stored row answer 404 or 422, never a database overflow.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cairn.bootstrap import Container, build, demo_catalog_path
from cairn.errors import CredentialError
from cairn.services.demo.instance import DEMO_EMAIL, DEMO_LEARNER_EMAIL, DEMO_PASSWORD
from cairn.services.demo.setup import prepare_demo
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.fetch import loads_json
from cairn.web.app import create_app
from cairn.web.limits import json_body_holds_lone_surrogate
from tests.factories import FixedClock, copy_sqlite
from tests.helpers import sign_in

TOKEN = "cairn_hostile_input_token_0123456789abcdef"
VC2 = "https://www.w3.org/ns/credentials/v2"
HUGE = "9" * 30
LONE = '"bad \\ud800 text"'


@pytest.fixture(scope="module")
def demo(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Container]]:
    """The demo instance (one per module: preparing it takes seconds), served in-process."""
    database = Database(copy_sqlite(sqlite_template, tmp_path_factory.mktemp("hostile") / "cairn.db"))
    clock = FixedClock()
    settings = Settings(database_url="sqlite://", secret_key="h" * 48, base_url="http://127.0.0.1:8000")
    container = build(settings, clock=clock, database=database)
    prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=TOKEN, esco=False)
    with TestClient(create_app(container), follow_redirects=False) as client:
        yield client, container
    database.dispose()


def _credential(name: str) -> str:
    return (
        f'{{"@context":["{VC2}"],"type":["VerifiableCredential"],'
        f'"credentialSubject":{{"id":"did:example:learner","name":{name}}}}}'
    )


JSON_BODIES = {
    "/credentials/issue": f'{{"credential":{_credential(LONE)}}}',
    "/suites/eddsa-jcs-2022/credentials/issue": f'{{"credential":{_credential(LONE)}}}',
    "/credentials/verify": f'{{"verifiableCredential":{_credential(LONE)}}}',
    "/presentations/verify": f'{{"verifiablePresentation":{{"@context":["{VC2}"],"holder":{LONE}}}}}',
    "/credentials/status": (
        f'{{"credentialId":{LONE},"credentialStatus":[{{"statusPurpose":"revocation","status":true}}]}}'
    ),
    "/api/v1/skills/suggest": f'{{"text":{LONE}}}',
    "/api/v1/jobs/analyse": f'{{"text":{LONE}}}',
}


@pytest.mark.parametrize("path", sorted(JSON_BODIES))
def test_a_lone_surrogate_in_any_json_body_is_a_400(demo: tuple[TestClient, Container], path: str) -> None:
    client, _ = demo
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    answer = client.post(path, content=JSON_BODIES[path].encode(), headers=headers)
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["ok"] is False
    assert body["status"] == 400
    assert "not valid Unicode" in body["error"]


def test_escaped_backslashes_and_surrogate_pairs_are_ordinary_text(demo: tuple[TestClient, Container]) -> None:
    client, _ = demo
    for name in ('"a pair \\ud83c\\udf93 is one character"', '"a literal \\\\ud800 is six characters"'):
        body = f'{{"verifiableCredential":{_credential(name)}}}'
        answer = client.post("/credentials/verify", content=body.encode(), headers={"Content-Type": "application/json"})
        assert answer.status_code == 400  # unsigned: not verified, but read
        assert "verified" in answer.json(), answer.text
    assert not json_body_holds_lone_surrogate(b'{"a":"\\\\ud800"}')
    assert not json_body_holds_lone_surrogate(b'{"a":"\\ud83c\\udf93"}')
    assert json_body_holds_lone_surrogate(b'{"\\udfff":1}')  # a member name too
    assert json_body_holds_lone_surrogate(b'["ok", {"deep": ["\\uDBFF"]}]')
    assert not json_body_holds_lone_surrogate(b'{"not json": "\\ud800')  # the route says what is wrong with it


def test_the_strict_reader_refuses_lone_surrogates_with_a_reason() -> None:
    with pytest.raises(CredentialError, match="not valid Unicode"):
        loads_json(b'{"name": "x\\udc00"}', what="credential")
    with pytest.raises(CredentialError, match="not valid Unicode"):
        loads_json('{"name": "raw \ud800 in a Python string"}')
    assert loads_json(b'{"name": "\\ud83c\\udf93"}') == {"name": "\N{GRADUATION CAP}"}
    assert loads_json(b'{"name": "\\\\udc00"}') == {"name": "\\udc00"}


def test_a_file_holding_a_lone_surrogate_is_read_and_refused_on_the_pages(demo: tuple[TestClient, Container]) -> None:
    client, _ = demo
    hostile = json.dumps(
        {
            "@context": [VC2],
            "type": ["VerifiableCredential"],
            "issuer": {"id": "did:example:issuer", "name": "x\udc00"},
            "credentialSubject": {"id": "did:example:\ud800"},
        }
    ).encode()
    page = client.post("/verify", files={"file": ("hostile.json", hostile)})
    assert page.status_code == 200
    assert "not valid Unicode" in page.text
    pasted = client.post("/verify", data={"text": hostile.decode()})
    assert pasted.status_code == 200
    assert "not valid Unicode" in pasted.text
    report = client.post("/verify/report", files={"file": ("hostile.json", hostile)})
    assert report.status_code == 400
    assert report.json()["verified"] is False


def test_numbers_beyond_any_row_in_a_path_are_404_or_422(demo: tuple[TestClient, Container]) -> None:
    client, container = demo
    public = [
        f"/orgs/uniwersytet-mazowiecki/status/revocation/{HUGE}",
        f"/orgs/uniwersytet-mazowiecki/status/suspension/{HUGE}",
        "/orgs/uniwersytet-mazowiecki/status/revocation/-1",
        f"/api/v1/micro-credentials/{_a_definition(container)}?version={HUGE}",
    ]
    for path in public:
        answer = client.get(path)
        assert answer.status_code in (404, 422), (path, answer.status_code, answer.text[:200])

    csrf = sign_in(client, DEMO_EMAIL, DEMO_PASSWORD)
    owner = [
        f"/orgs/uniwersytet-mazowiecki/tokens/{HUGE}/revoke",
        f"/orgs/uniwersytet-mazowiecki/members/{HUGE}/role",
        f"/orgs/uniwersytet-mazowiecki/members/{HUGE}/remove",
    ]
    for path in owner:
        answer = client.post(path, data={"csrf_token": csrf, "role": "viewer"})
        assert answer.status_code in (404, 422), (path, answer.status_code, answer.text[:200])

    csrf = sign_in(client, DEMO_LEARNER_EMAIL, DEMO_PASSWORD)
    held = _a_wallet_credential(client)
    learner: list[tuple[str, dict[str, Any]]] = [
        (f"/wallet/collections/{HUGE}/rename", {"name": "x"}),
        (f"/wallet/collections/{HUGE}/delete", {}),
        (f"/wallet/{held}/share/{HUGE}/revoke", {}),
        (f"/wallet/{held}/collections", {"collection": [HUGE]}),
        (f"/wallet/{uuid.uuid4()}/share/{HUGE}/revoke", {}),
    ]
    for path, data in learner:
        answer = client.post(path, data={"csrf_token": csrf, **data})
        assert answer.status_code in (404, 422), (path, answer.status_code, answer.text[:200])
    assert client.get("/wallet").status_code == 200  # and the wallet still works


def _a_definition(container: Container) -> str:
    entries = container.catalog.entries()
    return entries[0].definition.id


def _a_wallet_credential(client: TestClient) -> str:
    page = client.get("/wallet").text
    marker = 'href="/wallet/'
    for part in page.split(marker)[1:]:
        candidate = part.split('"', 1)[0]
        try:
            return str(uuid.UUID(candidate))
        except ValueError:
            continue
    raise AssertionError("the demo learner's wallet shows no credential")
