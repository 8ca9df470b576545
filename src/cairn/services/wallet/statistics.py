"""A learner's answers for aggregate statistics (issue 18), given only with their consent on ``/wallet/statistics``.

The answers (age band, gender, education level, employment status, country and region) feed statistics for
policy makers: counts over many learners, never shown one by one, and groups too small to hide a person suppressed
(the analytics engine's rule). Each answer may be "not said". Consent is given with the answers, and the text
consented to is recorded by its version (:data:`CONSENT_VERSION`) and time; changing the answers renews it;
withdrawing deletes the row at once, and so does erasing the account.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pycountry

from cairn.errors import InputError
from cairn.store.counts import LearnerProfileRepository
from cairn.store.database import Database

__all__ = [
    "AGE_BANDS",
    "CONSENT_VERSION",
    "EDUCATION_LEVELS",
    "EMPLOYMENT",
    "GENDERS",
    "NOT_SAID",
    "LearnerAnswers",
    "LearnerStatistics",
]

CONSENT_VERSION: Final = "2026-12"
"""The version of the consent text the page shows; change it (and the text) together."""
NOT_SAID: Final = "not-said"
AGE_BANDS: Final = ("15-24", "25-34", "35-44", "45-54", "55-64", "65+", NOT_SAID)
GENDERS: Final = ("female", "male", "other", NOT_SAID)
EDUCATION_LEVELS: Final = ("0", "1", "2", "3", "4", "5", "6", "7", "8", NOT_SAID)
"""ISCED 2011 levels 0 (early childhood) to 8 (doctoral)."""
EMPLOYMENT: Final = ("employed", "self-employed", "unemployed", "student", "inactive", NOT_SAID)


@dataclass(frozen=True, slots=True)
class LearnerAnswers:
    """What a learner answered, and when they consented to which text."""

    age_band: str
    gender: str
    education_level: str
    employment_status: str
    country: str | None
    region: str | None
    consent_version: str = CONSENT_VERSION
    consent_given_at: datetime | None = None


CHOOSE: Final = "choose one of the answers offered (or that you prefer not to say)"


def _choice(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError(CHOOSE)
    return value


def checked(answers: LearnerAnswers) -> LearnerAnswers:
    """``answers`` when every one is among those offered (InputError otherwise); country and region as codes."""
    country = (answers.country or "").strip().upper() or None
    region = (answers.region or "").strip().upper() or None
    if country is not None and pycountry.countries.get(alpha_2=country) is None:
        raise InputError("choose a country from the list")
    if region is not None:
        sub = pycountry.subdivisions.get(code=region)  # type: ignore[no-untyped-call]
        if sub is None or country is None or sub.country_code != country:
            raise InputError("give the region as an ISO 3166-2 code of the country chosen (for example PL-14)")
    return LearnerAnswers(
        age_band=_choice(answers.age_band, AGE_BANDS),
        gender=_choice(answers.gender, GENDERS),
        education_level=_choice(answers.education_level, EDUCATION_LEVELS),
        employment_status=_choice(answers.employment_status, EMPLOYMENT),
        country=country,
        region=region,
    )


class LearnerStatistics:
    """Give, change and withdraw consent to one's answers being counted."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self.database = database
        self.clock = clock

    def answers(self, account_id: int) -> LearnerAnswers | None:
        """The account's answers; None when it has not consented (or withdrew)."""
        with self.database.transaction(read_only=True) as session:
            row = LearnerProfileRepository(session).get(account_id)
            if row is None:
                return None
            return LearnerAnswers(
                row.age_band,
                row.gender,
                row.education_level,
                row.employment_status,
                row.country,
                row.region,
                row.consent_version,
                row.consent_given_at,
            )

    def consent(self, account_id: int, answers: LearnerAnswers) -> LearnerAnswers:
        """Store ``answers`` with consent to the current text, now (replacing earlier answers)."""
        good = checked(answers)
        values: Mapping[str, object] = {
            "age_band": good.age_band,
            "gender": good.gender,
            "education_level": good.education_level,
            "employment_status": good.employment_status,
            "country": good.country,
            "region": good.region,
            "consent_version": CONSENT_VERSION,
            "consent_given_at": self.clock(),
        }
        with self.database.transaction() as session:
            LearnerProfileRepository(session).save(account_id, values)
        found = self.answers(account_id)
        assert found is not None
        return found

    def withdraw(self, account_id: int) -> bool:
        """Delete the account's answers at once; whether there were any."""
        with self.database.transaction() as session:
            return LearnerProfileRepository(session).delete(account_id)
