"""The one place that turns settings into concrete objects (and the only reader of the environment).

``cairn.cli.main`` and the ASGI entry point call :func:`load_settings` and :func:`build`; everything
else receives what it needs as arguments.
"""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from cairn import __version__
from cairn.errors import ConfigurationError
from cairn.services.accounts.service import AccountService
from cairn.services.analytics.service import AnalyticsService
from cairn.services.audit import AuditService, audit_key
from cairn.services.backup.service import BackupService
from cairn.services.careers.demand import DemandCounts
from cairn.services.careers.esco import EscoService
from cairn.services.careers.service import CareersService
from cairn.services.catalog.badges import BadgeService
from cairn.services.catalog.coawards import CoAwardService
from cairn.services.catalog.cocreation import CoCreationService
from cairn.services.catalog.editing import EditingService
from cairn.services.catalog.elm import ElmCatalogue
from cairn.services.catalog.service import CatalogService
from cairn.services.endorsements.service import EndorsementService
from cairn.services.issuing.api import ApiIssuingService
from cairn.services.issuing.bulk import BulkAwardService
from cairn.services.issuing.bulk_uploads import BulkUploads
from cairn.services.issuing.claims import ClaimService
from cairn.services.issuing.keys import KeyService, did_for
from cairn.services.issuing.queries import AwardQueryService
from cairn.services.issuing.sdjwt import SdJwtVcService
from cairn.services.issuing.seals import SealService
from cairn.services.issuing.service import IssuingService
from cairn.services.issuing.status_lists import StatusListService
from cairn.services.jobs.queue import JobQueue
from cairn.services.jobs.tasks import register_tasks, schedule
from cairn.services.mail import Mailer
from cairn.services.openid4vci.authorization import AuthorizationServer
from cairn.services.openid4vci.enrolment import EnrolmentOffers
from cairn.services.openid4vci.formats import SD_JWT_VC, BoundCopies, CredentialConfiguration, w3c_formats
from cairn.services.openid4vci.issuance import CredentialEndpoint
from cairn.services.openid4vci.service import OpenID4VCIService
from cairn.services.openid4vp.holder import WalletAnswers
from cairn.services.openid4vp.verifier import OpenID4VPVerifier
from cairn.services.pathways.claims import PathwayClaimService
from cairn.services.pathways.service import PathwayService
from cairn.services.recognition.documents import RecognitionStore
from cairn.services.recognition.service import RecognitionService
from cairn.services.trust.ebsi import TrustedIssuersRegistry
from cairn.services.trust.federation import FederationService
from cairn.services.trust.network import TrustNetwork
from cairn.services.trust.operator import TrustList, load_trust_list
from cairn.services.trust.publication import PublicationService
from cairn.services.trust.registry import RegistryService
from cairn.services.verification.batch import BatchVerifier
from cairn.services.verification.counting import VerificationCounts, identify_with
from cairn.services.verification.local_fetch import InstanceFetcher
from cairn.services.verification.service import VerificationService
from cairn.services.wallet.receiving import CredentialReceiver
from cairn.services.wallet.refresh import WalletRefresher
from cairn.services.wallet.service import WalletService
from cairn.services.wallet.sharing import SharingService
from cairn.services.wallet.statistics import LearnerStatistics
from cairn.settings import Settings
from cairn.store.database import Database
from cairn.vc.fetch import CachingFetcher, Fetcher, HttpsFetcher

__all__ = [
    "Container",
    "analytics_folder",
    "build",
    "demo_catalog_path",
    "load_settings",
    "schedule_jobs",
    "skills_index_folder",
    "utc_now",
]


