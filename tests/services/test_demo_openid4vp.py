"""The demo employer's open OpenID4VP request (issue #17 point 3): made by prepare_demo, the same one while it is
open (idempotent), a fresh one after it expired; and the demo learner's wallet can answer it."""

from __future__ import annotations

from cairn.bootstrap import build, demo_catalog_path
from cairn.services.demo.instance import DEMO_EMPLOYER, DEMO_LEARNER_EMAIL
from cairn.services.demo.openid4vp import DEMO_REQUEST
from cairn.services.demo.setup import prepare_demo
from cairn.services.openid4vp.verifier import REQUEST_LIFETIME
from cairn.settings import Settings
from cairn.store.database import Database
from tests.factories import FixedClock


def test_the_demo_employer_has_one_open_request_the_demo_learner_can_answer(
    database: Database, clock: FixedClock
) -> None:
    settings = Settings(database_url="sqlite://", secret_key="d" * 48, base_url="http://127.0.0.1:8000")
    container = build(settings, clock=clock, database=database)
    ready = prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=None, esco=False)
    assert any("Demo OpenID4VP request" in line for line in ready.lines), ready.lines
    [made] = container.presentation_requests.list(DEMO_EMPLOYER)
    assert made.name == DEMO_REQUEST
    assert made.status == "open"
    prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=None, esco=False)
    assert [r.id for r in container.presentation_requests.list(DEMO_EMPLOYER)] == [made.id]

    learner = container.accounts.find_account(DEMO_LEARNER_EMAIL)
    assert learner is not None
    incoming = container.wallet_answers.read(made.link)
    found = container.wallet_answers.candidates(learner.id, incoming)
    assert found["learning_credential"]  # the university's EQF 6 micro-credentials answer it

    clock.advance(seconds=REQUEST_LIFETIME.total_seconds())
    prepare_demo(container, catalogue_path=demo_catalog_path(), demo_token=None, esco=False)
    states = sorted(r.status for r in container.presentation_requests.list(DEMO_EMPLOYER))
    assert states == ["expired", "open"]
