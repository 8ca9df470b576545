"""Builders of the objects tests need: clocks, databases, services over the example catalogue, keys, credentials
(signed and unsigned), certificates and seals, ESCO data and folders, fake encoders and fetchers.

Test modules import from here (and from :mod:`tests.helpers`), never from another test module or a conftest;
fixtures that wrap these builders live in the conftest.py of the folder that uses them.
"""

from __future__ import annotations

import base64
import csv
import dataclasses
import hashlib
import io
import ipaddress
import json
import lzma
import os
import re
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from argon2 import PasswordHasher
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from fastapi.testclient import TestClient
from numpy.typing import NDArray
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from cairn.bootstrap import Container, build
from cairn.errors import DidResolutionError, FetchError
from cairn.formats.composite import composite_parts, with_composite
from cairn.formats.ob3 import build_credential
from cairn.model.awards import Award, Recipient
from cairn.model.catalog import build_catalog
from cairn.model.definitions import MicroCredentialDefinition
from cairn.services.accounts.service import AccountService
from cairn.services.audit import AuditService
from cairn.services.catalog.service import CatalogService, read_files
from cairn.services.issuing.bulk import BulkAwardService
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.service import IssuingService
from cairn.services.issuing.setup import IssuingServices
from cairn.services.issuing.status_lists import IndexChooser, StatusListService
from cairn.settings import Settings
from cairn.skills.esco import EscoData, Labels, Occupation, OccupationSkill, Skill
from cairn.skills.labels import shipped_esco_folder
from cairn.store.catalog.repository import DefinitionRepository
from cairn.store.database import Database, normalise_url
from cairn.store.tables import OrganisationRow, WalletCredentialRow, WalletRow
from cairn.vc.dids import VerificationMethod, did_key, did_web
from cairn.vc.fetch import HttpsFetcher, Response, _Target
from cairn.vc.issuance import issue
from cairn.vc.keys import KeyPair, KeyType, PublicKey
from cairn.vc.multibase import b64url_encode

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
EXAMPLES = REPO / "examples" / "catalog"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
"""A moment at which the signed credentials, certificates and seals built here are valid."""


# -- clocks ------------------------------------------------------------------------------------------------------


