"""The mailer: sends the outbox's emails over SMTP when SMTP is configured; otherwise they wait there.

Emails are written to the outbox in the transaction that causes them (a sign-in link, an award's claim
link); :meth:`Mailer.send_pending` sends them later, one transaction per email, recording ``sent_at`` or
the attempt and its error. On PostgreSQL each email is locked while it is sent, so several processes can
run the mailer without sending anything twice. Bodies carry one-time links: nothing here logs them, a sent
email's body is kept with those links removed (:func:`without_links`), and the SMTP password never appears in a
log, a ``repr`` or an error.

SMTP URLs: ``smtp://USER:PASSWORD@HOST:PORT`` (port 587 by default; STARTTLS whenever the server offers
it, and required before a password is sent to any host but this one) or ``smtps://...`` (TLS from the
start, port 465 by default). ``?from=ADDRESS`` sets the sender.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from cairn.errors import CairnError, ConfigurationError
from cairn.store.accounts.repository import OutboxQueue
from cairn.store.database import Database
from cairn.store.tables import OutboxRow

__all__ = [
    "DEFAULT_SENDER",
    "LINK_REMOVED",
    "DeliveryReport",
    "Mailer",
    "OutboxMessage",
    "SmtpConfig",
    "SmtpTransport",
    "Transport",
    "without_links",
]

log = logging.getLogger("cairn.mail")

DEFAULT_SENDER = "Cairn <cairn@localhost>"
_LOOPBACK = ("localhost", "127.0.0.1", "::1")
LINK_REMOVED = "[link removed once sent]"
_URL = re.compile(r"https?://\S+")
_SECRET_PART = re.compile(r"[?#]|/[A-Za-z0-9_-]{20,}")


def without_links(body: str) -> str:
    """``body`` with every link that may carry a secret (a query, a fragment, or a long random path segment: sign-in,
    claim and share links) replaced by :data:`LINK_REMOVED`; plain links such as ``/sign-in`` stay."""
    return _URL.sub(
        lambda m: LINK_REMOVED if _SECRET_PART.search(m.group(0), m.group(0).find("//") + 2) else m.group(0), body
    )


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    """Where and how to send: parsed from an SMTP URL; the password is left out of ``repr``."""

    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse ``smtp://`` or ``smtps://`` URLs; ConfigurationError (without the password) otherwise."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError:
            raise ConfigurationError("CAIRN_SMTP_URL is not a URL like smtp://user:password@host:587") from None
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ConfigurationError("CAIRN_SMTP_URL must look like smtp://user:password@host:587 or smtps://...")
        implicit = parts.scheme == "smtps"
        sender = parse_qs(parts.query).get("from", [None])[0]
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587),
            implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=sender,
        )


class Transport(Protocol):
    """Something that sends an email (SMTP in production; a list in tests)."""

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` or raise (OSError, smtplib.SMTPException, ValueError)."""

    def close(self) -> None:
        """Let go of any connection."""


