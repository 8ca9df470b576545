"""Policy analytics benchmark (issue 18): a synthetic national data set in a throw-away PostgreSQL database, the
full refresh of the analytics snapshot, every audience's dashboard view computed from the snapshot (DuckDB), and
the award panels computed straight on PostgreSQL for comparison; prints JSON lines.

    .venv/bin/python bench/analytics.py [--awards 10000000] [--learners N] [--issuers 500] [--repeat 5] [--keep]

PostgreSQL only: ``--postgres-url`` or ``CAIRN_BENCH_POSTGRES_URL`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``, a server where a database may be created and dropped). The bench
creates ``cairn_bench_analytics_<pid>``, migrates it with Cairn's migrations and drops it at the end (``--keep``
leaves it, and ``--reuse NAME`` measures an existing one again without generating).

The data set (numpy columns sent with ``COPY ... FROM STDIN (FORMAT binary)`` in chunks of ``--chunk`` awards):

- ``--issuers`` organisations (university, VET provider, employer, training platform, public body; the 16 Polish
  voivodeships weighted by population), each with 1 to 30 definitions (about 10) whose content has the facets the
  snapshot reads: ISCED-F field, EQF and PRK level, ECTS or hours, language, mode of delivery, and 2 to 6 ESCO skills
  from the shipped ESCO data (a third from the digital, green and transversal collections, which are loaded);
- ``--awards`` awards over 36 months (more each month) to ``--learners`` recipient keys (default awards / 5) with a
  log-normal number of awards per learner (1 to a few hundred), definitions chosen with a Zipf-like popularity;
  about 40% claimed (each issuer its own claim propensity) after a log-normal delay (median 3 days), 1% revoked.
  The awards' ``credential`` column is NULL: the signed documents are not made (the snapshot never reads them);
- wallets for 10% of the learners (accounts and wallets), their claimed awards as wallet credentials, a share link
  for half of those, pathway follows (half a follow per wallet) of 200 pathways, 30% completed (a pathway claim
  ``awarded``), and recognition applications (one per 200 awards) to 100 issuers, 85% decided;
- verification counts only when a ``verification_counts`` table exists (a note says when it does not).

Lines (``{"bench": "analytics", "what": ..., "seconds": ...}``): the generation, the refresh (each table's export,
the storing in the database, the total: target under 300 s), the snapshot's size, then for each audience of
:data:`cairn.services.analytics.views.VIEWS` the whole view through ``AnalyticsService.table`` (cold: the first
after the snapshot is read; warm: the median of ``--repeat``, the same view asked again, as a page reloaded) and its
slowest panel (target under 1 s a view); the ministry's view once more computed from the fact tables (without the
panels precomputed at export), and
the award panels as GROUP BY SQL on the production tables (cold, and warm when a run takes under 10 s). The load
average is printed first and last: the figures depend on what else the machine runs.
"""

from __future__ import annotations

import argparse
import csv
import json
import lzma
import os
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cairn.errors import InputError
from cairn.services.analytics.engine import Engine, Query
from cairn.services.analytics.indicators import DIMENSIONS, FILTERS, INDICATORS
from cairn.services.analytics.service import AnalyticsService
from cairn.services.analytics.views import AUDIENCES, VIEWS
from cairn.store.database import Database, normalise_url

ESCO = Path(__file__).resolve().parent.parent / "src" / "cairn" / "skills" / "data" / "esco" / "en"
NOW = datetime(2026, 4, 1, tzinfo=UTC)
START = datetime(2023, 4, 1, tzinfo=UTC)
DAY = 86_400
PG_EPOCH = 946_684_800  # 2000-01-01 in Unix seconds: PostgreSQL's binary timestamps count from there
NULL_TS = np.iinfo(np.int64).min
TYPES = (("university", 0.3), ("vet-provider", 0.25), ("employer", 0.2), ("training-platform", 0.15),
         ("public-body", 0.1))  # fmt: skip
REGIONS = (("PL-14", 5.4), ("PL-24", 4.5), ("PL-30", 3.5), ("PL-12", 3.4), ("PL-02", 2.9), ("PL-10", 2.4),
           ("PL-22", 2.3), ("PL-16", 1.0), ("PL-18", 2.1), ("PL-06", 2.1), ("PL-04", 2.1), ("PL-32", 1.7),
           ("PL-28", 1.4), ("PL-20", 1.2), ("PL-26", 1.2), ("PL-08", 1.0))  # fmt: skip
FIELDS = ("0011", "0111", "0211", "0288", "0311", "0314", "0411", "0413", "0416", "0421", "0511", "0541", "0611",
          "0612", "0613", "0688", "0712", "0713", "0715", "0732", "0811", "0912", "0913", "1013", "1015",
          "1041")  # fmt: skip
LANGUAGES = (("pl", 0.75), ("en", 0.2), ("de", 0.03), ("uk", 0.02))
MODES = (("online", 0.45), ("blended", 0.3), ("in-person", 0.25))
JSON_EMPTY = b"\x01{}"  # jsonb's binary form: a version byte, then the text


def emit(what: str, seconds: float | None = None, **extra: Any) -> None:
    line: dict[str, Any] = {"bench": "analytics", "what": what}
    if seconds is not None:
        line["seconds"] = round(seconds, 3)
    line.update(extra)
    print(json.dumps(line), flush=True)


# -- PostgreSQL binary COPY from numpy columns ------------------------------------------------------------------