class FixedClock:
    """A clock that says what it is told; ``advance`` moves it on."""

    def __init__(self, start: datetime = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


class ShiftedClock:
    """The real time, moved by ``offset`` (to make a share link that has already expired)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


# -- databases ---------------------------------------------------------------------------------------------------


def migrate_sqlite_template(path: Path) -> Path:
    """Migrate a new SQLite file at ``path`` to the head revision, leaving everything in the one file to copy."""
    database = Database(f"sqlite:///{path}")
    try:
        database.upgrade()
        with database.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        database.dispose()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0, "the template's write-ahead log was not checkpointed"
    return path


def copy_sqlite(template: Path, path: Path) -> str:
    """Copy the migrated ``template`` to ``path`` (a file of one test's own); its URL."""
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


_OURS = "schemaname NOT IN ('pg_catalog', 'information_schema', 'cairn_test_seed') AND schemaname NOT LIKE 'pg_%'"
_TABLES = f"SELECT schemaname, tablename FROM pg_tables WHERE {_OURS} AND tablename <> 'alembic_version' ORDER BY 1, 2"
"""Every table of the migrations: Cairn's (``public``) and the job queue's (``procrastinate``), whose jobs must not
outlive the test that deferred them."""
_SEQUENCES = f"SELECT schemaname, sequencename FROM pg_sequences WHERE {_OURS} ORDER BY 1, 2"
_SHAPE = (
    "SELECT (SELECT string_agg(version_num, ',') FROM alembic_version),"
    " (SELECT count(*) FROM pg_tables WHERE schemaname = 'public'),"
    " (SELECT count(*) FROM pg_sequences WHERE schemaname = 'public')"
)
_OTHER_CONNECTIONS = (
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _seed_name(table: str) -> str:
    """The name of the copy of ``"schema"."table"``'s seeded rows in ``cairn_test_seed``."""
    return '"' + table.replace('"', "").replace(".", "__") + '"'


class PostgresServer:
    """Creates throw-away databases on the test server: empty ones, or copies of one migrated template.

    Copying the template takes the server about 0.3 s and dropping a database a little more; a test would wait
    for both. So one spare copy is always being made in a background thread while a test runs, and used
    databases are dropped there too (the tests see the same fresh copy of the template as before, sooner)."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_url(url))
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []
        self._template: str | None = None
        self._lock = threading.Lock()
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pg-spare")
        self._spare: Future[str] | None = None
        self._leased: str | None = None
        self._lent = False
        self._reset = ""
        self._shape: tuple[Any, ...] = ()

    def _name(self, kind: str) -> str:
        return f"cairn_{kind}_{os.getpid()}_{uuid.uuid4().hex[:10]}"

    def _url(self, name: str) -> str:
        # A throw-away database need not wait for each commit to reach the disk: the tests are about what is
        # stored and read back, not about surviving a power cut.
        url = self.url.set(database=name).update_query_dict({"options": "-c synchronous_commit=off"})
        return url.render_as_string(hide_password=False)

    def new_database(self) -> str:
        """The URL of a brand-new, never-migrated database."""
        return self._create(self._name("test"), "")

    def migrated_database(self) -> str:
        """The URL of a new database copied from the migrated template (which is migrated once, on first use)."""
        if self._template is None:
            name = self._name("template")
            template = Database(self._create(name, ""))
            try:
                template.upgrade()
            finally:
                template.dispose()  # CREATE DATABASE ... TEMPLATE needs nobody connected to the template
            self._template = name
        spare, self._spare = self._spare, self._background.submit(self._copy)
        return spare.result() if spare is not None else self._copy()

    def _copy(self) -> str:
        return self._create(self._name("test"), f' TEMPLATE "{self._template}"')

    # A test's database is this worker's own migrated copy, emptied after each test: deleting every row (with the
    # foreign-key triggers off), putting back the rows the migrations seed and restarting the sequences takes about
    # 0.05 s, where copying the template and dropping the copy took 0.3 to 0.8 s of a busy server's time, in every
    # one of some 750 PostgreSQL tests. A database a test changed the schema of (a downgrade), or that a connection
    # still holds, is dropped instead and the next test gets a fresh copy.

    def lease(self) -> str:
        """The URL of a migrated, empty database for one test (give it back with :meth:`give_back`)."""
        if self._lent:  # a second database in the same test: a copy of its own, dropped when given back
            return self.migrated_database()
        if self._leased is None:
            url = self.migrated_database()
            self._leased, self._reset = url, self._seed(url)
        self._lent = True
        return self._leased

    def give_back(self, url: str) -> None:
        """Empty the leased database for the next test, or drop it when it cannot be trusted to be as new."""
        if url != self._leased:
            self.drop(url)
            return
        self._lent = False
        engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                others = conn.execute(text(_OTHER_CONNECTIONS)).scalar()
                shape = tuple(conn.execute(text(_SHAPE)).one())
                if others or shape != self._shape:
                    raise LookupError(f"not reusable: {others} other connections, shape {shape}")
                conn.exec_driver_sql(self._reset)
        except Exception:
            self._leased = None
            self.drop(url)
        finally:
            engine.dispose()

    def _seed(self, url: str) -> str:
        """Keep the rows the migrations seed (schema ``cairn_test_seed``) and make the statement that empties the
        database back to them."""
        engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                tables = [f'"{a}"."{b}"' for a, b in conn.execute(text(_TABLES)).all()]
                sequences = [f'"{a}"."{b}"' for a, b in conn.execute(text(_SEQUENCES)).all()]
                seeded = [t for t in tables if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {t})")).scalar()]
                conn.execute(text("CREATE SCHEMA cairn_test_seed"))
                for table in seeded:
                    conn.execute(text(f"CREATE TABLE cairn_test_seed.{_seed_name(table)} AS TABLE {table}"))
                self._shape = tuple(conn.execute(text(_SHAPE)).one())
        finally:
            engine.dispose()
        statements = ["SET session_replication_role = replica"]
        statements += [f"DELETE FROM {t}" for t in tables]
        statements += [f"INSERT INTO {t} SELECT * FROM cairn_test_seed.{_seed_name(t)}" for t in seeded]
        statements += [f"ALTER SEQUENCE {s} RESTART" for s in sequences]
        statements += ["SET session_replication_role = DEFAULT"]
        return ";\n".join(statements)

    def _create(self, name: str, template: str) -> str:
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{template}'))
        with self._lock:
            self.created.append(name)
        return self._url(name)

    def drop(self, url: str) -> None:
        """Drop the database at ``url`` (one this server created), in the background, rather than at the end."""
        name = make_url(url).database
        with self._lock:
            assert name in self.created, name
            self.created.remove(name)
        self._background.submit(self._drop, name)

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def drop_all(self) -> None:
        """Drop every database still here (the spare included), the template last."""
        self._background.shutdown(wait=True)
        names = [n for n in self.created if n != self._template] + ([self._template] if self._template else [])
        for name in names:
            self._drop(name)
        self.created.clear()
        self._template = None
        self._spare = None
        self._leased = None
        self.admin.dispose()


# -- issuing over the example catalogue --------------------------------------------------------------------------

SECRET = "correct horse battery staple, forty characters"
PUBLIC_URL = "https://cairn.example"
ORG = "uniwersytet-mazowiecki"
DEFINITION = "um-python-data-analysis"
PASSWORD = "correct horse battery"


def load_examples(database: Database, clock: FixedClock) -> None:
    """Import the example catalogue (4 organisations, 11 micro-credentials, 1 pathway)."""
    CatalogService(database, clock=clock).import_paths([EXAMPLES])


def make_services(
    database: Database,
    clock: FixedClock,
    *,
    secret: str | None = SECRET,
    choose_index: IndexChooser | None = None,
    list_limit: int | None = None,
) -> IssuingServices:
    """The issuing services as bootstrap builds them, with a fixed clock and optional test knobs."""
    settings = Settings(secret_key=secret, base_url=PUBLIC_URL)
    keys = KeyService(database, secret_key=settings.require_secret_key, public_url=settings.public_url, clock=clock)
    lists = StatusListService(database, keys=keys, clock=clock, choose_index=choose_index, list_limit=list_limit)
    issuing = IssuingService(database, keys=keys, status_lists=lists, clock=clock)
    bulk = BulkAwardService(issuing, max_upload_bytes=settings.max_upload_bytes, workers=0)
    return IssuingServices(keys, lists, issuing, bulk, AuditService(database))


def fast_hasher() -> PasswordHasher:
    """Argon2id with the cheapest parameters: passwords in tests need not be expensive to guess."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def add_organisation(database: Database, clock: Callable[[], datetime], slug: str, name: str = "") -> None:
    """An organisation row, without a catalogue."""
    with database.transaction() as s:
        document = {"id": slug, "legal_name": {"en": name or slug.title()}}
        s.add(
            OrganisationRow(
                slug=slug, country="PL", type="university", document=document, created_at=clock(), updated_at=clock()
            )
        )


def make_container(database: Database, clock: FixedClock, examples: Path) -> Container:
    """An instance with the example catalogue and fast password hashing."""
    settings = Settings(database_url="sqlite://", secret_key="s" * 48, base_url=PUBLIC_URL)
    built = build(settings, clock=clock, database=database)
    built.catalog.import_paths([examples])
    return dataclasses.replace(built, accounts=AccountService(database, clock=clock, password_hasher=fast_hasher()))


def learner_with_credential(
    container: Container, email: str = "ann@example.org", *, name: str = "Ann Example", definition: str = DEFINITION
) -> tuple[int, str, dict[str, Any]]:
    """An account with :data:`PASSWORD` and a wallet holding one freshly awarded credential of the university's
    ``definition``: (account, id, credential)."""
    account = container.accounts.create_account(email=email, password=PASSWORD)
    result = container.issuing.award(definition, Recipient(email=email, name=name), actor="test", organisation=ORG)
    credential = container.issuing.get(result.award_id, organisation=ORG).credential
    assert isinstance(credential, dict)
    now = container.clock()
    credential_id = str(uuid.uuid4())
    achievement = credential["credentialSubject"]["achievement"]
    with container.database.transaction() as session:
        wallet = WalletRow(
            account_id=account.id,
            did=f"did:key:z6Mk{account.id}",
            private_key_encrypted=b"not a real key",
            profile_public=False,
            created_at=now,
        )
        session.add(wallet)
        session.flush()
        session.add(
            WalletCredentialRow(
                id=credential_id,
                wallet_id=wallet.id,
                content_hash=uuid.uuid4().hex,
                format="ob3",
                source="test",
                original=json.dumps(credential),
                document=credential,
                title=achievement["name"],
                issuer_name=credential["issuer"]["name"],
                issuer_id=credential["issuer"]["id"],
                issued_at=now,
                valid_until=None,
                status="valid",
                report={},
                checked_at=now,
                added_at=now,
                tags={},
                search_text=achievement["name"],
                public=False,
                holder_match="holder",  # awarded to this account's (verified) address
            )
        )
    return account.id, credential_id, credential


# -- credentials signed here -------------------------------------------------------------------------------------

ED = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
"""The did:key issuer of :func:`signed_json`, :func:`signed_jwt` and :func:`foreign`."""
OB3_FIXTURES = "ob3/digital-credentials-public-validator/inspector-vc/src/test/resources/ob30"


@cache
def _unsigned() -> str:
    files, _ = read_files([EXAMPLES])
    catalog, _ = build_catalog(files)
    d = catalog.definitions[DEFINITION]
    org = catalog.organisations[d.awarding_bodies[0]]
    credential = build_credential(
        definition=d,
        version=1,
        organisations=[org],
        issuer_ids={org.id: did_key(ED.public)},
        award=Award(
            definition_id=d.id,
            version=1,
            recipient=Recipient(email="anna@example.org", name="Anna Żółkiewska"),
            issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        ),
        credential_id="urn:uuid:7c5b0e44-52d1-4f0f-9a8e-9f0b3c2a1d10",
        achievement_id="https://cairn.example/micro-credentials/um-python-data-analysis/versions/1",
        salt="s",
    )
    return json.dumps(credential)


def unsigned() -> dict[str, Any]:
    """An Open Badges 3.0 micro-credential from the example catalogue, not yet signed (a fresh copy each time)."""
    return dict(json.loads(_unsigned()))


@cache
def signed_json() -> str:
    """The credential signed with eddsa-rdfc-2022, as JSON text (with a Polish name in it)."""
    return json.dumps(
        issue(unsigned(), key=ED, suite="eddsa-rdfc-2022", created="2026-05-04T09:30:00Z"), ensure_ascii=False
    )


@cache
def signed_jwt() -> str:
    """The credential signed as an Open Badges 3.0 JWT."""
    token = issue(unsigned(), key=ED, suite="ob3-jwt", created="2026-05-04T09:30:00Z")
    assert isinstance(token, str)
    return token


OTHER_KEY = ED
"""The key of "Other Academy", the issuer of :func:`foreign` credentials."""
OTHER_DID = did_key(OTHER_KEY.public)
ACADEMY_DID = did_web("academy.example")
"""Other Academy again, as a did:web issuer whose key is in its DID document, on its server."""
ACADEMY_METHOD = VerificationMethod.multikey(ACADEMY_DID, OTHER_KEY.public, fragment="key-1")


def foreign(name: str = "Welding basics", **extra: Any) -> dict[str, Any]:
    """An Open Badges 3.0 credential from another issuer (a did:key, so it verifies offline)."""
    credential = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:7d3c2a4e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": OTHER_DID, "type": ["Profile"], "name": "Other Academy"},
        "validFrom": "2025-03-01T00:00:00Z",
        "name": name,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://other.example/achievements/1",
                "type": ["Achievement"],
                "name": name,
                "description": "Joins steel plates safely.",
                "criteria": {"narrative": "Passed the practical test."},
            },
        },
        **extra,
    }
    signed = issue(credential, key=OTHER_KEY, suite="eddsa-rdfc-2022", created="2025-03-01T00:00:00Z")
    assert isinstance(signed, dict)
    return signed