class SmtpTransport:
    """Sends over one SMTP connection, opened when needed and reused until :meth:`close` or an error."""

    def __init__(self, config: SmtpConfig, *, timeout: float = 10.0, context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.timeout = timeout
        self.context = context or ssl.create_default_context()
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        connection: smtplib.SMTP
        if c.implicit_tls:
            connection = smtplib.SMTP_SSL(c.host, c.port, timeout=self.timeout, context=self.context)
        else:
            connection = smtplib.SMTP(c.host, c.port, timeout=self.timeout)
        try:
            connection.ehlo()
            if not c.implicit_tls and connection.has_extn("starttls"):
                connection.starttls(context=self.context)
                connection.ehlo()
            elif not c.implicit_tls and c.username and c.host not in _LOOPBACK:
                raise smtplib.SMTPNotSupportedError("the server offers no STARTTLS; refusing to send the password")
            if c.username:
                connection.login(c.username, c.password or "")
        except BaseException:
            connection.close()
            raise
        return connection

    def send(self, message: EmailMessage) -> None:
        """Send one message, connecting first when needed; the connection is dropped after an error."""
        if self._connection is None:
            self._connection = self._connect()
        try:
            self._connection.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """Quit politely, or just close."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (OSError, smtplib.SMTPException):
            connection.close()


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one run of the mailer did."""

    sent: int
    failed: int


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """An email in the outbox, for listing."""

    id: int
    to: str
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None
    attempts: int
    last_error: str | None

    @classmethod
    def of(cls, row: OutboxRow) -> OutboxMessage:
        """From a stored row."""
        return cls(
            row.id,
            row.to_address,
            row.subject,
            row.body_text,
            row.created_at,
            row.sent_at,
            row.attempts,
            row.last_error,
        )


def _describe(exc: BaseException) -> str:
    """An error fit to store: its class and the server's words, never the credentials."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__}: {exc.smtp_code} {text}"[:1000]
    return f"{type(exc).__name__}: {exc}"[:1000]


class Mailer:
    """Sends queued emails through ``transport``; without one (no SMTP configured) they stay queued."""

    def __init__(
        self,
        database: Database,
        *,
        clock: Callable[[], datetime],
        transport: Transport | None = None,
        sender: str = DEFAULT_SENDER,
        max_attempts: int = 5,
    ) -> None:
        self.database = database
        self.clock = clock
        self.transport = transport
        self.sender = sender
        self.max_attempts = max_attempts

    @classmethod
    def from_url(
        cls, database: Database, *, clock: Callable[[], datetime], smtp_url: str | None, sender: str | None = None
    ) -> Mailer:
        """A mailer for ``smtp_url`` (None or empty: emails stay in the outbox). The sender is ``sender``,
        else the URL's ``from``, else :data:`DEFAULT_SENDER`."""
        if not smtp_url:
            return cls(database, clock=clock, sender=sender or DEFAULT_SENDER)
        config = SmtpConfig.from_url(smtp_url)
        return cls(
            database, clock=clock, transport=SmtpTransport(config), sender=sender or config.sender or DEFAULT_SENDER
        )

    @property
    def enabled(self) -> bool:
        """True when emails actually leave."""
        return self.transport is not None

    def _message(self, row: OutboxRow) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = row.to_address
        message["Subject"] = row.subject
        message["Date"] = format_datetime(row.created_at)
        message["Message-ID"] = make_msgid(idstring=f"outbox{row.id}", domain="cairn.invalid")
        message.set_content(row.body_text)
        return message

    def send_pending(self, *, limit: int = 100) -> DeliveryReport:
        """Send up to ``limit`` queued emails, oldest first; each one's result is committed on its own."""
        if self.transport is None:
            return DeliveryReport(0, 0)
        sent = failed = 0
        last_id = 0
        try:
            while sent + failed < limit:
                with self.database.transaction() as session:
                    row = OutboxQueue(session).claim_next(max_attempts=self.max_attempts, after_id=last_id)
                    if row is None:
                        break
                    last_id = row.id
                    row.attempts += 1
                    try:
                        self.transport.send(self._message(row))
                    except (OSError, smtplib.SMTPException, ValueError) as exc:
                        row.last_error = _describe(exc)
                        failed += 1
                        log.warning("outbox email %s not sent (attempt %s): %s", row.id, row.attempts, row.last_error)
                    else:
                        row.sent_at, row.last_error = self.clock(), None
                        row.body_text = without_links(row.body_text)  # sent: the live links need not be kept
                        sent += 1
        finally:
            self.transport.close()
        if sent or failed:
            log.info("outbox: %s sent, %s failed", sent, failed)
        return DeliveryReport(sent, failed)

    def messages(self, *, limit: int = 50, include_sent: bool = False) -> list[OutboxMessage]:
        """The newest emails of the outbox (unsent only, unless ``include_sent``)."""
        with self.database.transaction(read_only=True) as session:
            return [OutboxMessage.of(r) for r in OutboxQueue(session).list(limit=limit, include_sent=include_sent)]

    def run(self, stop: threading.Event, *, interval: float = 30.0) -> None:
        """Send pending emails every ``interval`` seconds until ``stop`` is set (for a background thread)."""
        while not stop.is_set():
            try:
                self.send_pending()
            except CairnError as exc:
                log.warning("the mailer could not run: %s", exc.message)
            stop.wait(interval)