def fixed(prefix: bytes, numbers: np.ndarray, width: int) -> np.ndarray:
    """``prefix`` then ``numbers`` zero-padded to ``width`` digits, as a numpy bytes array (no Python loop)."""
    shown = min(width, 18)  # int64 holds 18 digits; wider numbers are zero-padded on the left
    digits = (numbers.astype(np.int64)[:, None] // 10 ** np.arange(shown - 1, -1, -1, dtype=np.int64)) % 10
    out = np.full((len(numbers), len(prefix) + width), ord("0"), np.uint8)
    out[:, : len(prefix)] = np.frombuffer(prefix, np.uint8)
    out[:, len(prefix) + width - shown :] = digits + ord("0")
    return out.view(f"S{len(prefix) + width}").reshape(-1)


def hexes(rng: np.random.Generator, count: int, nbytes: int = 32) -> np.ndarray:
    """``count`` random hex strings of ``2 * nbytes`` characters (what a keyed SHA-256 looks like)."""
    raw = rng.integers(0, 256, (count, nbytes), np.uint8)
    alphabet = np.frombuffer(b"0123456789abcdef", np.uint8)
    out = np.empty((count, 2 * nbytes), np.uint8)
    out[:, 0::2], out[:, 1::2] = alphabet[raw >> 4], alphabet[raw & 15]
    return out.view(f"S{2 * nbytes}").reshape(-1)


def constant(value: bytes, count: int) -> np.ndarray:
    return np.full(count, value, dtype=f"S{max(len(value), 1)}")


_WIRE = {"i8": ">i8", "i4": ">i4", "bool": "u1", "ts": ">i8"}


def binary_rows(columns: list[tuple[str, np.ndarray]]) -> bytes:
    """Rows of PostgreSQL's binary COPY format (no header) from typed columns: ``kind`` ``i8``, ``i4``, ``bool``,
    ``ts`` (int64 Unix seconds, :data:`NULL_TS` for NULL) or ``text`` (a bytes array; empty for NULL). Rows are
    grouped by which fields are NULL and by the lengths of the texts, so each group is one numpy record array."""
    count = len(columns[0][1])
    key = np.zeros(count, np.int64)
    for kind, values in columns:
        if kind == "ts":
            code = (values == NULL_TS).astype(np.int64)
            span = 2
        elif kind == "text":
            code = np.char.str_len(values).astype(np.int64)
            span = values.dtype.itemsize + 1
        else:
            continue
        key = key * span + code
    parts = []
    groups = np.unique(key)
    for group in groups:
        rows = np.nonzero(key == group)[0] if len(groups) > 1 else slice(None)
        fields: list[tuple[str, str]] = [("n", ">i2")]
        fill: list[tuple[int, int, np.ndarray | None]] = []
        for index, (kind, values) in enumerate(columns):
            part = values[rows]
            fields.append((f"l{index}", ">i4"))
            if kind == "ts":
                null = bool(part[0] == NULL_TS)
                size = -1 if null else 8
                data = None if null else (part - PG_EPOCH) * 1_000_000
            elif kind == "text":
                size = len(part[0])
                data = part if size else None
                size = size or -1
            else:
                size, data = np.dtype(_WIRE[kind]).itemsize, part
            if data is not None:
                fields.append((f"v{index}", _WIRE.get(kind, f"S{size}")))
            fill.append((index, size, data))
        records = np.empty(len(part), dtype=fields)
        records["n"] = len(columns)
        for index, size, data in fill:
            records[f"l{index}"] = size
            if data is not None:
                records[f"v{index}"] = data
        parts.append(records.tobytes())
    return b"".join(parts)


def copy_binary(connection: psycopg.Connection[Any], table: str, names: list[str],
                chunks: Iterator[list[tuple[str, np.ndarray]]]) -> int:  # fmt: skip
    rows = 0
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN (FORMAT binary)") as copy,
    ):
        copy.write(b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0))
        for chunk in chunks:
            copy.write(binary_rows(chunk))
            rows += len(chunk[0][1])
        copy.write(struct.pack(">h", -1))
    return rows


# -- the data set ------------------------------------------------------------------------------------------------


def seconds_of(moment: datetime) -> int:
    return int(moment.timestamp())


def esco_skills() -> tuple[list[str], dict[str, list[str]]]:
    """Every ESCO skill URI shipped, and the digital, green and transversal collections' members."""

    def read(name: str) -> list[str]:
        with lzma.open(ESCO / name, "rt", encoding="utf-8") as handle:
            return [row["conceptUri"] for row in csv.DictReader(handle)]

    collections = {c: read(f"{c}SkillsCollection_en.csv.xz") for c in ("digital", "green", "transversal")}
    return read("skills_en.csv.xz"), collections


def choose(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...], count: int) -> list[str]:
    weights = np.array([w for _, w in pairs])
    picked = rng.choice(len(pairs), count, p=weights / weights.sum())
    return [pairs[i][0] for i in picked]


