"""The mailer on SQLite and PostgreSQL: queued emails leave over SMTP (a small real server on loopback) or
stay in the outbox; failures are recorded without secrets."""

from __future__ import annotations

import base64
import socketserver
import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest

from cairn.errors import ConfigurationError
from cairn.services.mail import DEFAULT_SENDER, Mailer, SmtpConfig, SmtpTransport
from cairn.store.database import Database
from cairn.store.mail import OutboxRepository
from tests.factories import FixedClock


class _Handler(socketserver.StreamRequestHandler):
    server: FakeSmtpServer

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self._say("220 fake ESMTP")
        while raw := self.rfile.readline():
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self.wfile.write(b"250-fake\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "AUTH":
                self.server.logins.append(base64.b64decode(line.split()[2]).decode())
                self._say("235 ok")
            elif verb == "RCPT" and "reject" in line:
                self._say("550 no such mailbox")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.received.append(message_from_bytes(data))
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not here")


class FakeSmtpServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, host: str) -> None:
        super().__init__((host, 0), _Handler)
        self.logins: list[str] = []
        self.received: list[Message] = []


@pytest.fixture
def smtp_server() -> Iterator[FakeSmtpServer]:
    server = FakeSmtpServer("127.0.0.1")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _queue(database: Database, clock: FixedClock, *addresses: str) -> None:
    with database.transaction() as s:
        for n, to in enumerate(addresses):
            OutboxRepository(s).enqueue(to=to, subject=f"Hello {n}", body=f"Body {n}: a link", now=clock())


def test_smtp_urls_are_parsed_and_the_password_stays_hidden() -> None:
    config = SmtpConfig.from_url("smtp://mailer%40uni.example:s3cr%2Ft@mail.uni.example?from=cairn@uni.example")
    assert (config.host, config.port, config.implicit_tls) == ("mail.uni.example", 587, False)
    assert (config.username, config.password, config.sender) == ("mailer@uni.example", "s3cr/t", "cairn@uni.example")
    assert "s3cr" not in repr(config)
    tls = SmtpConfig.from_url("smtps://relay.example:2465")
    assert (tls.port, tls.implicit_tls, tls.username) == (2465, True, None)
    assert SmtpConfig.from_url("smtps://relay.example").port == 465
    for bad in ("http://user:hunter2@relay", "smtp://", "smtp://user:hunter2@relay:notaport"):
        with pytest.raises(ConfigurationError) as caught:
            SmtpConfig.from_url(bad)
        assert "hunter2" not in caught.value.message


def test_without_smtp_emails_stay_in_the_outbox_and_can_be_listed(database: Database, clock: FixedClock) -> None:
    _queue(database, clock, "a@example.org", "b@example.org")
    mailer = Mailer.from_url(database, clock=clock, smtp_url=None)
    assert not mailer.enabled
    assert mailer.sender == DEFAULT_SENDER
    assert mailer.send_pending().sent == 0
    listed = mailer.messages()
    assert [m.to for m in listed] == ["b@example.org", "a@example.org"]
    assert all(m.sent_at is None and m.attempts == 0 for m in listed)


def test_queued_emails_leave_over_smtp_once(database: Database, clock: FixedClock, smtp_server: FakeSmtpServer) -> None:
    _queue(database, clock, "a@example.org", "b@example.org")
    host, port = str(smtp_server.server_address[0]), int(smtp_server.server_address[1])
    url = f"smtp://cairn:pa%20ss@{host}:{port}?from=Cairn%20<cairn@uni.example>"
    mailer = Mailer.from_url(database, clock=clock, smtp_url=url)
    clock.advance(minutes=1)
    report = mailer.send_pending()
    assert (report.sent, report.failed) == (2, 0)
    assert smtp_server.logins == ["\x00cairn\x00pa ss"]  # one connection for the batch
    subjects = [m["Subject"] for m in smtp_server.received]
    assert subjects == ["Hello 0", "Hello 1"]
    first = smtp_server.received[0]
    assert first["To"] == "a@example.org"
    assert first["From"] == "Cairn <cairn@uni.example>"
    sent = mailer.messages(include_sent=True)
    assert all(m.sent_at == clock() and m.attempts == 1 and m.last_error is None for m in sent)
    assert mailer.send_pending().sent == 0
    assert len(smtp_server.received) == 2


def test_a_refused_email_is_retried_then_given_up(
    database: Database, clock: FixedClock, smtp_server: FakeSmtpServer
) -> None:
    _queue(database, clock, "reject@example.org", "ok@example.org")
    host, port = str(smtp_server.server_address[0]), int(smtp_server.server_address[1])
    mailer = Mailer(database, clock=clock, transport=SmtpTransport(SmtpConfig(host, port, False)), max_attempts=2)
    assert (mailer.send_pending().sent, mailer.send_pending().failed) == (1, 1)
    assert mailer.send_pending().failed == 0  # two attempts made: given up
    (stuck,) = mailer.messages()
    assert stuck.to == "reject@example.org"
    assert stuck.attempts == 2
    assert stuck.last_error is not None
    assert "550" in stuck.last_error


def test_an_unreachable_server_is_recorded(database: Database, clock: FixedClock) -> None:
    _queue(database, clock, "a@example.org")
    probe = FakeSmtpServer("127.0.0.1")
    port = int(probe.server_address[1])
    probe.server_close()  # nothing listens there now
    transport = SmtpTransport(SmtpConfig("127.0.0.1", port, False, "user", "hunter2"), timeout=2)
    report = Mailer(database, clock=clock, transport=transport).send_pending()
    assert report.failed == 1
    (message,) = Mailer(database, clock=clock).messages()
    assert message.last_error is not None
    assert "hunter2" not in message.last_error


def test_a_password_is_not_sent_in_clear_to_another_host(database: Database, clock: FixedClock) -> None:
    server = FakeSmtpServer("127.0.0.2")  # loopback, but not a name the mailer trusts without TLS
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        _queue(database, clock, "a@example.org")
        config = SmtpConfig("127.0.0.2", int(server.server_address[1]), False, "user", "hunter2")
        report = Mailer(database, clock=clock, transport=SmtpTransport(config, timeout=2)).send_pending()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert report.failed == 1
    assert server.logins == []
    assert server.received == []
    (message,) = Mailer(database, clock=clock).messages()
    assert message.last_error is not None
    assert "STARTTLS" in message.last_error


def test_the_background_loop_stops_when_asked(database: Database, clock: FixedClock) -> None:
    stop = threading.Event()
    stop.set()
    Mailer(database, clock=clock).run(stop, interval=0.01)  # returns at once
