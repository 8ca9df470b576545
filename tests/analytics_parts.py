"""A small hand-made data set for the analytics tests, with answers that can be counted by hand.

Two organisations: ``uni-a`` (university, PL-14) and ``train-b`` (company, PL-12). Definitions:

- ``d1`` of uni-a: ISCED-F 0613 (broad 06), EQF 6, PRK 6, 5 ECTS (band 3-5.9), Polish, online;
- ``d2`` of uni-a: ISCED-F 0411 (broad 04), EQF 5, 2 ECTS (band 1-2.9), English, blended;
- ``d3`` of train-b: ISCED-F 0613, EQF 4, no ECTS, Polish, in-person.

Awards (learner ``Ln``):

- d1, January 2026: L1..L8 (8 awards); claimed: L1 after 1 day, L2 after 3, L3 after 5, L4 after 10;
- d1, February 2026: L9..L12 (4 awards); claimed: L9 after 2 days; L12's award revoked;
- d2, January 2026: L1..L5 (5 awards, the same learners as d1's first five); claimed: L1 after 4 days;
- d3, February 2026: L20, L21 (2 awards); none claimed.

Totals: 19 awards, 14 learners (L1..L12, L20, L21), 6 claimed, median days to claim 3.5 (1, 2, 3, 4, 5, 10), 1 revoked.
Skills: d1 -> digital skill S1 and skill S2 (no collection), d2 -> S1, d3 -> green skill S3.
Share links: 3 of uni-a's d1 awards (January, views 2, 0, 5), 1 of a credential from elsewhere (March, 1 view).
Pathways (of uni-a): 4 starts in January, 2 completed after 10 and 20 days.
Recognition applications to uni-a: 5 in February: full (automatic, 0 days), partial (3 days), refused (6 days),
full (1 day), one still in review.
The wallet holding the three shared awards (award-000..002, of d1 in January) belongs to a learner who gave their
characteristics with consent: 25-34, female, ISCED 6, employed, living in Germany (DE): 3 awards to a learner from
abroad. Nobody else consented.
Verification counts: January, API, a German company verifying uni-a's d1, 7 verified; February, web, anonymous,
uni-a's d1, 5 verified; February, web, anonymous, someone else's credential from France, 2 not verified; February,
API, a Polish university verifying uni-a's d2, 3 verified. Total 17; both countries known for 10, of which 7 cross
a border.
Job-ad demand: S1 found in 4 ads in January and 2 in February, S3 in 1 in February.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cairn.store.database import Database
from cairn.store.tables import (
    AccountRow,
    AwardRow,
    DefinitionRow,
    DefinitionVersionRow,
    DemandCountRow,
    EscoCollectionRow,
    LearnerProfileRow,
    OrganisationRow,
    PathwayClaimRow,
    PathwayFollowRow,
    PathwayRow,
    RecognitionApplicationRow,
    RecognitionCourseRow,
    RecognitionRulesRow,
    ShareLinkRow,
    VerificationCountRow,
    WalletCredentialRow,
    WalletRow,
)

JAN = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)
MAR = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
S1 = "http://data.europa.eu/esco/skill/s1-digital"
S2 = "http://data.europa.eu/esco/skill/s2-plain"
S3 = "http://data.europa.eu/esco/skill/s3-green"


def _definition(slug: str, isced: str, eqf: int, ects: float | None, language: str, mode: str,
                skills: list[str], nqf: int | None = None) -> dict[str, Any]:  # fmt: skip
    level: dict[str, Any] = {"eqf": eqf}
    if nqf is not None:
        level["nqf"] = {"framework": "PL", "level": nqf}
    return {
        "id": slug,
        "title": {"en": slug.upper()},
        "isced_f": isced,
        "level": level,
        "workload": {"ects": ects} if ects is not None else {"hours": 20},
        "languages": [language],
        "participation": {"mode": mode},
        "learning_outcomes": [{"text": {"en": "outcome"}, "esco_skills": skills}],
    }


def build_dataset(database: Database) -> dict[str, int]:
    """Insert the data set; the organisations' ids by slug."""
    now = datetime(2026, 4, 1, tzinfo=UTC)
    ids: dict[str, int] = {}
    with database.transaction() as s:
        for slug, kind, region in (("uni-a", "university", "PL-14"), ("train-b", "company", "PL-12")):
            document = {"id": slug, "legal_name": {"en": slug.title()}, "region": region}
            organisation = OrganisationRow(
                slug=slug, country="PL", type=kind, created_at=now, updated_at=now, document=document
            )
            s.add(organisation)
            s.flush()
            ids[slug] = organisation.id
        versions: dict[str, int] = {}
        for slug, org, content in (
            ("d1", "uni-a", _definition("d1", "0613", 6, 5.0, "pl", "online", [S1, S2], nqf=6)),
            ("d2", "uni-a", _definition("d2", "0411", 5, 2.0, "en-GB", "blended", [S1])),
            ("d3", "train-b", _definition("d3", "0613", 4, None, "pl", "in-person", [S3])),
        ):
            d = DefinitionRow(slug=slug, organisation_id=ids[org], latest_version=1, created_at=now)
            s.add(d)
            s.flush()
            v = DefinitionVersionRow(definition_id=d.id, version=1, content=content, content_hash=slug * 8,
                                     created_at=now)  # fmt: skip
            s.add(v)
            s.flush()
            versions[slug] = v.id
            ids[f"def:{slug}"] = d.id
        s.add_all([EscoCollectionRow(collection="digital", uri=S1), EscoCollectionRow(collection="green", uri=S3)])
        awards: list[tuple[str, int, datetime, int | None, bool]] = []
        claims = {1: 1, 2: 3, 3: 5, 4: 10}
        awards += [("d1", n, JAN, claims.get(n), False) for n in range(1, 9)]
        awards += [("d1", n, FEB, 2 if n == 9 else None, n == 12) for n in range(9, 13)]
        awards += [("d2", n, JAN, 4 if n == 1 else None, False) for n in range(1, 6)]
        awards += [("d3", n, FEB, None, False) for n in (20, 21)]
        for number, (slug, learner, issued, claim_days, revoked) in enumerate(awards):
            s.add(AwardRow(
                id=f"award-{number:03d}", definition_version_id=versions[slug],
                recipient_key=hashlib.sha256(f"L{learner}".encode()).hexdigest(), issued_at=issued,
                claimed_at=issued + timedelta(days=claim_days) if claim_days is not None else None,
                revoked_at=issued + timedelta(days=30) if revoked else None,
                organisation_id=ids["uni-a" if slug != "d3" else "train-b"],
            ))  # fmt: skip
        account = AccountRow(email="learner@example.org", created_at=now)
        s.add(account)
        s.flush()
        wallet = WalletRow(account_id=account.id, did="did:key:z6Mk", private_key_encrypted=b"x", created_at=now)
        s.add(wallet)
        s.flush()
        for number, (award, created, views) in enumerate(
            (("award-000", JAN, 2), ("award-001", JAN, 0), ("award-002", JAN, 5), (None, MAR, 1))
        ):
            credential = WalletCredentialRow(
                id=f"wc-{number}", wallet_id=wallet.id, content_hash=f"{number:064d}", format="ldp_vc",
                source="test", original="{}", document={}, title="t", status="valid", report={}, checked_at=now,
                added_at=now, tags={}, search_text="", award_id=award,
            )  # fmt: skip
            s.add(credential)
            s.flush()
            s.add(ShareLinkRow(credential_id=credential.id, token_hash=f"{number:064x}", created_at=created,
                               views=views))  # fmt: skip
        s.add(LearnerProfileRow(
            account_id=account.id, age_band="25-34", gender="female", education_level="6",
            employment_status="employed", country="DE", consent_version="2026-12", consent_given_at=now,
        ))  # fmt: skip
        for number, (day, channel, kind, vtype, vcountry, issuer, icountry, definition, verified, count) in enumerate(
            (
                (date(2026, 1, 15), "api", "organisation", "company", "DE", "uni-a", "PL", "d1", True, 7),
                (date(2026, 2, 3), "web", "anonymous", None, None, "uni-a", "PL", "d1", True, 5),
                (date(2026, 2, 3), "web", "anonymous", None, None, None, "FR", None, False, 2),
                (date(2026, 2, 20), "api", "organisation", "university", "PL", "uni-a", "PL", "d2", True, 3),
            )
        ):
            s.add(VerificationCountRow(
                key=f"test-{number}", day=day, channel=channel, verifier_kind=kind, verifier_type=vtype,
                verifier_country=vcountry, issuing_organisation_id=ids[issuer] if issuer else None,
                issuer_country=icountry,
                definition_id=ids[f"def:{definition}"] if definition else None, verified=verified, count=count,
            ))  # fmt: skip
        for month, uri, count in ((date(2026, 1, 1), S1, 4), (date(2026, 2, 1), S1, 2), (date(2026, 2, 1), S3, 1)):
            s.add(DemandCountRow(key=f"{month}|job-ad-skill|{uri}", month=month, kind="job-ad-skill", uri=uri,
                                 count=count))  # fmt: skip
        pathway = PathwayRow(slug="p1", organisation_id=ids["uni-a"], latest_version=1, created_at=now)
        s.add(pathway)
        s.flush()
        for number, done in enumerate((10, 20, None, None)):
            follower = AccountRow(email=f"follower{number}@example.org", created_at=now)
            s.add(follower)
            s.flush()
            w = WalletRow(account_id=follower.id, did=f"did:key:z{number}", private_key_encrypted=b"x", created_at=now)
            s.add(w)
            s.flush()
            s.add(PathwayFollowRow(wallet_id=w.id, pathway_id=pathway.id, created_at=JAN))
            if done is not None:
                s.add(PathwayClaimRow(
                    public_id=f"pc-{number}", pathway_id=pathway.id, version=1, holder="did:key:x",
                    account_id=follower.id, state="awarded", components={}, evaluation={}, created_at=JAN,
                    decided_at=JAN + timedelta(days=done),
                ))  # fmt: skip
        course = RecognitionCourseRow(slug="c1", organisation_id=ids["uni-a"], latest_version=1, created_at=now)
        rules = RecognitionRulesRow(slug="r1", organisation_id=ids["uni-a"], latest_version=1, created_at=now)
        s.add_all([course, rules])
        s.flush()
        for number, (decision, automatic, days) in enumerate(
            (("full", True, 0), ("partial", False, 3), ("refused", False, 6), ("full", False, 1), (None, False, None))
        ):
            s.add(RecognitionApplicationRow(
                public_id=f"ra-{number}", organisation_id=ids["uni-a"], rules_id=rules.id, rules_version=1,
                course_id=course.id, course_version=1, holder="did:key:x", presented={}, assessment={},
                state="decided" if decision else "review", decision=decision, differences={}, messages={},
                automatic=automatic, evidence_key="e" * 64, created_at=FEB, updated_at=FEB,
                decided_at=FEB + timedelta(days=days) if days is not None else None,
            ))  # fmt: skip
    return ids