def from_did_web(name: str = "Welding basics", suite: str = "eddsa-rdfc-2022") -> dict[str, Any] | str:
    """A :func:`foreign` credential signed by :data:`ACADEMY_DID` (a did:web: checking it needs its server)."""
    body = {k: v for k, v in foreign(name).items() if k != "proof"}
    body["issuer"] = {**body["issuer"], "id": ACADEMY_DID}
    created = "2025-03-01T00:00:00Z" if suite.startswith("eddsa") else None
    return issue(body, key=OTHER_KEY, suite=suite, created=created, verification_method=ACADEMY_METHOD.id)


# -- a composite (stacked) credential and its components --------------------------------------------------------

STACK_HOLDER = did_key(KeyPair.from_secret(KeyType.ED25519, bytes(range(64, 96))).public)
"""The learner who holds the components and is awarded the composite (a did:key)."""
STACK_COMPONENTS = ("um-python-data-analysis", "um-sql-databases", "sb-cloud-applications")
"""Three micro-credentials of the example catalogue from two issuers: the components of :func:`composite_award`."""
STACK_TARGET = "um-applied-statistics"
STACK_PATHWAY: dict[str, Any] = {
    "pathway_id": "data-analyst",
    "pathway_version": 2,
    "pathway_url": "https://cairn.example/pathways/data-analyst/versions/2",
    "pathway_title": "Data analyst",
}
"""The pathway :func:`composite_award` is awarded under (the keyword arguments of ``composite_parts``)."""


@cache
def _example_catalog() -> Any:
    files, _ = read_files([EXAMPLES])
    catalog, _ = build_catalog(files)
    return catalog


def issuer_key(organisation: str) -> KeyPair:
    """The did:key of an example organisation in the stacking tests: one key per organisation, from its name."""
    return KeyPair.from_secret(KeyType.ED25519, hashlib.sha256(organisation.encode()).digest())


def catalogue_award(definition: str, number: int, *, holder: str = STACK_HOLDER) -> tuple[dict[str, Any], KeyPair]:
    """An unsigned OB 3.0 award of the example ``definition`` to ``holder`` (credential id ending in ``number``),
    and its issuer's key (:func:`issuer_key`)."""
    catalog = _example_catalog()
    d = catalog.definitions[definition]
    org = catalog.organisations[d.awarding_bodies[0]]
    key = issuer_key(org.id)
    credential = build_credential(
        definition=d,
        version=1,
        organisations=[org],
        issuer_ids={org.id: did_key(key.public)},
        award=Award(
            definition_id=d.id,
            version=1,
            recipient=Recipient(did=holder, name="Anna Żółkiewska"),
            issued_at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        ),
        credential_id=f"urn:uuid:5e1f3c7a-0000-4000-8000-{number:012d}",
        achievement_id=f"https://cairn.example/micro-credentials/{definition}/versions/1",
        salt="s",
    )
    return credential, key


