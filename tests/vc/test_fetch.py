"""Fetchers: address checks on literal IPs and an injected resolver, limits, redirects, caching.

No test reaches the network: refusals happen before any connection, and the fetches that do
connect go to a server on 127.0.0.1 in this process.
"""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cairn.errors import CredentialError, FetchError
from cairn.vc import fetch as fetch_module
from cairn.vc.fetch import CachingFetcher, DictFetcher, Fetcher, HttpsFetcher, Response, is_public_address, loads_json


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.1.2.3",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "2002:a00:1::1",
        "64:ff9b::a00:1",
        "64:ff9b::7f00:1",
        "2001:db8::1",
        "not an address",
        "",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not is_public_address(address)


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "1.1.1.1", "93.184.215.14", "2606:4700:4700::1111", "2a00:1450:4001:80b::200e"]
)
def test_public_addresses_are_allowed(address: str) -> None:
    assert is_public_address(address)


def _resolver(table: dict[str, list[str]]) -> fetch_module.Resolver:
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("no such host")
        return table[host]

    return resolve


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://example.com/did.json", "only https"),
        ("ftp://example.com/x", "only https"),
        ("file:///etc/passwd", "only https"),
        ("/relative/path", "only https"),
        ("https:///no-host", "no host"),
        ("https://user:pw@example.com/", "user names"),
        ("https://example.com/a b", "whitespace"),
        ("https://example.com/\x00", "control"),
        ("https://example.com:99999/", "cannot be parsed"),
        ("https://exämple.com/", "ASCII"),
        ("https://example.com/" + "a" * 5000, "too long"),
        ("https://127.0.0.1/", "non-public"),
        ("https://[::1]/", "non-public"),
        ("https://169.254.169.254/latest/meta-data/", "non-public"),
        ("https://[::ffff:10.0.0.1]/", "non-public"),
        ("https://internal.example/", "non-public"),
        ("https://mixed.example/", "non-public"),
        ("https://unknown.example/", "cannot be resolved"),
        ("https://empty.example/", "no address"),
    ],
)
def test_refusals_happen_before_any_connection(url: str, reason: str) -> None:
    resolver = _resolver(
        {
            "internal.example": ["10.1.2.3"],
            "mixed.example": ["93.184.215.14", "192.168.0.10"],
            "empty.example": [],
        }
    )
    fetcher = HttpsFetcher(resolver=resolver)
    with pytest.raises(FetchError, match=reason):
        fetcher.fetch(url)


def test_resolve_returns_every_checked_address() -> None:
    fetcher = HttpsFetcher(resolver=_resolver({"ok.example": ["93.184.215.14", "2606:4700::1", "93.184.215.14"]}))
    assert fetcher.resolve("ok.example", 443) == ["93.184.215.14", "2606:4700::1"]
    assert HttpsFetcher(allow_private=True).resolve("10.0.0.1", 443) == ["10.0.0.1"]


def test_fetcher_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="positive"):
        HttpsFetcher(timeout=0)
    with pytest.raises(ValueError, match="ttl"):
        CachingFetcher(DictFetcher(), max_entries=0)


# -- a local server on 127.0.0.1 ---------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        port = self.server.server_port  # type: ignore[attr-defined]
        path = self.path
        if path == "/doc":
            host = self.headers.get("Host", "")
            self._send(200, b'{"host": "%s"}' % host.encode(), {"Content-Type": "application/json; charset=utf-8"})
        elif path.startswith("/redirect/"):
            hops = int(path.rsplit("/", 1)[1])
            target = "/doc" if hops == 0 else f"/redirect/{hops - 1}"
            self._send(302, b"", {"Location": target, "Content-Length": "0"})
        elif path == "/to-internal":
            self._send(302, b"", {"Location": f"http://internal.test:{port}/doc", "Content-Length": "0"})
        elif path == "/no-location":
            self._send(302, b"", {"Content-Length": "0"})
        elif path == "/big-declared":
            self._send(200, b"x" * 2000, {"Content-Length": "2000"})
        elif path == "/big-streamed":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x" * 1000)
            except OSError:
                return
        elif path == "/versioned":
            if self.headers.get("If-None-Match") == '"v2"':
                self._send(304, b"", {"ETag": '"v2"'})
            else:
                seen = (self.headers.get("X-Probe") or "").encode()
                self._send(200, b'{"probe": "%s"}' % seen, {"ETag": '"v2"', "Content-Length": str(13 + len(seen))})
        elif path == "/gzip":
            self._send(200, b"\x1f\x8b", {"Content-Encoding": "gzip", "Content-Length": "2"})
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                return
        else:
            self._send(404, b"missing", {"Content-Length": "7"})


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def _local(**options: object) -> HttpsFetcher:
    resolver = _resolver({"public.test": ["127.0.0.1"], "internal.test": ["127.0.0.2"]})
    return HttpsFetcher(allow_http=True, allow_private=True, resolver=resolver, timeout=5, **options)  # type: ignore[arg-type]


