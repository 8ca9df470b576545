"""Settings: each declared once, with its variable, default and a help line.

Values come from ``CAIRN_*`` environment variables, read only by :mod:`cairn.bootstrap`, which
passes the mapping to :meth:`Settings.from_environ`. An invalid value fails loudly, naming the
variable; a required value that is missing fails when the feature needing it starts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from cairn.errors import ConfigurationError
from cairn.store.database import safe_url

__all__ = ["Settings", "describe"]


def _setting(env: str, default: Any, help: str, *, secret: bool = False) -> Any:
    return field(default=default, metadata={"env": env, "help": help, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Every setting of a Cairn instance."""

    database_url: str = _setting(
        "CAIRN_DATABASE_URL",
        "sqlite:///./cairn.db",
        "database: sqlite:///PATH (embedded, the default) or postgresql://USER:PASSWORD@HOST:PORT/DB",
    )
    host: str = _setting("CAIRN_HOST", "127.0.0.1", "address that 'cairn serve' listens on")
    port: int = _setting("CAIRN_PORT", 8000, "port that 'cairn serve' listens on")
    trusted_proxies: str = _setting(
        "CAIRN_TRUSTED_PROXIES",
        "127.0.0.1,::1",
        "reverse proxies whose X-Forwarded-For and X-Forwarded-Proto 'cairn serve' believes: addresses or networks "
        "(10.0.0.0/8), comma-separated, or '*' for any; 'none' when clients reach Cairn directly. The address this "
        "yields is the one sign-in limits count (an IPv6 one by its /64)",
    )
    base_url: str = _setting(
        "CAIRN_BASE_URL",
        "",
        "public URL of this instance, used in credentials and links (default http://HOST:PORT)",
    )
    secret_key: str | None = _setting(
        "CAIRN_SECRET_KEY",
        None,
        "secret from which keys that encrypt signing keys at rest and sign sessions are derived; "
        "required to issue credentials",
        secret=True,
    )
    demo_token: str | None = _setting(
        "CAIRN_DEMO_TOKEN",
        None,
        "with 'cairn serve --demo': an API token given to the demo issuer",
        secret=True,
    )
    smtp_url: str | None = _setting(
        "CAIRN_SMTP_URL",
        None,
        "outgoing email: smtp://USER:PASSWORD@HOST:587 (STARTTLS) or smtps://USER:PASSWORD@HOST:465, ?from=ADDRESS "
        "for the sender; unset: emails stay in the outbox ('cairn mail list')",
        secret=True,
    )
    mail_from: str = _setting(
        "CAIRN_MAIL_FROM", "", "sender of Cairn's emails (default: the SMTP URL's ?from=, else Cairn <cairn@localhost>)"
    )
    session_hours: int = _setting("CAIRN_SESSION_HOURS", 12, "hours a browser session lasts after sign-in")
    sign_in_link_minutes: int = _setting("CAIRN_SIGN_IN_LINK_MINUTES", 15, "minutes an emailed sign-in link works")
    fetch_allow_private: bool = _setting(
        "CAIRN_FETCH_ALLOW_PRIVATE",
        False,
        "let verification fetch from private, loopback and plain-http addresses (did:web, status lists); "
        "off by default: outbound fetches go only to public https addresses",
    )
    fetch_timeout: int = _setting("CAIRN_FETCH_TIMEOUT", 10, "seconds an outbound fetch may take in all")
    trust_list: str = _setting(
        "CAIRN_TRUST_LIST",
        "",
        "YAML or JSON file of issuers this instance trusts (DIDs and/or organisations, optional notes, and "
        "'certificates' for ELM seals); the verifier says whether an issuer is on it",
    )
    registry_sync_minutes: int = _setting(
        "CAIRN_REGISTRY_SYNC_MINUTES",
        60,
        "minutes between syncs of the trust lists of federated registries, a job of the queue ('cairn worker'; "
        "'cairn serve' on SQLite); 'cairn registry sync' runs one now; 0: no background sync",
    )
    serve_worker: bool = _setting(
        "CAIRN_SERVE_WORKER",
        False,
        "on PostgreSQL, let 'cairn serve' run queued jobs too (bulk awards, emails, purges, registry syncs); off by "
        "default: run 'cairn worker' beside it. On SQLite 'cairn serve' always runs them in a thread of its own",
    )
    job_retry_seconds: int = _setting(
        "CAIRN_JOB_RETRY_SECONDS", 10, "seconds before a failed job (a bulk award's batch, say) is tried again"
    )
    job_stalled_seconds: int = _setting(
        "CAIRN_JOB_STALLED_SECONDS",
        30,
        "seconds without a heartbeat after which a 'cairn worker' (killed, its host lost) is taken for stopped and "
        "its running jobs are queued again (checked every third of that time, at most every minute); the workers "
        "send heartbeats every third of it too, so every process of an instance should have the same value",
    )
    registry_list_max_bytes: int = _setting(
        "CAIRN_REGISTRY_LIST_MAX_BYTES",
        33_554_432,
        "largest trust list accepted from a federated registry, in bytes (default 32 MiB); a larger answer is refused",
    )
    registry_sync_timeout: int = _setting(
        "CAIRN_REGISTRY_SYNC_TIMEOUT",
        60,
        "seconds a federated registry's trust list may take to download, in all; a slower answer is refused",
    )
    skills_index: str = _setting(
        "CAIRN_SKILLS_INDEX",
        "",
        "folder of the ESCO skill suggestion index, which 'cairn serve' builds in the background (about 20 s) "
        "when it is missing or of another ESCO release; default: next to the SQLite file (cairn.db -> "
        "cairn-skills-index), or $XDG_CACHE_HOME/cairn/skills-index (~/.cache/...) with PostgreSQL; 'none' (or an "
        "in-memory database): no full index, suggestions match English words only",
    )
    default_language: str = _setting("CAIRN_DEFAULT_LANGUAGE", "en", "language of pages when the browser asks for none")
    log_level: str = _setting("CAIRN_LOG_LEVEL", "info", "log level: debug, info, warning or error")
    max_upload_bytes: int = _setting(
        "CAIRN_MAX_UPLOAD_BYTES", 52_428_800, "largest upload accepted, in bytes (default 50 MiB)"
    )
    counts_flush_seconds: int = _setting(
        "CAIRN_COUNTS_FLUSH_SECONDS",
        5,
        "seconds between two writes of the verification counts kept in memory (policy analytics); also written "
        "after 5,000 verifications and when the server stops",
    )
    wallet_recheck_minutes: int = _setting(
        "CAIRN_WALLET_RECHECK_MINUTES",
        60,
        "minutes after which a wallet credential is verified again (status, validity) when its owner opens it or "
        "a public page (share link, profile, link preview, certificate) shows it",
    )
    analytics_k: int = _setting(
        "CAIRN_ANALYTICS_K",
        10,
        "policy analytics: the smallest group of people a released figure may be about; smaller cells, and those "
        "that would let one be recomputed, are withheld (at least 2)",
    )
    analytics_epsilon: float = _setting(
        "CAIRN_ANALYTICS_EPSILON",
        0.0,
        "policy analytics: the privacy budget of the differentially private open-data release made at each refresh "
        "(for example 1.0; smaller is more private and noisier); 0: no such release",
    )
    analytics_refresh: str = _setting(
        "CAIRN_ANALYTICS_REFRESH",
        "30 2 * * *",
        "when the worker refreshes the analytics snapshot, as a cron line (default nightly at 02:30); 'none': only "
        "'cairn analytics refresh'",
    )
    analytics_cache: str = _setting(
        "CAIRN_ANALYTICS_CACHE",
        "",
        "folder where each process keeps its copy of the newest analytics snapshot; default: next to the SQLite "
        "file (cairn.db -> cairn-analytics), or $XDG_CACHE_HOME/cairn/analytics with PostgreSQL",
    )
    wallet_refresh_minutes: int = _setting(
        "CAIRN_WALLET_REFRESH_MINUTES",
        15,
        "minutes between runs of the job that verifies again the wallet credentials older than "
        "CAIRN_WALLET_RECHECK_MINUTES (status lists, validity; a learner is emailed when another issuer revokes, "
        "suspends or reinstates one), 1 to 60; 0: no background refresh, listing a wallet re-checks instead",
    )

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from ``CAIRN_*`` variables, then ``overrides`` (command-line options) on top."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            env = f.metadata["env"]
            if env in environ and environ[env] != "":
                values[f.name] = _convert(env, environ[env], f.default)
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise ConfigurationError for a value that can never work."""
        if not 0 < self.port < 65536:
            raise ConfigurationError(f"CAIRN_PORT must be between 1 and 65535, not {self.port}")
        if self.log_level not in ("debug", "info", "warning", "error"):
            raise ConfigurationError(f"CAIRN_LOG_LEVEL must be debug, info, warning or error, not '{self.log_level}'")
        if self.secret_key is not None and len(self.secret_key) < 32:
            raise ConfigurationError("CAIRN_SECRET_KEY must be at least 32 characters long")
        if self.session_hours <= 0 or self.sign_in_link_minutes <= 0:
            raise ConfigurationError("CAIRN_SESSION_HOURS and CAIRN_SIGN_IN_LINK_MINUTES must be positive")
        if self.fetch_timeout <= 0:
            raise ConfigurationError("CAIRN_FETCH_TIMEOUT must be positive")
        if self.max_upload_bytes <= 0:
            raise ConfigurationError("CAIRN_MAX_UPLOAD_BYTES must be positive")
        if self.counts_flush_seconds <= 0:
            raise ConfigurationError("CAIRN_COUNTS_FLUSH_SECONDS must be positive")
        if self.wallet_recheck_minutes <= 0:
            raise ConfigurationError("CAIRN_WALLET_RECHECK_MINUTES must be positive")
        if self.analytics_epsilon < 0:
            raise ConfigurationError("CAIRN_ANALYTICS_EPSILON must be 0 (no release) or more")
        if self.analytics_k < 2:
            raise ConfigurationError("CAIRN_ANALYTICS_K must be at least 2")
        if not 0 <= self.wallet_refresh_minutes <= 60:
            raise ConfigurationError("CAIRN_WALLET_REFRESH_MINUTES must be 0 (no background refresh) to 60")
        if self.registry_sync_minutes < 0:
            raise ConfigurationError("CAIRN_REGISTRY_SYNC_MINUTES must be 0 (no background sync) or more")
        if self.registry_list_max_bytes <= 0 or self.registry_sync_timeout <= 0:
            raise ConfigurationError("CAIRN_REGISTRY_LIST_MAX_BYTES and CAIRN_REGISTRY_SYNC_TIMEOUT must be positive")

    def require_secret_key(self) -> str:
        """The secret key, or a ConfigurationError saying how to set it."""
        if not self.secret_key:
            raise ConfigurationError(
                "CAIRN_SECRET_KEY is not set: generate one with "
                "'python -c \"import secrets; print(secrets.token_urlsafe(48))\"' and export it"
            )
        return self.secret_key

    @property
    def public_url(self) -> str:
        """The instance's public base URL, without a trailing slash."""
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with some values replaced (ignoring None)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def _convert(env: str, raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError:
            raise ConfigurationError(f"{env} must be a whole number, not '{raw}'") from None
    if isinstance(default, float):
        try:
            value = float(raw)
        except ValueError:
            raise ConfigurationError(f"{env} must be a number, not '{raw}'") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise ConfigurationError(f"{env} must be a finite number, not '{raw}'")
        return value
    return raw


def describe(settings: Settings) -> Iterator[tuple[str, str, str]]:
    """``(variable, value for display, help)`` for every setting; secrets and passwords masked."""
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.metadata["secret"]:
            shown = "(not set)" if not value else "******** (set)"
        elif f.name == "database_url":
            shown = safe_url(str(value))
        else:
            shown = "(not set)" if value in (None, "") else str(value)
        yield f.metadata["env"], shown, f.metadata["help"]