def utc_now() -> datetime:
    """The real clock, in UTC; only bootstrap hands it out."""
    return datetime.now(UTC)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the process environment, with command-line ``overrides`` on top."""
    return Settings.from_environ(os.environ, **overrides)


@dataclass(frozen=True)
class Container:
    """The concrete objects of one Cairn instance: every service a route, a command or a worker uses is here,
    built once by :func:`build` (nothing else constructs services from settings)."""

    settings: Settings
    database: Database
    clock: Callable[[], datetime]
    # accounts
    accounts: AccountService
    mailer: Mailer
    # catalog
    catalog: CatalogService
    editing: EditingService
    badges: BadgeService
    coawards: CoAwardService
    cocreation: CoCreationService
    elm_catalogue: ElmCatalogue
    """The published catalogue as ELM learning opportunities (Europass QDR)."""
    # issuing
    keys: KeyService
    status_lists: StatusListService
    issuing: IssuingService
    sd_jwt: SdJwtVcService
    """Awards as SD-JWT VCs (EUDI Learning Credential) and their OpenID4VCI configuration."""
    seals: SealService
    """Organisations' X.509 seal certificates; awards as JAdES-sealed European Digital Credentials."""
    bulk: BulkAwardService
    award_queries: AwardQueryService
    bulk_uploads: BulkUploads
    """Bulk awards posted from the web, run as jobs."""
    jobs: JobQueue
    """The job queue (PostgreSQL tables, or in memory on SQLite) with every task registered."""
    api_issuing: ApiIssuingService
    audit: AuditService
    claims: ClaimService
    # verification
    verification: VerificationService
    batch: BatchVerifier
    verification_counts: VerificationCounts
    """Verifications by someone else, counted in memory and written every few seconds (policy analytics)."""
    # wallet
    wallet: WalletService
    wallet_refresh: WalletRefresher
    pathways: PathwayService
    pathway_claims: PathwayClaimService
    recognition: RecognitionService
    endorsements: EndorsementService
    sharing: SharingService
    learner_statistics: LearnerStatistics
    """A learner's consented answers for aggregate statistics (``/wallet/statistics``)."""
    openid4vci: OpenID4VCIService
    """Credential offers to other wallets, the token and nonce endpoints (OpenID4VCI)."""
    credential_endpoint: CredentialEndpoint
    enrolment_offers: EnrolmentOffers
    """Offers at enrolment: an organisation's offer before the award, its credentials deferred until then."""
    openid4vci_authorization: AuthorizationServer
    """The authorization code flow of OpenID4VCI: pushed requests, the learner's consent, codes for tokens."""
    presentation_requests: OpenID4VPVerifier
    """Organisations' OpenID4VP presentation requests and the response endpoint."""
    wallet_answers: WalletAnswers
    """Cairn's wallet answering OpenID4VP requests."""
    receiving: CredentialReceiver
    """Cairn's wallet receiving credentials other issuers offer (OpenID4VCI, as a client)."""
    # careers
    careers: CareersService
    esco: EscoService
    # trust network
    trust: TrustNetwork
    registry: RegistryService
    federation: FederationService
    backups: BackupService
    """Encrypted archives of every table (``cairn backup`` / ``cairn restore``)."""
    publication: PublicationService
    tir: TrustedIssuersRegistry
    analytics: AnalyticsService
    """Policy analytics: the snapshot refresh (a job) and indicator tables with small cells withheld."""


def _own_did_prefix(settings: Settings) -> str | None:
    """``did:web:HOST:orgs:``: the DIDs of this instance's own organisations start with it."""
    try:
        return did_for(settings.public_url, "x")[:-1]
    except ConfigurationError:
        return None


def _local_folder(settings: Settings, name: str) -> Path | None:
    """``NAME`` next to the SQLite file (``cairn.db`` -> ``cairn-NAME``), or in the user's cache folder with
    PostgreSQL (``$XDG_CACHE_HOME/cairn/NAME``, ``~/.cache/...``); None with an in-memory SQLite database."""
    url = settings.database_url
    if url.startswith("sqlite"):
        path = url.split("://", 1)[-1].split("?", 1)[0]
        path = path[1:] if path.startswith("/") else path
        if path in ("", ":memory:"):
            return None
        file = Path(path)
        return file.with_name(f"{file.stem}-{name}")
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "cairn" / name