def test_fetch_connects_to_the_checked_address_with_the_original_host(server: int) -> None:
    response = _local().fetch(f"http://public.test:{server}/doc#fragment")
    assert response.url == f"http://public.test:{server}/doc"
    assert response.media_type == "application/json"
    assert response.json() == {"host": f"public.test:{server}"}


def test_redirects_are_followed_up_to_the_limit(server: int) -> None:
    assert _local(max_redirects=3).fetch(f"http://public.test:{server}/redirect/2").url.endswith("/doc")
    with pytest.raises(FetchError, match="more than 1 redirects"):
        _local(max_redirects=1).fetch(f"http://public.test:{server}/redirect/2")
    with pytest.raises(FetchError, match="without a Location"):
        _local().fetch(f"http://public.test:{server}/no-location")


def test_each_redirect_target_is_checked_again(server: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Treat 127.0.0.1 as public and everything else as private, then follow a redirect to a
    # host that resolves to 127.0.0.2: the second hop must be refused.
    monkeypatch.setattr(fetch_module, "is_public_address", lambda address: address == "127.0.0.1")
    fetcher = HttpsFetcher(
        allow_http=True, resolver=_resolver({"public.test": ["127.0.0.1"], "internal.test": ["127.0.0.2"]})
    )
    assert fetcher.fetch(f"http://public.test:{server}/doc").json()["host"] == f"public.test:{server}"
    with pytest.raises(FetchError, match="non-public address"):
        fetcher.fetch(f"http://public.test:{server}/to-internal")


def test_size_limits_stop_declared_and_streamed_bodies(server: int) -> None:
    with pytest.raises(FetchError, match="larger than 1000"):
        _local(max_bytes=1000).fetch(f"http://public.test:{server}/big-declared")
    with pytest.raises(FetchError, match="larger than 1000"):
        _local(max_bytes=1000).fetch(f"http://public.test:{server}/big-streamed")


def test_timeout_bounds_the_whole_fetch(server: int) -> None:
    # /slow sends a byte every 50 ms for 5 s, so a timeout per read would never fire: the fetch must give up with
    # "timed out" once its 0.3 s for the whole is spent. The 3 s bound is not a speed goal; it catches a fetch that
    # waited for the whole body (a hang, on a server that trickles for ever).
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        HttpsFetcher(allow_http=True, allow_private=True, timeout=0.3).fetch(f"http://127.0.0.1:{server}/slow")
    assert time.monotonic() - started < 3


def test_fetch_with_sends_headers_and_answers_not_modified_to_a_conditional_request(server: int) -> None:
    url = f"http://public.test:{server}/versioned"
    fresh = _local().fetch_with(url, headers={"X-Probe": "hello"})
    assert (fresh.status, fresh.etag, fresh.json()) == (200, '"v2"', {"probe": "hello"})
    unchanged = _local().fetch_with(url, headers={"If-None-Match": '"v2"'})
    assert (unchanged.status, unchanged.etag, unchanged.content) == (304, '"v2"', b"")
    assert _local().fetch_with(url, headers={"If-None-Match": '"v1"'}).status == 200
    assert _local().fetch(url).etag == '"v2"'  # plain fetches keep working, and see the ETag too


def test_fetch_with_has_its_own_size_limit_and_refuses_headers_it_sets_itself(server: int) -> None:
    with pytest.raises(FetchError, match="larger than 1000"):
        _local().fetch_with(f"http://public.test:{server}/big-streamed", max_bytes=1000)
    assert (
        len(_local(max_bytes=10).fetch_with(f"http://public.test:{server}/big-declared", max_bytes=5000).content)
        == 2000
    )
    for name, value in (("Host", "elsewhere.test"), ("Accept-Encoding", "gzip"), ("X-Split", "a\r\nInjected: 1")):
        with pytest.raises(FetchError, match="cannot be sent"):
            _local().fetch_with(f"http://public.test:{server}/doc", headers={name: value})


def test_fetch_with_has_its_own_timeout(server: int) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        HttpsFetcher(allow_http=True, allow_private=True, timeout=30).fetch_with(
            f"http://127.0.0.1:{server}/slow", timeout=0.3
        )
    assert time.monotonic() - started < 3


def test_error_statuses_and_encodings_are_refused(server: int) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        _local().fetch(f"http://public.test:{server}/missing")
    with pytest.raises(FetchError, match="gzip"):
        _local().fetch(f"http://public.test:{server}/gzip")


def _self_signed(folder: Path, host: str) -> tuple[Path, Path]:
    key = ec.derive_private_key(7, ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    moment = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(moment)
        .not_valid_after(moment.replace(year=2100))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    cert_path, key_path = _self_signed(tmp_path_factory.mktemp("tls"), "public.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], cert_path
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


def test_https_fetch_checks_the_certificate_for_the_original_host(tls_server: tuple[int, Path]) -> None:
    port, cert_path = tls_server
    context = ssl.create_default_context(cafile=str(cert_path))
    resolver = _resolver({"public.test": ["127.0.0.1"], "other.test": ["127.0.0.1"]})
    fetcher = HttpsFetcher(allow_private=True, resolver=resolver, ssl_context=context, timeout=5)
    assert fetcher.fetch(f"https://public.test:{port}/doc").json() == {"host": f"public.test:{port}"}
    with pytest.raises(FetchError, match="TLS"):
        fetcher.fetch(f"https://other.test:{port}/doc")
    untrusting = HttpsFetcher(allow_private=True, resolver=resolver, timeout=5)
    with pytest.raises(FetchError, match="TLS"):
        untrusting.fetch(f"https://public.test:{port}/doc")


def test_https_to_http_redirect_is_refused() -> None:
    fetcher = HttpsFetcher(allow_http=True)
    with pytest.raises(FetchError, match="https to http"):
        fetcher._check_url("http://example.com/", previous_scheme="https")


def test_connection_failure_is_a_fetch_error() -> None:
    # Port 9 on 127.0.0.1 is closed: the connection is refused locally.
    with pytest.raises(FetchError, match="cannot connect"):
        HttpsFetcher(allow_http=True, allow_private=True, timeout=2).fetch("http://127.0.0.1:9/")


# -- caching and the fake ----------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_caching_fetcher_keeps_documents_for_the_ttl() -> None:
    inner = DictFetcher({"https://a.example/doc": {"n": 1}})
    clock = _Clock()
    cache = CachingFetcher(inner, ttl=60, monotonic=clock)
    assert cache.fetch("https://a.example/doc#x").json() == {"n": 1}
    assert cache.fetch("https://a.example/doc").json() == {"n": 1}
    assert inner.calls == ["https://a.example/doc"]
    clock.now += 61
    cache.fetch("https://a.example/doc")
    assert len(inner.calls) == 2
    assert isinstance(cache, Fetcher)


def test_an_empty_caching_fetcher_still_counts_as_a_fetcher() -> None:
    cache = CachingFetcher(DictFetcher({}), ttl=60)
    assert len(cache) == 0
    assert cache  # code that asks "is there a fetcher?" must not skip status checks because the cache is empty


def test_caching_fetcher_is_bounded_and_does_not_cache_failures() -> None:
    inner = DictFetcher({f"https://a.example/{i}": b"{}" for i in range(5)})
    cache = CachingFetcher(inner, max_entries=2, monotonic=_Clock())
    for i in range(5):
        cache.fetch(f"https://a.example/{i}")
    assert len(cache) == 2
    cache.fetch("https://a.example/0")
    assert inner.calls.count("https://a.example/0") == 2
    for _ in range(2):
        with pytest.raises(FetchError):
            cache.fetch("https://a.example/missing")
    assert inner.calls.count("https://a.example/missing") == 2
    cache.clear()
    assert len(cache) == 0


def test_dict_fetcher_serves_bytes_text_json_and_responses() -> None:
    fake = DictFetcher(
        {
            "https://x/b": b"bytes",
            "https://x/t": "text",
            "https://x/j": [1, 2],
            "https://x/r": Response("https://x/r", b"raw", "text/plain"),
        }
    )
    assert fake.fetch("https://x/b").content == b"bytes"
    assert fake.fetch("https://x/t").content == b"text"
    assert fake.fetch("https://x/j").json() == [1, 2]
    assert fake.fetch("https://x/r").media_type == "text/plain"
    with pytest.raises(FetchError, match="nothing at"):
        fake.fetch("https://x/none")


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b'{"a": 1, "a": 2}', "duplicate member"),
        (b'{"a": {"b": 1, "b": 1}}', "duplicate member"),
        (b"[NaN]", "not valid JSON"),
        (b'{"a": Infinity}', "not valid JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"1" * 5000, "not valid JSON"),
        (b'{"a": 1', "not valid JSON"),
        (b"", "not valid JSON"),
    ],
)
def test_loads_json_refuses_hostile_json(data: bytes, reason: str) -> None:
    with pytest.raises(CredentialError, match=reason):
        loads_json(data)
    with pytest.raises(FetchError, match=reason):
        Response("https://x", data).json()


def test_loads_json_reads_ordinary_json() -> None:
    assert loads_json('{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