def _signed(credential: dict[str, Any], key: KeyPair, created: str) -> dict[str, Any]:
    signed = issue(credential, key=key, suite="eddsa-rdfc-2022", created=created)
    assert isinstance(signed, dict)
    return signed


@cache
def _stack_json() -> str:
    components = [
        _signed(*catalogue_award(d, i), created="2026-05-04T09:30:00Z") for i, d in enumerate(STACK_COMPONENTS, 1)
    ]
    target, key = catalogue_award(STACK_TARGET, 100)
    unsigned = with_composite(target, composite_parts(components, **STACK_PATHWAY))
    composite = _signed(unsigned, key, created="2026-06-01T08:00:00Z")
    return json.dumps({"components": components, "composite": composite, "unsigned": unsigned}, ensure_ascii=False)


def stacked_components() -> list[dict[str, Any]]:
    """The three signed components (:data:`STACK_COMPONENTS`), fresh copies."""
    components: list[dict[str, Any]] = json.loads(_stack_json())["components"]
    return components


def composite_award(*, signed: bool = True) -> dict[str, Any]:
    """The composite OB 3.0 award of :data:`STACK_TARGET` for :func:`stacked_components` under
    :data:`STACK_PATHWAY`, signed with eddsa-rdfc-2022 by its issuer's did:key (or not yet signed)."""
    composite: dict[str, Any] = json.loads(_stack_json())["composite" if signed else "unsigned"]
    return composite


# -- the 1EdTech OB 3.0 test vectors' issuer ----------------------------------------------------------------------

OB3_VECTOR_SEED = bytes.fromhex("6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4")
OB3_VECTOR_PUBLIC = bytes.fromhex("4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5")
OB3_VECTOR_METHOD = "https://example.edu/issuers/565049#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def ob3_vector_resolver(url: str, purpose: str) -> PublicKey:
    """Resolves the one verification method of the OB 3.0 vectors (for assertions), refusing every other."""
    if url != OB3_VECTOR_METHOD or purpose != "assertionMethod":
        raise DidResolutionError(f"unknown verification method {url}")
    return PublicKey(KeyType.ED25519, OB3_VECTOR_PUBLIC)


# -- X.509 certificates and JAdES seals ---------------------------------------------------------------------------


def _name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "IE"), x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, "VATIE-1234567X"),
        ]
    return x509.Name(attrs)


