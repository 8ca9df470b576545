"""The demo's co-creation: the university writes a draft micro-credential with the employer academy, which has
commented on it (``/orgs/uniwersytet-mazowiecki/catalogue/um-wind-farm-data/review``, and the academy's
``/orgs/baltyk-energia-akademia/shared-drafts``)."""

from __future__ import annotations

from typing import Any, Final

from cairn.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from cairn.model.definitions import DRAFT, MicroCredentialDefinition
from cairn.services.accounts.service import AccountService
from cairn.services.catalog.cocreation import CoCreationService
from cairn.services.catalog.editing import EditingService
from cairn.services.demo.instance import DEMO_EMAIL

__all__ = ["DEMO_DRAFT", "DEMO_DRAFT_LEAD", "DEMO_REVIEWER", "seed_cocreation"]

DEMO_DRAFT: Final = "um-wind-farm-data"
DEMO_DRAFT_LEAD: Final = "uniwersytet-mazowiecki"
DEMO_REVIEWER: Final = "baltyk-energia-akademia"
DEMO_COMMENT: Final = (
    "Prosimy o dodanie pracy z danymi SCADA z turbin: nasi inżynierowie analizują je codziennie. "
    "Chętnie udostępnimy zanonimizowany zbiór danych do projektu końcowego."
)
"""The academy's comment (Polish: the employer writes in its own language)."""

_DOCUMENT: Final[dict[str, Any]] = {
    "id": DEMO_DRAFT,
    "title": {"en": "Data analysis for wind farm operations", "pl": "Analiza danych w eksploatacji farm wiatrowych"},
    "awarding_bodies": [DEMO_DRAFT_LEAD],
    "description": {
        "en": "Turn the measurements of wind turbines into maintenance decisions, with Python and statistics.",
        "pl": "Przekształcanie pomiarów z turbin wiatrowych w decyzje serwisowe, z użyciem Pythona i statystyki.",
    },
    "learning_outcomes": [
        {
            "text": {
                "en": "Load, clean and join turbine sensor data with Python.",
                "pl": "Wczytuje, czyści i łączy dane z czujników turbin w Pythonie.",
            },
            "esco_skills": ["http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"],
        },
        {
            "text": {
                "en": "Find anomalies in power curves and explain their likely causes.",
                "pl": "Wykrywa anomalie w krzywych mocy i wyjaśnia ich prawdopodobne przyczyny.",
            },
            "esco_skills": ["http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f"],
        },
    ],
    "workload": {"ects": 3, "hours": 75},
    "level": {"eqf": 6, "qf_ehea": "first"},
    "assessment": {"types": ["project"]},
    "participation": {"mode": "blended"},
    "quality_assurance": {"types": ["internal"]},
}


def seed_cocreation(*, editing: EditingService, cocreation: CoCreationService, accounts: AccountService) -> bool:
    """The university's draft :data:`DEMO_DRAFT`, shared with :data:`DEMO_REVIEWER`, which left a comment;
    idempotent. False when there is nothing to do (no demo account, a share made already, the draft published)."""
    account = accounts.find_account(DEMO_EMAIL)
    if account is None:
        return False
    try:
        lead = accounts.access(account=account, organisation=DEMO_DRAFT_LEAD, min_role="issuer")
        reviewer = accounts.access(account=account, organisation=DEMO_REVIEWER, min_role="viewer")
        if DEMO_DRAFT not in {i.entry.definition.id for i in editing.catalogue(DEMO_DRAFT_LEAD)}:
            draft = MicroCredentialDefinition.model_validate(_DOCUMENT)
            editing.save(organisation=DEMO_DRAFT_LEAD, definition=draft, actor="demo", create=True, state=DRAFT)
        if cocreation.shares(lead, DEMO_DRAFT):
            return False
        shared = cocreation.share(lead, DEMO_DRAFT, DEMO_REVIEWER, actor="demo")
        cocreation.comment(reviewer, shared.id, DEMO_COMMENT, actor="demo", author_name="Anna Zielińska (demo)")
    except (NotFoundError, ConflictError, InputError, PermissionDeniedError):
        return False
    return True