def skills_index_folder(settings: Settings) -> Path | None:
    """Where the skill suggestion index lives: ``CAIRN_SKILLS_INDEX``; else next to the SQLite file
    (``cairn.db`` -> ``cairn-skills-index``); else, with PostgreSQL, the user's cache folder
    (``$XDG_CACHE_HOME/cairn/skills-index``, ``~/.cache/...``); None with an in-memory SQLite database or
    ``CAIRN_SKILLS_INDEX=none`` (no full index: suggestions match English words only)."""
    if settings.skills_index.strip().lower() == "none":
        return None
    if settings.skills_index:
        return Path(settings.skills_index)
    return _local_folder(settings, "skills-index")


def analytics_folder(settings: Settings) -> Path:
    """Where this process keeps its copy of the analytics snapshot: ``CAIRN_ANALYTICS_CACHE``, else as the skills
    index (a temporary folder of the process with an in-memory database)."""
    if settings.analytics_cache:
        return Path(settings.analytics_cache)
    return _local_folder(settings, "analytics") or Path(tempfile.gettempdir()) / f"cairn-analytics-{os.getpid()}"


def _use_encoder() -> Any:
    from cairn.skills.encoders import UseEncoder

    return UseEncoder(threads=1)


def build(
    settings: Settings,
    *,
    clock: Callable[[], datetime] = utc_now,
    database: Database | None = None,
    fetcher: Fetcher | None = None,
    trust: TrustList | TrustNetwork | None = None,
    online: bool = True,
    ssl_context: ssl.SSLContext | None = None,
) -> Container:
    """Build the database and services that ``settings`` describe (on ``database`` when one is given, which then
    links the audit chain with the key ``CAIRN_SECRET_KEY`` gives, see :attr:`Database.audit_key`).

    ``fetcher`` replaces the instance's fetcher (its own documents served locally, the rest over guarded HTTPS)
    and ``trust`` the trust list ``CAIRN_TRUST_LIST`` names, for every service that verifies; embedding code
    and tests use them. ``online=False``: the instance's own documents only, nothing fetched from elsewhere.
    ``ssl_context``: the TLS trust of outbound fetches (default: the system's; tests trust a CA of their own)."""
    database = database or Database(settings.database_url)
    if settings.secret_key:
        database.audit_key = audit_key(settings.secret_key)
    keys = KeyService(database, secret_key=settings.require_secret_key, public_url=settings.public_url, clock=clock)
    status_lists = StatusListService(database, keys=keys, clock=clock)
    issuing = IssuingService(database, keys=keys, status_lists=status_lists, clock=clock)
    guarded = HttpsFetcher(
        timeout=settings.fetch_timeout,
        allow_private=settings.fetch_allow_private,
        allow_http=settings.fetch_allow_private,
        ssl_context=ssl_context,
    )
    if trust is None:
        trust = load_trust_list(settings.trust_list, own_prefix=_own_did_prefix(settings))
    operator = trust.operator if isinstance(trust, TrustNetwork) else trust
    network = TrustNetwork(database, clock=clock, operator=operator)
    registry = RegistryService(database, clock=clock, keys=keys, network=network, public_url=settings.public_url)
    local = InstanceFetcher(
        public_url=settings.public_url,
        keys=keys,
        status_lists=status_lists,
        outward=CachingFetcher(guarded) if online else None,
        guarded=guarded if online else None,
        registry=registry,
    )
    verification = VerificationService(fetcher=fetcher or local, clock=clock, trust=network)
    federation = FederationService(
        database,
        clock=clock,
        network=network,
        verification=verification,
        fetch_list=local.fetch_list,
        max_list_bytes=settings.registry_list_max_bytes,
        timeout=settings.registry_sync_timeout,
        allow_http=settings.fetch_allow_private,
        is_local=local.is_local,
    )
    esco = EscoService(database, clock=clock)
    pathways = PathwayService(
        database, clock=clock, verification=verification, did_of=keys.did, public_url=settings.public_url
    )
    recognition_store = RecognitionStore(database, clock=clock)
    catalog = CatalogService(database, clock=clock, pathways=pathways, recognition=recognition_store)
    badges = BadgeService(database, clock=clock, public_url=settings.public_url)
    publication = PublicationService(
        registry=registry, keys=keys, network=network, clock=clock, public_url=settings.public_url
    )
    wallet = WalletService(
        database,
        clock=clock,
        verification=verification,
        secret_key=settings.require_secret_key,
        issuing=issuing,
        max_upload_bytes=settings.max_upload_bytes,
        recheck_after=timedelta(minutes=settings.wallet_recheck_minutes),
        refresh_on_list=settings.wallet_refresh_minutes == 0,
    )
    wallet_refresh = WalletRefresher(wallet, public_url=settings.public_url)
    pathway_claims = PathwayClaimService(
        database,
        clock=clock,
        pathways=pathways,
        verification=verification,
        issuing=issuing,
        wallet=wallet,
        secret=lambda: settings.require_secret_key().encode(),
    )
    verification.composites = pathway_claims.check_composite
    api_issuing = ApiIssuingService(database, keys=keys, clock=clock, status_lists=status_lists)
    recognition = RecognitionService(
        database,
        clock=clock,
        store=recognition_store,
        pathways=pathways,
        verification=verification,
        api_issuing=api_issuing,
        status_lists=status_lists,
        wallet=wallet,
        secret=lambda: settings.require_secret_key().encode(),
        public_url=settings.public_url,
    )
    seals = SealService(database, issuing=issuing, keys=keys, secret_key=settings.require_secret_key, clock=clock)
    sd_jwt = SdJwtVcService(issuing=issuing, keys=keys, status_lists=status_lists, clock=clock, seal_key=seals.jwt_key)
    formats = w3c_formats(BoundCopies(database, keys=keys))
    formats.register(
        CredentialConfiguration(
            SD_JWT_VC,
            "dc+sd-jwt",
            sd_jwt.configuration,
            lambda award_id, *, holder_jwk, holder_did: sd_jwt.issue(award_id, holder_jwk=holder_jwk),
        )
    )
    openid4vci = OpenID4VCIService(
        database,
        clock=clock,
        wallet=wallet,
        formats=formats,
        secret=lambda: settings.require_secret_key().encode(),
        public_url=settings.public_url,
    )
    presentation_requests = OpenID4VPVerifier(
        database,
        clock=clock,
        keys=keys,
        verification=verification,
        secret=lambda: settings.require_secret_key().encode(),
        public_url=settings.public_url,
    )
    wallet_answers = WalletAnswers(
        verifier=presentation_requests,
        wallet=wallet,
        verification=verification,
        sd_jwt=sd_jwt,
        clock=clock,
        outbound=guarded if online else None,
        allow_http=settings.fetch_allow_private,
    )
    mailer = Mailer.from_url(database, clock=clock, smtp_url=settings.smtp_url, sender=settings.mail_from or None)
    bulk = BulkAwardService(issuing, max_upload_bytes=settings.max_upload_bytes)
    award_queries = AwardQueryService(database, recipient_key=keys.recipient_key)
    jobs = JobQueue.for_database(
        database.url, database.dialect, retry_wait=settings.job_retry_seconds,
        stalled_seconds=settings.job_stalled_seconds,
    )  # fmt: skip
    uploads = BulkUploads(
        database, bulk=bulk, queries=award_queries, jobs=jobs, secret_key=settings.require_secret_key, clock=clock
    )
    analytics = AnalyticsService(
        database, analytics_folder(settings), clock=clock, k=settings.analytics_k, epsilon=settings.analytics_epsilon
    )
    register_tasks(
        jobs,
        database=database,
        mailer=mailer,
        uploads=uploads,
        refresher=wallet_refresh,
        wallet_refresh_minutes=settings.wallet_refresh_minutes,
        analytics=analytics,
        status_lists=status_lists,
    )
    accounts = AccountService(
        database,
        clock=clock,
        public_url=settings.public_url,
        session_lifetime=timedelta(hours=settings.session_hours),
        link_lifetime=timedelta(minutes=settings.sign_in_link_minutes),
    )
    counts = VerificationCounts(
        database,
        clock=clock,
        own_prefix=_own_did_prefix(settings),
        identify=identify_with(accounts),
        flush_seconds=settings.counts_flush_seconds,
    )
    presentation_requests.counted = counts.add

    def registry_scopes() -> list[tuple[int, ...]]:
        registries = sorted({stored.registry for stored in registry.accreditations()})
        return [registry.accredited_organisations(slug) for slug in registries]

    analytics.scopes = registry_scopes
    return Container(
        settings=settings,
        database=database,
        clock=clock,
        accounts=accounts,
        mailer=mailer,
        catalog=catalog,
        editing=EditingService(database, clock=clock, verification=verification),
        badges=badges,
        coawards=CoAwardService(database, clock=clock),
        cocreation=CoCreationService(database, clock=clock),
        elm_catalogue=ElmCatalogue(catalog, did=keys.did, public_url=settings.public_url),
        keys=keys,
        status_lists=status_lists,
        issuing=issuing,
        sd_jwt=sd_jwt,
        seals=seals,
        bulk=bulk,
        award_queries=award_queries,
        bulk_uploads=uploads,
        jobs=jobs,
        api_issuing=api_issuing,
        audit=AuditService(database, clock=clock),
        claims=ClaimService(database, public_url=settings.public_url, clock=clock),
        verification=verification,
        batch=BatchVerifier(verification=verification, max_age=timedelta(minutes=settings.wallet_recheck_minutes)),
        verification_counts=counts,
        wallet=wallet,
        wallet_refresh=wallet_refresh,
        pathways=pathways,
        pathway_claims=pathway_claims,
        recognition=recognition,
        endorsements=EndorsementService(
            database,
            clock=clock,
            catalog=catalog,
            api_issuing=api_issuing,
            status_lists=status_lists,
            verification=verification,
            public_url=settings.public_url,
        ),
        sharing=SharingService(
            database,
            clock=clock,
            public_url=settings.public_url,
            verification=verification,
            recheck_after=timedelta(minutes=settings.wallet_recheck_minutes),
            badge_image=badges.image_for,
            secret=lambda: settings.require_secret_key().encode(),
        ),
        learner_statistics=LearnerStatistics(database, clock=clock),
        openid4vci=openid4vci,
        credential_endpoint=CredentialEndpoint(openid4vci),
        enrolment_offers=EnrolmentOffers(openid4vci, issuing),
        openid4vci_authorization=AuthorizationServer(openid4vci),
        presentation_requests=presentation_requests,
        wallet_answers=wallet_answers,
        receiving=CredentialReceiver(
            wallet=wallet, outbound=guarded if online else None, allow_http=settings.fetch_allow_private
        ),
        careers=CareersService(
            database,
            catalog=catalog,
            index_folder=skills_index_folder(settings),
            esco_data=esco.data,
            esco_version=esco.version,
            encoder=_use_encoder,
            demand=DemandCounts(database, clock=clock),
        ),
        esco=esco,
        trust=network,
        registry=registry,
        federation=federation,
        backups=BackupService(database, keys=keys, version=__version__, clock=clock),
        publication=publication,
        tir=TrustedIssuersRegistry(
            keys=keys, network=network, clock=clock, public_url=settings.public_url, local_slug=publication.local_slug
        ),
        analytics=analytics,
    )


def schedule_jobs(container: Container) -> None:
    """Register the periodic jobs as ``container``'s settings say, before a worker starts (``cairn serve``,
    ``cairn worker``)."""
    schedule(
        container.jobs,
        database=container.database,
        clock=container.clock,
        mailer=container.mailer,
        federation=container.federation,
        registry_sync_minutes=container.settings.registry_sync_minutes,
        refresher=container.wallet_refresh,
        wallet_refresh_minutes=container.settings.wallet_refresh_minutes,
        analytics=container.analytics,
        analytics_refresh=container.settings.analytics_refresh,
        status_lists=container.status_lists,
    )


def demo_catalog_path() -> Path:
    """The example catalogue shipped in the package (``examples/catalog`` in a checkout links to it)."""
    return Path(str(resources.files("cairn") / "demo" / "catalog"))