def make_ca(start: datetime = NOW - timedelta(days=900)) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A throw-away root CA (P-256), valid for ten years from ``start``."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Root CA"))
        .issuer_name(_name("Test Root CA"))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_leaf(
    ca_key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate,
    *,
    start: datetime = NOW - timedelta(days=30),
    days: int = 365,
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    """A seal certificate (RSA 2048, an organisation identifier) that ``ca`` signed."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Seal", "University of Zed"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=days))
        .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def der64(cert: x509.Certificate) -> str:
    """A certificate as base64 DER, as ``x5c`` carries it."""
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def seal(
    payload: dict[str, Any],
    key: rsa.RSAPrivateKey,
    chain: list[x509.Certificate],
    *,
    sig_t: datetime | None = None,
    b64: bool = False,
) -> dict[str, Any]:
    """A JAdES JWS JSON serialization like the EU issuer's (RS256, x5c, b64 false, sigT)."""
    header: dict[str, Any] = {"alg": "RS256", "typ": "jose+json", "x5c": [der64(c) for c in chain]}
    crit = []
    if not b64:
        header["b64"] = False
        crit.append("b64")
    if sig_t is not None:
        header["sigT"] = sig_t.strftime("%Y-%m-%dT%H:%M:%SZ")
        crit.append("sigT")
    if crit:
        header["crit"] = crit
    protected = b64url_encode(json.dumps(header).encode())
    body = json.dumps(payload)
    payload_text = body if not b64 else b64url_encode(body.encode())
    signature = key.sign(f"{protected}.{payload_text}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return {"payload": payload_text, "signatures": [{"protected": protected, "signature": b64url_encode(signature)}]}


# -- ESCO --------------------------------------------------------------------------------------------------------

SKILL = "http://data.europa.eu/esco/skill/"
OCC = "http://data.europa.eu/esco/occupation/"

SKILLS_HEADER = [
    "conceptType", "conceptUri", "skillType", "reuseLevel", "preferredLabel", "altLabels", "hiddenLabels",
    "status", "modifiedDate", "scopeNote", "definition", "inScheme", "description",
]  # fmt: skip

#: (id, type, reuse level, preferred label, alternative labels, description)
SKILL_ROWS = [
    ("js", "knowledge", "sector-specific", "JavaScript", ["JS", "ECMAScript"], "A scripting language."),
    ("py", "knowledge", "sector-specific", "Python (computer programming)", ["Python"], "A language."),
    ("web", "skill/competence", "cross-sector", "develop web applications", ["build websites"], "Make sites."),
    ("team", "skill/competence", "transversal", "work in teams", ["teamwork", "collaborate"], "Cooperate."),
    ("staff", "skill/competence", "cross-sector", "manage staff", ["lead employees"], "Lead people."),
    ("bake", "skill/competence", "occupation-specific", "bake bread", ["make bread"], "Bake loaves."),
    ("recycle", "skill/competence", "cross-sector", "recycle waste", ["sort waste"], "Reuse things."),
    ("sql", "knowledge", "sector-specific", "SQL", ["structured query language"], "Query databases."),
]

COLLECTIONS = {"digital": ["js", "py", "web", "sql"], "green": ["recycle"], "transversal": ["team"]}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Write a UTF-8 CSV file with a header row (multi-value cells newline-separated, as ESCO does)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_esco(folder: Path, *, lang: str = "en", v12: bool = False, labels: Mapping[str, str] | None = None) -> Path:
    """A complete but tiny ESCO release in ``folder`` (v1.1 layout, or v1.2 with its extra columns); ``labels``
    (skill URI -> preferred label) adds skills to :data:`SKILL_ROWS`."""
    rows = [
        ["KnowledgeSkillCompetence", SKILL + sid, kind, reuse, label, "\n".join(alts), "", "released", "",
         "", "", "", desc]
        for sid, kind, reuse, label, alts, desc in SKILL_ROWS
    ]  # fmt: skip
    rows += [
        ["KnowledgeSkillCompetence", uri, "knowledge", "cross-sector", label, "", "", "released", "", "", "", "", ""]
        for uri, label in (labels or {}).items()
    ]
    write_csv(folder / f"skills_{lang}.csv", SKILLS_HEADER, rows)
    write_csv(
        folder / f"skillGroups_{lang}.csv",
        ["conceptType", "conceptUri", "preferredLabel", "altLabels", "code"],
        [["SkillGroup", SKILL + "g-ict", "ICT", "", "06"]],
    )
    write_csv(
        folder / f"broaderRelationsSkillPillar_{lang}.csv",
        ["conceptType", "conceptUri", "broaderType", "broaderUri"],
        [["KnowledgeSkillCompetence", SKILL + sid, "SkillGroup", SKILL + "g-ict"] for sid in ("js", "py")],
    )
    for name, ids in COLLECTIONS.items():
        write_csv(
            folder / f"{name}SkillsCollection_{lang}.csv",
            ["conceptType", "conceptUri", "preferredLabel", "altLabels"],
            [["KnowledgeSkillCompetence", SKILL + sid, sid, "a | b"] for sid in ids],
        )
    occ_header = ["conceptType", "conceptUri", "iscoGroup", "preferredLabel", "altLabels", "code"]
    occ_rows = [["Occupation", OCC + "dev", "2512", "software developer", "programmer", "2512.1"]]
    if v12:
        occ_header.append("naceCode")
        occ_rows[0].append("J62")
    write_csv(folder / f"occupations_{lang}.csv", occ_header, occ_rows)
    write_csv(
        folder / f"ISCOGroups_{lang}.csv",
        ["conceptType", "conceptUri", "code", "preferredLabel"],
        [["ISCOGroup", "http://data.europa.eu/esco/isco/C2512", "2512", "Software developers"]],
    )
    rel_header = ["occupationUri", "relationType", "skillType", "skillUri"]
    rel_rows = [[OCC + "dev", "essential", "knowledge", SKILL + "js"], [OCC + "dev", "optional", "", SKILL + "sql"]]
    if v12:
        rel_header = ["occupationUri", "occupationLabel", "relationType", "skillType", "skillUri", "skillLabel"]
        rel_rows = [[r[0], "software developer", r[1], r[2], r[3], "x"] for r in rel_rows]
    write_csv(folder / f"occupationSkillRelations_{lang}.csv", rel_header, rel_rows)
    return folder


def stored_release(container: Container, root: Path, labels: Mapping[str, tuple[str, str]]) -> None:
    """Import into ``container``'s store, as ``cairn esco import`` does, a tiny ESCO v1.2.1 release in English and
    Polish (:func:`write_esco`) that also has the skills ``labels`` names: URI -> (English label, Polish label)."""
    folder = root / "ESCO dataset - v1.2.1"
    for i, lang in enumerate(("en", "pl")):
        write_esco(folder / lang, lang=lang, v12=True, labels={uri: names[i] for uri, names in labels.items()})
    container.esco.import_folder(folder)


@cache
def _read_shipped(relative: str) -> tuple[list[str], list[dict[str, str]]]:
    content = lzma.decompress((shipped_esco_folder() / relative).read_bytes()).decode("utf-8")
    reader = csv.DictReader(io.StringIO(content, newline=""))
    return list(reader.fieldnames or []), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    """Write ``rows`` (dicts) under ``header`` as a UTF-8 CSV file, as ESCO publishes them."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header)
        writer.writeheader()
        writer.writerows(rows)


def cut_release(root: Path, *, occupations: int = 12, version: str = "1.1.1") -> Path:
    """A small but complete English ESCO folder (``root/vX/en``) cut from the shipped extract: a few
    occupations with their relations, the skills they name, and the hierarchy, groups and collections."""
    folder = root / f"v{version}" / "en"
    header, occ_rows = _read_shipped("en/occupations_en.csv.xz")
    occ_rows = occ_rows[:occupations]
    occ_uris = {r["conceptUri"] for r in occ_rows}
    write_rows(folder / "occupations_en.csv", header, occ_rows)
    header, rel_rows = _read_shipped("en/occupationSkillRelations_en.csv.xz")
    rel_rows = [r for r in rel_rows if r["occupationUri"] in occ_uris]
    write_rows(folder / "occupationSkillRelations_en.csv", header, rel_rows)
    skill_uris = {r["skillUri"] for r in rel_rows}
    header, skill_rows = _read_shipped("en/skills_en.csv.xz")
    write_rows(folder / "skills_en.csv", header, [r for r in skill_rows if r["conceptUri"] in skill_uris])
    header, broader = _read_shipped("en/broaderRelationsSkillPillar_en.csv.xz")
    broader = [r for r in broader if r["conceptUri"] in skill_uris]
    write_rows(folder / "broaderRelationsSkillPillar_en.csv", header, broader)
    group_uris = {r["broaderUri"] for r in broader}
    header, groups = _read_shipped("en/skillGroups_en.csv.xz")
    write_rows(folder / "skillGroups_en.csv", header, [r for r in groups if r["conceptUri"] in group_uris])
    header, isco = _read_shipped("en/ISCOGroups_en.csv.xz")
    write_rows(folder / "ISCOGroups_en.csv", header, isco)
    for name in ("digital", "transversal", "green", "language"):
        header, members = _read_shipped(f"en/{name}SkillsCollection_en.csv.xz")
        selected = [r for r in members if r["conceptUri"] in skill_uris]
        write_rows(folder / f"{name}SkillsCollection_en.csv", header, selected)
    return folder


def cut_polish(root: Path) -> Path:
    """The Polish occupation and ISCO group files of the shipped extract (no skills): an extra language."""
    folder = root / "v1.2.1" / "pl"
    for base in ("occupations", "ISCOGroups"):
        header, rows = _read_shipped(f"pl/{base}_pl.csv.xz")
        write_rows(folder / f"{base}_pl.csv", header, rows)
    return folder


def esco_with(skills: list[str]) -> EscoData:
    """ESCO data with ``skills`` (labelled by their URIs' ends) and one occupation that needs them all."""
    labels = {
        uri: Skill(uri, "skill/competence", "cross-sector", {"en": Labels(f"skill {uri[-6:]}")}) for uri in skills
    }
    occupation = Occupation(OCC + "target", "2511", "2511.9", {"en": Labels("target job")})
    relations = tuple(OccupationSkill(OCC + "target", uri, "essential") for uri in skills)
    return EscoData("t", ("en",), labels, occupations={occupation.uri: occupation}, occupation_skills=relations)


def index_esco() -> EscoData:
    """Four skills in their collections, for a BM25 skill index (Python, web applications, teams, waste)."""
    rows = {
        "py": ("knowledge", "Python (computer programming)", ("Python",), frozenset({"digital"})),
        "web": ("skill/competence", "develop web applications", ("build websites",), frozenset({"digital"})),
        "team": ("skill/competence", "work in teams", ("teamwork",), frozenset({"transversal"})),
        "recycle": ("skill/competence", "recycle waste", ("sort waste",), frozenset({"green"})),
    }
    skills = {
        SKILL + sid: Skill(SKILL + sid, kind, "cross-sector", {"en": Labels(label, alts)}, collections=names)
        for sid, (kind, label, alts, names) in rows.items()
    }
    return EscoData("t", ("en",), skills)


def aligned_credential(skills: list[str]) -> dict[str, Any]:
    """The part of a credential that careers read: ESCO alignments and an EQF level (5)."""
    alignment = [{"type": ["Alignment"], "targetUrl": uri, "targetFramework": "ESCO"} for uri in skills]
    achievement = {"alignment": alignment, "eqfLevel": "http://data.europa.eu/snb/eqf/5"}
    return {"credentialSubject": {"achievement": achievement}}


def add_wallet(
    database: Database, account_id: int, items: list[tuple[str, list[str]]], *, holder_match: str = "holder"
) -> None:
    """A wallet with one credential per (status, skills), each about the wallet's holder unless told."""
    now = datetime(2026, 5, 1, tzinfo=UTC)
    with database.transaction() as session:
        wallet = WalletRow(account_id=account_id, did="did:key:z6Mk", private_key_encrypted=b"x", created_at=now)
        session.add(wallet)
        session.flush()
        for number, (status, skills) in enumerate(items):
            session.add(
                WalletCredentialRow(
                    id=str(uuid.uuid4()),
                    wallet_id=wallet.id,
                    content_hash=f"{number:064d}",
                    format="ldp_vc",
                    source="upload",
                    original="{}",
                    document=aligned_credential(skills),
                    title=f"Credential {number} ({status})",
                    issuer_name="Uniwersytet",
                    issuer_id="did:web:um",
                    issued_at=now,
                    valid_until=None,
                    status=status,
                    report={},
                    checked_at=now,
                    added_at=now,
                    tags={},
                    search_text="",
                    holder_match=holder_match,
                )
            )


class FakeEncoder:
    """Deterministic bag-of-words hashing vectors: texts sharing words get similar vectors."""

    name = "fake-hashing"
    dim = 64

    def _vector(self, text: str) -> NDArray[np.float32]:
        vector = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.casefold()):
            digest = hashlib.sha256(word.encode()).digest()
            vector[digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def encode_queries(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim), np.float32)

    def encode_passages(self, texts: Sequence[str]) -> NDArray[np.float32]:
        return self.encode_queries(texts)


# -- signed trust lists of other registries ----------------------------------------------------------------------


def accreditation_entry(
    accredited_by: str,
    subject: str,
    *,
    kind: str = "issuer",
    ident: str | None = None,
    name: str = "",
    isced: Sequence[str] = (),
    valid_from: datetime = datetime(2026, 1, 1, tzinfo=UTC),
    history: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """An accreditation as a trust list carries it: ``accredited_by`` accredits ``subject`` (a DID)."""
    entry: dict[str, Any] = {
        "id": ident or f"urn:uuid:{uuid.uuid4()}",
        "kind": kind,
        "subjects": [subject],
        "legalName": name or f"Organisation {subject[-8:]}",
        "country": "PL",
        "identifiers": [],
        "scope": {"isced": list(isced)} if isced else {},
        "accreditedBy": accredited_by,
        "validFrom": valid_from.isoformat().replace("+00:00", "Z"),
        "status": history[-1]["status"] if history else "active",
    }
    if history:
        entry["history"] = list(history)
    return entry


def trust_list_document(
    issuer: str,
    entries: Sequence[dict[str, Any]],
    *,
    valid_from: datetime,
    valid_until: datetime,
    url: str = "https://registry.example/registries/r/trust-list",
) -> dict[str, Any]:
    """An unsigned trust list as a registry publishes it (VC 2.0, type TrustList, W3C contexts only)."""
    return {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/undefined-terms/v2"],
        "id": url,
        "type": ["VerifiableCredential", "TrustList"],
        "issuer": {"id": issuer, "name": "A registry"},
        "validFrom": valid_from.isoformat().replace("+00:00", "Z"),
        "validUntil": valid_until.isoformat().replace("+00:00", "Z"),
        "credentialSubject": {"id": url.rsplit("/", 1)[0], "accreditations": list(entries)},
    }


def sign_list(document: dict[str, Any], key: KeyPair, *, verification_method: str | None = None) -> bytes:
    """``document`` secured with an eddsa-jcs-2022 proof by ``key`` (its did:key unless a method is named), as the
    bytes a registry serves."""
    signed = issue(
        document,
        key=key,
        suite="eddsa-jcs-2022",
        created=document["validFrom"],
        verification_method=verification_method,
    )
    return json.dumps(signed, separators=(",", ":")).encode("utf-8")


# -- Cairn instances served over HTTPS on loopback -----------------------------------------------------------------


def loopback_tls(folder: Path) -> tuple[Path, Path, Path]:
    """A throw-away CA and a server certificate for ``127.0.0.1`` it signed: ``(ca, certificate, key)`` PEM files.
    Servers on loopback present the certificate; clients trust the CA (did:web always means https)."""
    ca_key, ca = make_ca(datetime.now(UTC) - timedelta(days=1))
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    paths = folder / "ca.pem", folder / "server.pem", folder / "server-key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


_PORT_BLOCK = 1000
_next_port: list[int] = []


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, from a block of 1,000 of this test worker's own
    between 20000 and 32000, below the kernel's ephemeral range: a port that ``bind(("127.0.0.1", 0))`` gave was
    taken now and then (CI: 'address already in use') by another worker's server or by an outgoing connection's
    local port between this call and the server's bind, since both draw from the ephemeral range."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    first = 20000 + (int(worker) % 12 if worker.isdigit() else 0) * _PORT_BLOCK
    if not _next_port:
        _next_port.append(first + os.getpid() % _PORT_BLOCK)  # another run beside this one starts elsewhere
    for _ in range(_PORT_BLOCK):
        port = _next_port[0]
        _next_port[0] = first + (port + 1 - first) % _PORT_BLOCK
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in this worker's block")


@dataclass
class RunningServer:
    """A uvicorn server running in a thread of this process; :meth:`stop` ends it."""

    server: Any
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def serve(app: Any, port: int, tls: tuple[Path, Path, Path] | None = None) -> RunningServer:
    """Serve the ASGI ``app`` on ``127.0.0.1:port`` in a thread (with its lifespan), over HTTPS with the certificate
    of :func:`loopback_tls` when ``tls`` is given; returns once it accepts connections."""
    import uvicorn

    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        ssl_certfile=str(tls[1]) if tls else None,
        ssl_keyfile=str(tls[2]) if tls else None,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    return RunningServer(server, thread)


# -- fetchers ----------------------------------------------------------------------------------------------------


class ClientFetcher:
    """Fetches from the Cairn app under test (any scheme and host), refusing what it does not answer with 200."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.calls: list[str] = []

    def fetch(self, url: str) -> Response:
        self.calls.append(url)
        parts = urlsplit(url)
        answer = self.client.get(parts.path + (f"?{parts.query}" if parts.query else ""))
        if answer.status_code != 200:
            raise FetchError(f"{url} answered {answer.status_code}")
        return Response(url, answer.content, answer.headers.get("content-type", "").split(";")[0] or None)


PUBLIC_ADDRESS = "93.184.215.14"


def fake_resolver(host: str, port: int) -> Sequence[str]:
    """No DNS in tests: internal-looking names resolve to private addresses, the rest to one public address."""
    lowered = host.lower()
    if lowered in ("localhost", "metadata.google.internal") or lowered.endswith((".internal", ".local", ".lan")):
        return ["127.0.0.1" if lowered == "localhost" else "10.0.0.7"]
    if lowered.startswith("rebind"):
        return [PUBLIC_ADDRESS, "192.168.1.1"]
    return [PUBLIC_ADDRESS]


class SpyFetcher(HttpsFetcher):
    """The real guarded fetcher (private addresses refused) with the connection step replaced by a record."""

    def __init__(self) -> None:
        super().__init__(timeout=1.0, allow_private=False, resolver=fake_resolver)
        self.attempts: list[str] = []
        self.connections: list[tuple[str, list[str]]] = []

    def fetch(self, url: str) -> Response:
        self.attempts.append(url)
        return super().fetch(url)

    def _request(
        self, target: _Target, addresses: list[str], deadline: float
    ) -> tuple[int, str | None, Response | None]:
        self.connections.append((target.host, list(addresses)))
        raise FetchError("no network in tests")


# -- a live server for the browser tests -------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A Cairn instance serving on loopback, with its container for setting up data."""

    url: str
    container: Container
    clock: ShiftedClock


@dataclass
class Learner:
    """A learner with a claimed and an imported credential, a collection, share links and a public profile."""

    account_id: int
    email: str
    password: str
    claimed: str
    imported: str
    share_token: str
    expired_token: str
    slug: str
    credential_json: str
    claim_token: str = ""


# -- the catalogue editor's organisations and forms (tests/web/test_editor.py and the pages built on it) --------------

EDITOR_PASSWORD = "correct horse battery"
EDITOR_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
EDITOR_UM = "uniwersytet-mazowiecki"
EDITOR_SB = "skillbridge-europe"
EDITOR_PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"
EDITOR_BASE = f"/orgs/{EDITOR_UM}/catalogue"


def csrf_of(page: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def editor_container(database: Database, clock: FixedClock) -> Container:
    """Organisations from the examples, with an owner, an issuer and a viewer of the university and an owner of
    another organisation, each with the editor tests' password."""
    catalog = CatalogService(database, clock=clock)
    catalog.import_paths([EXAMPLES / "organisations"])
    accounts = AccountService(database, clock=clock, password_hasher=EDITOR_HASHER)
    for organisation, email, role in (
        (EDITOR_UM, "owner@example.org", "owner"),
        (EDITOR_UM, "issuer@example.org", "issuer"),
        (EDITOR_UM, "viewer@example.org", "viewer"),
        (EDITOR_SB, "stranger@example.org", "owner"),
    ):
        accounts.add_member(organisation=organisation, email=email, role=role)
        accounts.set_password(email=email, password=EDITOR_PASSWORD)
    built = build(Settings(database_url="sqlite://"), clock=clock, database=database)
    return dataclasses.replace(built, catalog=catalog, accounts=accounts)


def editor_sign_in(client: TestClient, email: str = "issuer@example.org") -> str:
    """Sign in through the pages; the session's CSRF token."""
    token = csrf_of(client.get("/sign-in").text)
    answer = client.post("/sign-in", data={"email": email, "password": EDITOR_PASSWORD, "csrf_token": token})
    assert answer.status_code == 303, answer.text
    return csrf_of(client.get("/account").text)


def valid_definition_form(csrf: str, **changes: Any) -> dict[str, Any]:
    """Every mandatory element filled in, as the form posts it."""
    data: dict[str, Any] = {
        "csrf_token": csrf,
        "action": "save",
        "outcome_rows": "3",
        "target_rows": "1",
        "id": "um-data-cleaning",
        "title.en": "Data cleaning",
        "title.pl": "Czyszczenie danych",
        "learning_outcomes.0.text.en": "Cleans data sets with pandas.",
        "learning_outcomes.0.esco_skills": [EDITOR_PYTHON],
        "workload.ects": "2,5",
        "level.eqf": "6",
        "assessment.types": ["project", "online-test"],
        "participation.mode": "online",
        "quality_assurance.types": ["internal"],
        "integration.stackability": "stand-alone",
    }
    data.update(changes)
    return data


def stored_definition(
    database: Database, slug: str = "um-data-cleaning", version: int | None = None
) -> MicroCredentialDefinition:
    with database.transaction() as session:
        return DefinitionRepository(session).get(slug, version).definition


# -- pathways: an issuer's pathway, a holder with a did:key, presentations (tests/web/test_pathway_*.py, a11y) --------

PATHWAY_ID = "um-data-science"
PATHWAY_TARGET = "um-applied-statistics"
PATHWAY_PARTS = ("um-sql-databases", "um-python-data-analysis")
HOLDER_KEY = KeyPair.from_secret(KeyType.ED25519, bytes(range(1, 33)))
HOLDER_DID = did_key(HOLDER_KEY.public)
OTHER_HOLDER_KEY = KeyPair.from_secret(KeyType.ED25519, bytes(range(2, 34)))


def pathway_document(**changes: Any) -> dict[str, Any]:
    """A pathway of the university: its two courses stack into applied statistics, after the issuer's review."""
    data: dict[str, Any] = {
        "id": PATHWAY_ID,
        "title": {"en": "Data science", "pl": "Nauka o danych"},
        "issuer": ORG,
        "target": PATHWAY_TARGET,
        "review": "issuer",
        "rules": {"all": [{"component": {"definition": slug}} for slug in PATHWAY_PARTS]},
    }
    data.update(changes)
    return data


def add_members(container: Container, *members: tuple[str, str, str]) -> None:
    """``(organisation, email, role)`` members, each with :data:`EDITOR_PASSWORD`."""
    for organisation, email, role in members:
        container.accounts.add_member(organisation=organisation, email=email, role=role)
        container.accounts.set_password(email=email, password=EDITOR_PASSWORD)


def awarded_to_did(container: Container, holder: str, definitions: Sequence[str] = PATHWAY_PARTS) -> list[Any]:
    """Credentials of the university's ``definitions`` awarded to ``holder`` (a DID), as the holder keeps them."""
    found = []
    for slug in definitions:
        result = container.issuing.award(slug, Recipient(did=holder, name="Ada Nowak"), actor="test", organisation=ORG)
        found.append(container.issuing.get(result.award_id, organisation=ORG).credential)
    return found


def present(
    credentials: Sequence[Any], challenge: str, domain: str, key: KeyPair = HOLDER_KEY, *, jwt: bool = False
) -> dict[str, Any] | str:
    """A presentation of ``credentials`` signed by the did:key of ``key``, bound to ``challenge`` and ``domain``."""
    from cairn.vc.presentations import create_presentation, create_presentation_jwt

    holder = did_key(key.public)
    method = f"{holder}#{holder.removeprefix('did:key:')}"
    if jwt:
        return create_presentation_jwt(
            credentials, holder=holder, key=key, kid=method, challenge=challenge, domain=domain
        )
    return create_presentation(
        credentials,
        holder=holder,
        key=key,
        verification_method=method,
        challenge=challenge,
        domain=domain,
        created="2026-05-04T09:30:00Z",
    )


# -- recognition: the university's data analysis course and its rules ---------------------------------------------

DATA_SKILLS = [
    "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d",
    "http://data.europa.eu/esco/skill/2b92a5b2-6758-4ee3-9fb4-b6387a55cc8f",
    "http://data.europa.eu/esco/skill/97bd1c21-66b2-4b7e-ad0f-e3cda590e378",
    "http://data.europa.eu/esco/skill/9ff9db9d-d14b-426e-83f3-e7449af6c79f",
]
"""The four ESCO skills of :func:`recognition_course`; the Python micro-credential covers some of them."""
STATISTICS = "http://data.europa.eu/esco/skill/7ee4c2ea-b349-4bd2-81a3-ec31475d4833"
"""ESCO's "statistics", a skill of the university's ``um-applied-statistics``: the shipped extract has no Polish label
for it."""
DATA_COURSE = "um-data-analysis"


def recognition_course() -> dict[str, Any]:
    """The university's course "Data analysis" (5 ECTS, EQF 6, ISCED-F 0613) with two outcomes over
    :data:`DATA_SKILLS`, in English and Polish."""
    return {
        "kind": "course",
        "id": DATA_COURSE,
        "title": {"en": "Data analysis", "pl": "Analiza danych"},
        "institution": ORG,
        "ects": 5,
        "eqf": 6,
        "isced_f": "0613",
        "learning_outcomes": [
            {
                "text": {"en": "Cleans and explores data sets", "pl": "Czyści i eksploruje dane"},
                "esco_skills": DATA_SKILLS[:2],
            },
            {"text": {"en": "Models and reports", "pl": "Modeluje i raportuje"}, "esco_skills": DATA_SKILLS[2:]},
        ],
    }


def recognition_rules(slug: str, review: str = "reviewer", **outcome: Any) -> dict[str, Any]:
    """Rules towards :func:`recognition_course`: EQF 5, assessed, 75% of its skills for 5 ECTS (50% for 2);
    ``outcome`` overrides parts of the outcome."""
    return {
        "kind": "recognition",
        "id": slug,
        "title": {"en": "Micro-credentials towards Data analysis", "pl": "Mikropoświadczenia na poczet Analizy danych"},
        "institution": ORG,
        "course": DATA_COURSE,
        "conditions": {"eqf_at_least": 5, "assessed": True, "skills_coverage": 0.75},
        "outcome": {"ects": 5, "review": review, "partial": [{"skills_coverage": 0.5, "ects": 2}], **outcome},
    }


def wallet_holder(
    container: Container, definitions: Sequence[str], email: str = "ada@example.org", *, password: str | None = None
) -> tuple[int, list[str]]:
    """An account whose wallet holds one award of each definition (SkillBridge's for ``sb-``, else the
    university's), claimed from its email; the account and the wallet ids of the credentials."""
    account = container.accounts.create_account(email=email, password=password).id
    ids = []
    for slug in definitions:
        org = "skillbridge-europe" if slug.startswith("sb-") else ORG
        result = container.issuing.award(slug, Recipient(email=email, name="Ada"), actor="test", organisation=org)
        assert result.claim_token
        ids.append(container.wallet.add_from_claim(account, email, result.claim_token).id)
    return account, ids


def did_key_credential(**extra: Any) -> dict[str, Any]:
    """A small VCDM 2.0 credential signed (eddsa-jcs-2022) by a did:key issuer: it verifies offline, with no
    status; ``extra`` adds or replaces properties before signing."""
    key = KeyPair.from_secret(KeyType.ED25519, bytes(range(32)))
    unsigned = {
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://www.w3.org/ns/credentials/examples/v2"],
        "id": "urn:uuid:0f9a2c44-5c0e-4d1f-9a3a-6d0f2b9b7e12",
        "type": ["VerifiableCredential", "ExampleAchievementCredential"],
        "issuer": did_key(key.public),
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": "did:example:learner", "achieved": "First aid"},
        **extra,
    }
    secured = issue(unsigned, key=key, suite="eddsa-jcs-2022", created=datetime(2026, 1, 2, tzinfo=UTC))
    assert isinstance(secured, dict)
    return secured