def catalogue(connection: psycopg.Connection[Any], rng: np.random.Generator, issuers: int) -> dict[str, Any]:
    """Organisations, definitions (one version each), ESCO collections, pathways, recognition courses and rules."""
    now = NOW
    skills, collections = esco_skills()
    types = choose(rng, TYPES, issuers)
    regions = choose(rng, REGIONS, issuers)
    per_issuer = np.clip(rng.poisson(9, issuers) + 1, 1, 30)
    definitions = int(per_issuer.sum())
    tagged = [uri for members in collections.values() for uri in members]
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY organisations (id, slug, country, type, document, created_at, updated_at) FROM STDIN"
        ) as copy:
            for i in range(issuers):
                slug = f"org-{i + 1:04d}"
                document = {"id": slug, "legal_name": {"en": f"Organisation {i + 1}"}, "region": regions[i]}
                copy.write_row((i + 1, slug, "PL", types[i], Jsonb(document), now, now))
        owners = np.repeat(np.arange(1, issuers + 1), per_issuer)
        fields = rng.choice(FIELDS, definitions)
        eqf = rng.choice([3, 4, 5, 6, 7, 8], definitions, p=[0.05, 0.2, 0.2, 0.3, 0.2, 0.05])
        ects = rng.choice([0.5, 1, 2, 3, 4, 5, 6, 10, 15, 20], definitions)
        languages = choose(rng, LANGUAGES, definitions)
        modes = choose(rng, MODES, definitions)
        with cursor.copy("COPY definitions (id, slug, organisation_id, latest_version, created_at) FROM STDIN") as copy:
            for d in range(definitions):
                copy.write_row((d + 1, f"def-{d + 1:05d}", int(owners[d]), 1, now))
        with cursor.copy("COPY definition_versions (id, definition_id, version, content, content_hash, created_at)"
                         " FROM STDIN") as copy:  # fmt: skip
            for d in range(definitions):
                chosen = [skills[int(i)] for i in rng.choice(len(skills), int(rng.integers(1, 5)), replace=False)]
                chosen += [tagged[int(i)] for i in rng.choice(len(tagged), int(rng.integers(1, 3)), replace=False)]
                level: dict[str, Any] = {"eqf": int(eqf[d])}
                if rng.random() < 0.6:
                    level["nqf"] = {"framework": "PL", "level": int(eqf[d])}
                content = {
                    "id": f"def-{d + 1:05d}", "title": {"en": f"Micro-credential {d + 1}"}, "isced_f": str(fields[d]),
                    "level": level, "workload": {"ects": float(ects[d])} if rng.random() < 0.8 else {"hours": 20},
                    "languages": [languages[d]], "participation": {"mode": modes[d]},
                    "learning_outcomes": [{"text": {"en": "outcome"}, "esco_skills": chosen}],
                }  # fmt: skip
                copy.write_row((d + 1, d + 1, 1, Jsonb(content), f"{d + 1:064x}", now))
        with cursor.copy("COPY esco_collections (collection, uri) FROM STDIN") as copy:
            for collection, members in collections.items():
                for uri in sorted(set(members)):
                    copy.write_row((collection, uri))
        with cursor.copy(
            "COPY pathways (id, slug, organisation_id, latest_version, state, created_at) FROM STDIN"
        ) as copy:
            for p in range(200):
                copy.write_row((p + 1, f"path-{p + 1:03d}", p % issuers + 1, 1, "published", now))
        for table in ("recognition_courses", "recognition_rules"):
            with cursor.copy(
                f"COPY {table} (id, slug, organisation_id, latest_version, state, created_at) FROM STDIN"
            ) as copy:
                for r in range(100):
                    copy.write_row((r + 1, f"{table[12]}-{r + 1:03d}", r * issuers // 100 + 1, 1, "published", now))
    return {"definitions": definitions, "owners": owners, "pathways": 200, "recognisers": 100, "issuers": issuers}


def award_chunks(rng: np.random.Generator, awards: int, learners: int, definitions: int, owners: np.ndarray,
                 issuers: int, chunk: int, wallets: int,
                 claimed_out: list[np.ndarray]) -> Iterator[list[tuple[str, np.ndarray]]]:  # fmt: skip
    """The awards in chunks of about ``chunk``, learner by learner; the claimed awards of wallet holders (learners
    below ``wallets``) are appended to ``claimed_out`` as (award number, learner, claimed at) rows."""
    keys = hexes(rng, learners)
    raw = rng.lognormal(0.0, 1.0, learners)
    counts = np.floor(raw / raw.sum() * (awards - learners)).astype(np.int64) + 1
    counts[rng.permutation(learners)[: awards - int(counts.sum())]] += 1
    np.minimum(counts, definitions - 1, out=counts)
    popularity = 1.0 / np.arange(1, definitions + 1) ** 0.8
    first_definition = rng.permutation(definitions)[rng.choice(definitions, learners, p=popularity / popularity.sum())]
    propensity = rng.beta(4, 6, issuers + 1)
    start, span, now = seconds_of(START), seconds_of(NOW) - seconds_of(START), seconds_of(NOW)
    ends = np.cumsum(counts)
    number, low = 0, 0
    while low < learners:
        high = int(np.searchsorted(ends, ends[low - 1] + chunk if low else chunk, side="right")) or low + 1
        high = max(high, low + 1)
        learner = np.repeat(np.arange(low, high), counts[low:high])
        size = len(learner)
        offsets = np.arange(size) - np.repeat(np.cumsum(counts[low:high]) - counts[low:high], counts[low:high])
        definition = (first_definition[learner] + offsets) % definitions
        organisation = owners[definition]
        issued = start + (span * np.sqrt(rng.random(size))).astype(np.int64)
        delay = (rng.lognormal(np.log(3), 1.5, size) * DAY).astype(np.int64)
        claimed = issued + delay
        claimed = np.where((rng.random(size) < propensity[organisation] * 1.0) & (claimed < now), claimed, NULL_TS)
        revoked = issued + rng.integers(DAY, 365 * DAY, size)
        revoked = np.where((rng.random(size) < 0.01) & (revoked < now), revoked, NULL_TS)
        ids = np.arange(number, number + size)
        holders = (learner < wallets) & (claimed != NULL_TS)
        claimed_out.append(np.stack([ids[holders], learner[holders], claimed[holders]], axis=1))
        yield [
            ("text", fixed(b"bench-award-", ids, 12)), ("i8", definition + 1), ("text", keys[learner]),
            ("ts", issued), ("bool", np.zeros(size, np.uint8)), ("i8", organisation),
            ("ts", claimed), ("ts", revoked),
        ]  # fmt: skip
        number += size
        low = high


AWARD_COLUMNS = ["id", "definition_version_id", "recipient_key", "issued_at", "suspended", "organisation_id",
                 "claimed_at", "revoked_at"]  # fmt: skip


def generate(url: str, args: argparse.Namespace) -> dict[str, int]:
    rng = np.random.default_rng(args.seed)
    counts: dict[str, int] = {}
    learners = args.learners or max(args.awards // 5, 1)
    wallets = max(learners // 10, 10)
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as connection:
        connection.execute("SET synchronous_commit = off")
        connection.execute("SET maintenance_work_mem = '512MB'")
        started = time.perf_counter()
        made = catalogue(connection, rng, args.issuers)
        counts.update(definitions=made["definitions"], organisations=args.issuers)
        emit("generate catalogue", time.perf_counter() - started, definitions=made["definitions"])
        # The awards' own secondary indexes are built once after the load (far faster than row by row) and the
        # foreign-key triggers are off while loading (the bench's references are right by construction).
        unique = connection.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'awards'::regclass"
            " AND contype = 'u'"
        ).fetchall()
        indexes = connection.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'awards' AND indexname <> 'pk_awards'"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'awards'::regclass)"
        ).fetchall()
        for name, _ in unique:
            connection.execute(f"ALTER TABLE awards DROP CONSTRAINT {name}")
        for name, _ in indexes:
            connection.execute(f"DROP INDEX {name}")
        connection.execute("SET session_replication_role = replica")
        started = time.perf_counter()
        claimed: list[np.ndarray] = []
        counts["awards"] = copy_binary(connection, "awards", AWARD_COLUMNS, award_chunks(
            rng, args.awards, learners, made["definitions"], made["owners"], args.issuers, args.chunk, wallets,
            claimed))  # fmt: skip
        emit("generate awards copy", time.perf_counter() - started, rows=counts["awards"], learners=learners)
        started = time.perf_counter()
        for name, definition in unique:
            connection.execute(f"ALTER TABLE awards ADD CONSTRAINT {name} {definition}")
        for _, definition in indexes:
            connection.execute(definition)
        emit("generate awards indexes", time.perf_counter() - started, indexes=len(unique) + len(indexes))
        started = time.perf_counter()
        counts.update(wallet_facts(connection, rng, wallets, np.concatenate(claimed), made))
        counts["recognition_applications"] = recognitions(connection, rng, max(args.awards // 200, 10), made)
        connection.execute("SET session_replication_role = DEFAULT")
        emit("generate wallets, shares, pathways, recognitions", time.perf_counter() - started,
             **{k: v for k, v in counts.items() if k not in ("awards", "definitions", "organisations")})  # fmt: skip
        for table in ("organisations", "definitions", "definition_versions", "accounts", "wallets", "pathways",
                      "pathway_claims", "recognition_courses", "recognition_rules", "recognition_applications",
                      "share_links", "pathway_follows"):  # fmt: skip
            connection.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
        started = time.perf_counter()
        counts.update(usage_counts(connection, rng, made, wallets))
        emit("generate verification counts, job-ad demand, consented profiles", time.perf_counter() - started,
             **{k: counts[k] for k in ("verification_counts", "demand_counts", "learner_profiles")})  # fmt: skip
        started = time.perf_counter()
        connection.execute("VACUUM ANALYZE")
        emit("generate vacuum analyze", time.perf_counter() - started)
    return counts


VERIFIER_TYPES: Final = ("company", "university", "public-body", None)
COUNTRIES: Final = ("PL", "PL", "PL", "PL", "DE", "CZ", "LT", "SK", "FR", None)


def usage_counts(connection: psycopg.Connection[Any], rng: np.random.Generator, made: dict[str, Any],
                 wallets: int) -> dict[str, int]:  # fmt: skip
    """Verification counts as the verifier records them (a row per day, channel, verifier and definition verified,
    with its count: about 3 years x 5,049 definitions x a few kinds), job-ad demand (the skills of the
    definitions, by month) and the consented characteristics of a fifth of the wallet holders."""
    definitions, owners = made["definitions"], made["owners"]
    start = START.date()
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY verification_counts (key, day, channel, verifier_kind, verifier_type, verifier_country,"
            " issuing_organisation_id, issuer_country, definition_id, verified, count) FROM STDIN"
        ) as copy:
            rows = 0
            for day_number in range(0, (NOW.date() - start).days, 3):
                day = start + timedelta(days=day_number)
                for definition in rng.choice(definitions, 400, replace=False):
                    channel = ("web", "api", "share-link", "openid4vp", "batch")[int(rng.integers(0, 5))]
                    kind = "anonymous" if channel in ("web", "share-link") else "organisation"
                    vtype = None if kind == "anonymous" else VERIFIER_TYPES[int(rng.integers(0, 3))]
                    vcountry = None if kind == "anonymous" else COUNTRIES[int(rng.integers(0, len(COUNTRIES)))]
                    key = f"{day}|{channel}|{kind}|{vtype}|{vcountry}|{definition + 1}"
                    verified, count = bool(rng.random() < 0.97), int(rng.integers(1, 40))
                    organisation = int(owners[definition]) + 1
                    copy.write_row((key, day, channel, kind, vtype, vcountry, organisation, "PL", int(definition) + 1,
                                    verified, count))  # fmt: skip
                    rows += 1
        skills = [uri for (uri,) in cursor.execute("SELECT DISTINCT uri FROM esco_collections ORDER BY uri").fetchall()]
        demand = 0
        with cursor.copy("COPY demand_counts (key, month, kind, uri, count) FROM STDIN") as copy:
            for months in range(36):
                month = date(START.year + (START.month - 1 + months) // 12, (START.month - 1 + months) % 12 + 1, 1)
                for uri in rng.choice(skills, min(300, len(skills)), replace=False) if skills else []:
                    copy.write_row((f"{month}|job-ad-skill|{uri}", month, "job-ad-skill", str(uri),
                                    int(rng.integers(1, 60))))  # fmt: skip
                    demand += 1
        profiles = 0
        with cursor.copy(
            "COPY learner_profiles (account_id, age_band, gender, education_level, employment_status, country,"
            " region, consent_version, consent_given_at) FROM STDIN"
        ) as copy:
            ages, genders = ("15-24", "25-34", "35-44", "45-54", "55-64"), ("female", "male", "other", "not-said")
            work = ("employed", "student", "unemployed")
            for account in rng.choice(wallets, wallets // 5, replace=False):
                age, gender = ages[int(rng.integers(0, 5))], genders[int(rng.integers(0, 4))]
                level, status = str(int(rng.integers(3, 9))), work[int(rng.integers(0, 3))]
                country = COUNTRIES[int(rng.integers(0, len(COUNTRIES) - 1))]
                copy.write_row((int(account) + 1, age, gender, level, status, country, None, "2026-12", NOW))
                profiles += 1
    return {"verification_counts": rows, "demand_counts": demand, "learner_profiles": profiles}


def wallet_facts(connection: psycopg.Connection[Any], rng: np.random.Generator, wallets: int, claimed: np.ndarray,
                 made: dict[str, Any]) -> dict[str, int]:  # fmt: skip
    """Accounts and wallets, the wallet holders' claimed awards as wallet credentials, share links, follows, claims."""
    now, start = seconds_of(NOW), seconds_of(START)
    ids = np.arange(1, wallets + 1)
    made_at = np.full(wallets, start)
    counts = {"accounts": copy_binary(connection, "accounts", ["id", "email", "is_admin", "created_at"], iter([[
        ("i8", ids), ("text", fixed(b"learner-", ids, 10) + b"@bench.invalid"), ("bool", np.zeros(wallets, np.uint8)),
        ("ts", made_at)]]))}  # fmt: skip
    counts["wallets"] = copy_binary(connection, "wallets", ["id", "account_id", "did", "private_key_encrypted",
                                                            "profile_public", "created_at"], iter([[
        ("i8", ids), ("i8", ids), ("text", fixed(b"did:key:zbench", ids, 10)), ("text", constant(b"x", wallets)),
        ("bool", np.zeros(wallets, np.uint8)), ("ts", made_at)]]))  # fmt: skip
    award, learner, at = claimed[:, 0], claimed[:, 1], claimed[:, 2]
    n = len(award)
    credential = fixed(b"bench-wc-", np.arange(n), 12)
    empty = constant(JSON_EMPTY, n)
    counts["wallet_credentials"] = copy_binary(connection, "wallet_credentials", [
        "id", "wallet_id", "content_hash", "format", "source", "original", "document", "title", "status", "report",
        "checked_at", "added_at", "tags", "search_text", "public", "award_id"], iter([[
        ("text", credential), ("i8", learner + 1), ("text", fixed(b"", award, 64)), ("text", constant(b"ldp_vc", n)),
        ("text", constant(b"claim", n)), ("text", constant(b"{}", n)), ("text", empty),
        ("text", constant(b"Micro-credential", n)), ("text", constant(b"valid", n)), ("text", empty), ("ts", at),
        ("ts", at), ("text", empty), ("text", constant(b"-", n)), ("bool", np.zeros(n, np.uint8)),
        ("text", fixed(b"bench-award-", award, 12))]]))  # fmt: skip
    shared = np.nonzero(rng.random(n) < 0.5)[0]
    created = np.minimum(at[shared] + (rng.lognormal(np.log(5), 1.5, len(shared)) * DAY).astype(np.int64), now - 1)
    counts["share_links"] = copy_binary(connection, "share_links", ["credential_id", "token", "created_at", "views"],
        iter([[("text", credential[shared]), ("text", fixed(b"", shared, 64)), ("ts", created),
               ("i4", (rng.geometric(0.3, len(shared)) - 1).astype(np.int32))]]))  # fmt: skip
    follows = wallets // 2
    f = np.arange(follows)
    wallet = f % wallets
    pathway = (wallet * 7 + f // wallets) % made["pathways"] + 1
    started = start + (rng.random(follows) * (now - start)).astype(np.int64)
    counts["pathway_follows"] = copy_binary(connection, "pathway_follows", ["wallet_id", "pathway_id", "created_at"],
                                            iter([[("i8", wallet + 1), ("i8", pathway), ("ts", started)]]))  # fmt: skip
    decided = started + (rng.lognormal(np.log(60), 0.8, follows) * DAY).astype(np.int64)
    done = np.nonzero((rng.random(follows) < 0.3) & (decided < now))[0]
    m = len(done)
    counts["pathway_claims"] = copy_binary(connection, "pathway_claims", [
        "public_id", "pathway_id", "version", "holder", "account_id", "state", "components", "evaluation",
        "created_at", "decided_at"], iter([[
        ("text", fixed(b"bench-pc-", done, 12)), ("i8", pathway[done]), ("i4", np.ones(m, np.int32)),
        ("text", constant(b"did:key:zbench", m)), ("i8", wallet[done] + 1), ("text", constant(b"awarded", m)),
        ("text", constant(JSON_EMPTY, m)), ("text", constant(JSON_EMPTY, m)), ("ts", started[done]),
        ("ts", decided[done])]]))  # fmt: skip
    return counts


def recognitions(connection: psycopg.Connection[Any], rng: np.random.Generator, count: int,
                 made: dict[str, Any]) -> int:  # fmt: skip
    now, start = seconds_of(NOW), seconds_of(START)
    which = rng.integers(0, made["recognisers"], count) + 1
    created = start + (rng.random(count) * (now - start)).astype(np.int64)
    decided = created + (rng.exponential(14, count) * DAY).astype(np.int64)
    is_decided = (rng.random(count) < 0.85) & (decided < now)
    decision = np.array([b"full", b"partial", b"refused"])[rng.choice(3, count, p=[0.5, 0.25, 0.25])]
    automatic = is_decided & (rng.random(count) < 0.3)
    organisation = (which - 1) * made["issuers"] // made["recognisers"] + 1  # as catalogue() gave them
    empty = constant(JSON_EMPTY, count)
    return copy_binary(connection, "recognition_applications", [
        "public_id", "organisation_id", "rules_id", "rules_version", "course_id", "course_version", "holder",
        "presented", "assessment", "state", "decision", "differences", "messages", "automatic", "appeals",
        "evidence_key", "created_at", "updated_at", "decided_at"], iter([[
        ("text", fixed(b"bench-ra-", np.arange(count), 12)), ("i8", organisation), ("i8", which),
        ("i4", np.ones(count, np.int32)), ("i8", which), ("i4", np.ones(count, np.int32)),
        ("text", constant(b"did:key:zbench", count)), ("text", empty), ("text", empty),
        ("text", np.where(is_decided, b"decided", b"review")), ("text", np.where(is_decided, decision, b"")),
        ("text", empty), ("text", empty), ("bool", automatic.astype(np.uint8)), ("i4", np.zeros(count, np.int32)),
        ("text", fixed(b"", np.arange(count), 64)), ("ts", created), ("ts", created),
        ("ts", np.where(is_decided, decided, NULL_TS))]]))  # fmt: skip


# -- measuring ---------------------------------------------------------------------------------------------------

_FROM = ("FROM awards a JOIN (SELECT v.id, substr(v.content->>'isced_f', 1, 2) AS field FROM definition_versions v) v"
         " ON v.id = a.definition_version_id JOIN organisations o ON o.id = a.organisation_id")  # fmt: skip
_MONTH = "to_char(date_trunc('month', a.issued_at AT TIME ZONE 'UTC'), 'YYYY-MM')"
POSTGRES_PANELS: dict[str, str] = {
    # the same cells as the engine's (each cell's value and n, the margins by GROUPING SETS), on the production tables
    "awards by month": f"SELECT {_MONTH} AS k0, COUNT(*), COUNT(DISTINCT a.recipient_key) FROM awards a"
                       " GROUP BY GROUPING SETS ((k0), ()) ORDER BY k0 NULLS FIRST",
    "awards by field": f"SELECT v.field AS k0, COUNT(*), COUNT(DISTINCT a.recipient_key) {_FROM}"
                       " GROUP BY GROUPING SETS ((k0), ()) ORDER BY k0 NULLS FIRST",
    "awards by issuer_type": f"SELECT o.type AS k0, COUNT(*), COUNT(DISTINCT a.recipient_key) {_FROM}"
                             " GROUP BY GROUPING SETS ((k0), ()) ORDER BY k0 NULLS FIRST",
    "learners": "SELECT COUNT(DISTINCT recipient_key) FROM awards",
    "claim_rate by month": f"SELECT {_MONTH} AS k0, CAST(COUNT(a.claimed_at) AS float) / NULLIF(COUNT(*), 0),"
                           " COUNT(a.claimed_at), COUNT(*), COUNT(DISTINCT a.recipient_key) FROM awards a"
                           " GROUP BY GROUPING SETS ((k0), ()) ORDER BY k0 NULLS FIRST",
    "days_to_claim": "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY CAST(claimed_at AT TIME ZONE 'UTC' AS date)"
                     " - CAST(issued_at AT TIME ZONE 'UTC' AS date)), COUNT(DISTINCT recipient_key) FROM awards"
                     " WHERE claimed_at IS NOT NULL",
}  # fmt: skip
DUCKDB_EQUIVALENT = {"awards by month": ("awards", ("month",)), "awards by field": ("awards", ("field",)),
                     "awards by issuer_type": ("awards", ("issuer_type",)), "learners": ("learners", ()),
                     "claim_rate by month": ("claim_rate", ("month",)),
                     "days_to_claim": ("days_to_claim", ())}  # fmt: skip


def _filterable(query: Query) -> set[str]:
    """The filters ``query``'s indicator may take."""
    view = INDICATORS[query.indicator].view
    return {name for name in FILTERS if view in DIMENSIONS[name].views}


QUERY_BREAKDOWNS: tuple[tuple[str, ...], ...] = (
    (), ("month",), ("field",), ("region",), ("issuer_type",), ("eqf",), ("language",), ("mode",), ("age_band",),
    ("collection",), ("verifier_kind",), ("decision",), ("month", "field"), ("region", "issuer_type"),
)  # fmt: skip
"""The breakdowns the query views ask of each indicator (those its facts have)."""


def query_views(reader: AnalyticsService, scopes: dict[str, tuple[int, ...] | None]) -> None:
    """A view the dashboard's query form asks (one indicator, its breakdown, a period and filters; see
    ``web/analytics/pages.py``) is one table computed when asked: each indicator with each breakdown of
    :data:`QUERY_BREAKDOWNS` its facts have, unfiltered and for the last twelve months of one field, for each scope,
    each timed cold (the first time it is asked). One line a scope: how many, how many over 1 s, the median, the
    95th percentile, the slowest and what they were."""
    for label, scope in scopes.items():
        times: list[tuple[float, str]] = []
        for name, indicator in INDICATORS.items():
            for by in QUERY_BREAKDOWNS:
                if any(indicator.view not in DIMENSIONS[d].views for d in by):
                    continue
                plain = Query(name, by, scope=scope)
                filtered = Query(name, by, start=date(2025, 4, 1), end=date(2026, 3, 1), scope=scope,
                                 filters={"field": "06"} if "field" in _filterable(plain) else {})  # fmt: skip
                for query, how in ((plain, "all"), (filtered, "12 months, field 06")):
                    started = time.perf_counter()
                    try:
                        reader.table(query)
                    except InputError as exc:  # a breakdown the form would refuse too (say so, and time it)
                        how += f"; refused: {exc.message}"
                    times.append((time.perf_counter() - started, f"{name} by {'x'.join(by) or 'nothing'} ({how})"))
        times.sort()
        values = [t for t, _ in times]
        emit(f"query views {label} (each one table, cold)", sum(values), views=len(values),
             over_1s=sum(t >= 1 for t in values), p50=round(statistics.median(values), 3),
             p95=round(values[int(0.95 * (len(values) - 1))], 3), max=round(values[-1], 3),
             slowest=[f"{what}: {t:.3f}" for t, what in times[-5:]][::-1])  # fmt: skip


def clock(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def measure(url: str, args: argparse.Namespace) -> None:
    database = Database(url)
    with tempfile.TemporaryDirectory(prefix="cairn-bench-analytics-") as cache:
        writer = AnalyticsService(database, Path(cache) / "writer", clock=lambda: NOW)
        with database.engine.connect() as connection:
            biggest = connection.execute(
                text("SELECT organisation_id FROM awards GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1")
            ).scalar_one()
            universities = connection.execute(text("SELECT id FROM organisations WHERE type = 'university'")).all()
        registry = tuple(int(u) for (u,) in universities)
        writer.scopes = lambda: [registry]  # a registry accrediting every university: its view precomputed too
        started = time.perf_counter()
        info = writer.refresh()
        total = time.perf_counter() - started
        for table, seconds in info.table_seconds.items():
            emit(f"refresh export {table}", seconds, rows=info.rows.get(table))
        emit("refresh export", info.seconds)
        emit("refresh store", total - info.seconds)
        emit("refresh total", total, target=300, ok=total < 300)
        writer.close()
        reader = AnalyticsService(database, Path(cache) / "reader", clock=lambda: NOW)
        emit("snapshot read (copied from the database, opened)", clock(reader.engine))
        folder = next((Path(cache) / "reader").glob("snapshot-*"))
        sizes = {p.stem: p.stat().st_size for p in folder.glob("*.parquet")}
        emit("snapshot size", bytes=sum(sizes.values()), tables=sizes)
        scopes: dict[str, tuple[int, ...] | None] = {
            "issuer": (int(biggest),), "registry": registry, "ministry": None,
            "open": None,
        }  # fmt: skip
        for audience in AUDIENCES:
            queries = [Query(p.indicator, p.by, scope=scopes[audience]) for p in VIEWS[audience]]
            first = [clock(lambda q=q: reader.table(q)) for q in queries]  # type: ignore[misc]
            cold = sum(first)
            runs = [[clock(lambda q=q: reader.table(q)) for q in queries] for _ in range(args.repeat)]  # type: ignore[misc]
            warm = statistics.median(sum(run) for run in runs)
            slowest = max(range(len(queries)), key=lambda i: first[i])
            emit(f"view {audience} cold", cold, panels=len(queries), target=1, ok=cold < 1)
            emit(f"view {audience} warm", warm, panels=len(queries), target=1, ok=warm < 1)
            emit(f"view {audience} slowest panel (cold)", first[slowest], indicator=queries[slowest].indicator,
                 by=list(queries[slowest].by))  # fmt: skip
            choices = clock(lambda a=audience: [reader.values(f, scope=scopes[a]) for f in FILTERS])  # type: ignore[misc]
            emit(f"view {audience} filter choices (cold)", choices, filters=len(FILTERS))
            # a view someone filtered: the last twelve months of one field, computed when asked
            filtered = [
                Query(q.indicator, q.by, start=date(2025, 4, 1), end=date(2026, 3, 1), scope=q.scope,
                      filters={"field": "06"} if "field" in _filterable(q) else {})
                for q in queries
            ]  # fmt: skip
            first = [clock(lambda q=q: reader.table(q)) for q in filtered]  # type: ignore[misc]
            slowest = max(range(len(filtered)), key=lambda i: first[i])
            emit(f"view {audience} filtered (12 months, field 06) cold", sum(first), panels=len(filtered), target=1,
                 ok=sum(first) < 1, slowest=round(first[slowest], 3), slowest_panel=[filtered[slowest].indicator,
                 *filtered[slowest].by])  # fmt: skip
            if audience == "ministry":  # one filter or a period alone, each a view computed when asked
                variants: dict[str, dict[str, Any]] = {
                    "field 06": {"filters": {"field": "06"}},
                    "region PL-14": {"filters": {"region": "PL-14"}},
                    "issuer type university": {"filters": {"issuer_type": "university"}},
                    "12 months": {"start": date(2025, 4, 1), "end": date(2026, 3, 1)},
                }
                for label, change in variants.items():
                    wanted = change.get("filters", {})
                    one = [
                        Query(q.indicator, q.by, start=change.get("start"), end=change.get("end"), scope=q.scope,
                              filters={k: v for k, v in wanted.items() if k in _filterable(q)})
                        for q in queries
                    ]  # fmt: skip
                    first = [clock(lambda q=q: reader.table(q)) for q in one]  # type: ignore[misc]
                    slowest = max(range(len(one)), key=lambda i: first[i])
                    emit(f"view ministry filtered ({label}) cold", sum(first), panels=len(one), target=1,
                         ok=sum(first) < 1, slowest=round(first[slowest], 3),
                         slowest_panel=[one[slowest].indicator, *one[slowest].by])  # fmt: skip
        query_views(reader, {"ministry": None, "registry": registry})
        reader.close()
        # The ministry's view computed from the fact tables (the panels precomputed at export left aside): what
        # each panel costs DuckDB, to set beside the same panels on PostgreSQL below.
        computed = Engine(folder, precomputed=False)
        queries = [Query(p.indicator, p.by) for p in VIEWS["ministry"]]
        times = [clock(lambda q=q: computed.table(q)) for q in queries]  # type: ignore[misc]
        computed.close()
        slowest = max(range(len(queries)), key=lambda i: times[i])
        worst = [queries[slowest].indicator, *queries[slowest].by]
        emit("view ministry computed, not precomputed (cold)", sum(times), panels=len(queries),
             slowest=round(times[slowest], 3), slowest_panel=worst)  # fmt: skip
        panel_seconds = {(q.indicator, q.by): s for q, s in zip(queries, times, strict=True)}
        for name, sql in POSTGRES_PANELS.items() if args.postgres_panels else ():
            with database.engine.connect() as connection:
                cold = clock(lambda sql=sql: connection.execute(text(sql)).all())  # type: ignore[misc]
                runs_pg = [cold]
                if cold < 10:
                    runs_pg = [clock(lambda sql=sql: connection.execute(text(sql)).all())  # type: ignore[misc]
                               for _ in range(args.repeat)]  # fmt: skip
            emit(f"postgresql panel {name} cold", cold)
            emit(f"postgresql panel {name} warm", statistics.median(runs_pg), runs=len(runs_pg),
                 duckdb_computed_cold=round(panel_seconds.get(DUCKDB_EQUIVALENT[name], float("nan")), 3))  # fmt: skip
    database.engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_url = os.environ.get("CAIRN_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--postgres-url", default=default_url)
    parser.add_argument("--awards", type=int, default=10_000_000)
    parser.add_argument("--learners", type=int, default=0, help="default: awards / 5")
    parser.add_argument("--issuers", type=int, default=500)
    parser.add_argument("--chunk", type=int, default=1_000_000, help="awards generated and sent at a time")
    parser.add_argument("--repeat", type=int, default=5, help="warm runs (the median is reported)")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument(
        "--no-postgres-panels",
        dest="postgres_panels",
        action="store_false",
        help="leave out the panels computed on PostgreSQL (minutes on the national data set)",
    )
    parser.add_argument("--keep", action="store_true", help="leave the database (its name is printed)")
    parser.add_argument("--reuse", help="measure this existing bench database again (no generation)")
    args = parser.parse_args()
    emit("load average", load=os.getloadavg(), cores=os.cpu_count())
    admin_url = make_url(normalise_url(args.postgres_url))
    name = args.reuse or f"cairn_bench_analytics_{os.getpid()}"
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server means: no PostgreSQL here
        emit("skipped", reason=f"no PostgreSQL at {admin_url.render_as_string()}: {type(exc).__name__}")
        return 0
    try:
        if not args.reuse:
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            started = time.perf_counter()
            Database(url).upgrade()
            emit("migrate", time.perf_counter() - started, database=name)
            started = time.perf_counter()
            counts = generate(url, args)
            emit("generate total", time.perf_counter() - started, rows=counts)
        measure(url, args)
    finally:
        if not args.keep and not args.reuse:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        elif args.keep:
            emit("kept", database=name)
        admin.dispose()
    emit("load average", load=os.getloadavg(), cores=os.cpu_count())
    return 0


if __name__ == "__main__":
    sys.exit(main())
