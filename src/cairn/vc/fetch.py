"""Outbound fetches for DIDs, key documents and status lists, behind a small protocol.

``cairn.vc`` never opens a connection on its own: functions that need a remote document take a
:class:`Fetcher`. Three implementations live here:

- :class:`HttpsFetcher`: the standard library's ``http.client`` with a total timeout, a response
  size limit (streamed, stops at the limit), HTTPS only unless HTTP is allowed, refusal of
  private, loopback, link-local, multicast and other non-global addresses unless allowed (the host
  is resolved, every address is checked, and the connection goes to a checked address, so a DNS
  answer cannot change between check and use), and a bounded number of redirects, each re-checked.
  It never reads proxy settings or other environment variables. :meth:`HttpsFetcher.fetch_with` adds
  request headers (a conditional ``If-None-Match``), a size limit and a timeout of the call's own,
  and answers ``304 Not Modified`` as a :class:`Response` with ``status=304`` and no content.
  :meth:`HttpsFetcher.post` sends a body (an OAuth token request, a JSON request) under the same limits, follows
  no redirect, and answers any status with its (size-limited) body, so a caller can read an error answer.
- :class:`CachingFetcher`: an in-memory, bounded, thread-safe TTL cache around another fetcher.
- :class:`DictFetcher`: answers from a dict; for tests and offline use.

:func:`loads_json` parses fetched JSON strictly (duplicate keys, ``NaN`` and deep nesting refused).
"""

from __future__ import annotations

import functools
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Protocol, runtime_checkable
from urllib.parse import urljoin, urlsplit

from cairn.errors import CredentialError, FetchError

__all__ = [
    "CachingFetcher",
    "DictFetcher",
    "Fetcher",
    "HttpsFetcher",
    "Resolver",
    "Response",
    "holds_lone_surrogate",
    "is_public_address",
    "loads_json",
    "may_hold_lone_surrogate",
]

Resolver = Callable[[str, int], Sequence[str]]
"""Resolve ``(host, port)`` to IP address strings; :class:`HttpsFetcher` takes one to test with."""

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_OWN_HEADERS: Final = frozenset({"host", "accept-encoding", "content-length", "transfer-encoding", "connection"})
"""Headers the fetcher sets itself (identity encoding, one host): :meth:`HttpsFetcher.fetch_with` refuses them."""
_CHUNK: Final = 65536
_IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64: Final = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL: Final = ipaddress.IPv6Network("64:ff9b:1::/48")


@dataclass(frozen=True, slots=True)
class Response:
    """A fetched document: the final URL (after redirects), its bytes and its media type; ``status`` is 200, or
    304 (``content`` empty) when a conditional :meth:`HttpsFetcher.fetch_with` found the document unchanged, and
    ``etag`` the server's ``ETag`` when it sent one."""

    url: str
    content: bytes
    media_type: str | None = None
    status: int = 200
    etag: str | None = None

    def json(self) -> Any:
        """Parse the content with :func:`loads_json` (raises :class:`FetchError`)."""
        return loads_json(self.content, error=FetchError)


@runtime_checkable
class Fetcher(Protocol):
    """Anything that fetches a URL; raises :class:`FetchError` when refused or failed."""

    def fetch(self, url: str) -> Response:
        """Return the document at ``url`` (a fragment is ignored)."""
        ...


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _pairs_to_dict(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate member {key[:40]!r}")
            seen.add(key)
    return result


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_pairs_to_dict, parse_constant=_reject_constant)


_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def holds_lone_surrogate(value: Any) -> bool:
    """Whether any string or member name in parsed JSON holds a lone surrogate (text that is not Unicode).

    JSON lets ``"\\ud800"`` through; nothing can encode it as UTF-8 again, so every reader refuses it up front.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _SURROGATE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def may_hold_lone_surrogate(text: str) -> bool:
    """A quick test on JSON text: ``False`` means no string in it can hold a lone surrogate."""
    return _SURROGATE_ESCAPE.search(text) is not None or _SURROGATE.search(text) is not None


def loads_json(data: bytes | str, *, what: str = "document", error: type[CredentialError] = CredentialError) -> Any:
    """Parse JSON strictly: UTF-8 only, no duplicate members, no NaN/Infinity, bounded nesting, no lone
    surrogates.

    Raises ``error`` (a :class:`CredentialError` subclass) with a reason; ``what`` names the
    document in the message.
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes | bytearray) else data
        parsed = _DECODER.decode(text)
    except UnicodeDecodeError:
        raise error(f"the {what} is not UTF-8") from None
    except RecursionError:
        raise error(f"the {what} is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, duplicates, constants, huge integers
        raise error(f"the {what} is not valid JSON: {str(exc)[:120]}") from None
    if may_hold_lone_surrogate(text) and holds_lone_surrogate(parsed):
        raise error(f"the {what} holds text that is not valid Unicode (a lone surrogate)")
    return parsed


def is_public_address(address: str | _IPAddress) -> bool:
    """Whether an IP address is globally reachable unicast (what a fetch may connect to).

    Refuses private, loopback, link-local, multicast, reserved, unspecified, shared (CGNAT) and
    documentation ranges, and IPv6 forms that embed a refused IPv4 address (mapped, 6to4, Teredo,
    NAT64). An unparseable address is refused.
    """
    if isinstance(address, str):
        try:
            address = ipaddress.ip_address(address)
        except ValueError:
            return False
    if address.is_multicast or not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = []
        if address.ipv4_mapped is not None:
            embedded.append(address.ipv4_mapped)
        if address.sixtofour is not None:
            embedded.append(address.sixtofour)
        if address.teredo is not None:
            embedded.extend(address.teredo)
        if address in _NAT64 or address in _NAT64_LOCAL:
            embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
        return all(is_public_address(inner) for inner in embedded)
    return True


def _system_resolver(host: str, port: int) -> Sequence[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class _PinnedConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to ``host`` that connects to one already-checked IP address."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float, tls: ssl.SSLContext | None):
        super().__init__(host, port, timeout=timeout)
        self._address = address
        self._tls = tls
        self.pinned_socket: socket.socket | None = None

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._tls is not None:
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            except BaseException:
                sock.close()
                raise
        self.sock = self.pinned_socket = sock


@dataclass(frozen=True, slots=True)
class _Target:
    """One request to make: where, and (for :meth:`HttpsFetcher.fetch_with`) its extra headers and size limit."""

    url: str
    scheme: str
    host: str
    port: int
    request_target: str
    headers: tuple[tuple[str, str], ...] = ()
    max_bytes: int | None = None
    conditional: bool = False
    method: str = "GET"
    body: bytes | None = None


@functools.cache
def default_tls() -> ssl.SSLContext:
    """The system trust store with hostname checks, read once per process (reading it takes ~20 ms, and every
    container builds fetchers); an SSLContext may be shared by threads."""
    return ssl.create_default_context()


class HttpsFetcher:
    """Fetch documents over HTTPS with a timeout, a size limit and no private-address targets.

    All arguments are keyword-only: ``timeout`` (seconds, for the whole fetch including
    redirects), ``max_bytes`` (largest body), ``max_redirects``, ``allow_http`` (plain HTTP and
    HTTPS-to-HTTP redirects), ``allow_private`` (non-global addresses), ``resolver`` (replaces
    DNS; tests inject one), ``ssl_context`` (defaults to the system trust store with hostname
    checks), ``accept`` (the Accept header) and ``monotonic`` (the timer for the timeout).
    """

    def __init__(
        self,
        *,
        timeout: float = 10.0,
        max_bytes: int = 2 * 1024 * 1024,
        max_redirects: int = 3,
        allow_http: bool = False,
        allow_private: bool = False,
        resolver: Resolver | None = None,
        ssl_context: ssl.SSLContext | None = None,
        accept: str = "application/did+json, application/ld+json, application/json;q=0.9, */*;q=0.1",
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0 or max_bytes <= 0 or max_redirects < 0:
            raise ValueError("timeout and max_bytes must be positive, max_redirects not negative")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.allow_http = allow_http
        self.allow_private = allow_private
        self._resolver = resolver or _system_resolver
        self._ssl = ssl_context or default_tls()
        self._accept = accept
        self._monotonic = monotonic

    def _check_url(self, url: str, *, previous_scheme: str | None = None) -> _Target:
        if not isinstance(url, str) or len(url) > 4096:
            raise FetchError("the URL is not a string or is too long")
        if any(ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
            raise FetchError("the URL holds whitespace or control characters")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise FetchError("the URL cannot be parsed") from None
        scheme = parts.scheme.lower()
        if scheme != "https" and not (scheme == "http" and self.allow_http):
            raise FetchError(f"only https URLs may be fetched, not {scheme or 'a relative URL'!r}")
        if previous_scheme == "https" and scheme == "http":
            raise FetchError("a redirect from https to http was refused")
        if parts.username is not None or parts.password is not None:
            raise FetchError("URLs with user names or passwords are refused")
        host = parts.hostname
        if not host:
            raise FetchError("the URL has no host")
        if not host.isascii():
            raise FetchError("the host must be ASCII (write an international name in punycode)")
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        clean = parts._replace(fragment="").geturl()
        return _Target(clean, scheme, host, port or (443 if scheme == "https" else 80), target)

    def resolve(self, host: str, port: int) -> list[str]:
        """Resolve ``host`` and check every address; return them all or raise :class:`FetchError`."""
        try:
            literal: _IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addresses = [str(literal)]
        else:
            try:
                addresses = list(dict.fromkeys(self._resolver(host, port)))
            except (OSError, UnicodeError):
                raise FetchError(f"the host {host!r} cannot be resolved") from None
            if not addresses:
                raise FetchError(f"the host {host!r} has no address")
        if not self.allow_private:
            refused = [a for a in addresses if not is_public_address(a.split("%", 1)[0])]
            if refused:
                raise FetchError(f"the host {host!r} resolves to a non-public address ({refused[0]})")
        return addresses

    def fetch(self, url: str) -> Response:
        """Fetch ``url`` (its fragment dropped), following checked redirects."""
        return self._follow(self._check_url(url), self._monotonic() + self.timeout)

    def fetch_with(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        """:meth:`fetch` with extra request ``headers``, and a size limit and timeout of this call's own (the
        fetcher's when None). With ``If-None-Match`` among the headers a ``304 Not Modified`` answer comes back as a
        :class:`Response` with ``status=304`` and no content; its ``etag`` is the server's."""
        extra = tuple((str(k), str(v)) for k, v in (headers or {}).items())
        for name, value in extra:
            if not name or any(ch in name + value for ch in "\r\n\0") or name.lower() in _OWN_HEADERS:
                raise FetchError(f"the request header {name[:40]!r} cannot be sent")
        if (max_bytes is not None and max_bytes <= 0) or (timeout is not None and timeout <= 0):
            raise ValueError("max_bytes and timeout must be positive")
        conditional = any(name.lower() in ("if-none-match", "if-modified-since") for name, _ in extra)
        target = replace(self._check_url(url), headers=extra, max_bytes=max_bytes, conditional=conditional)
        return self._follow(target, self._monotonic() + (timeout if timeout is not None else self.timeout))

    def post(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str,
        headers: Mapping[str, str] | None = None,
        max_bytes: int | None = None,
        timeout: float | None = None,
    ) -> Response:
        """POST ``body`` to ``url`` with the same checks as :meth:`fetch_with` (https, public addresses, size limit,
        timeout). A redirect is refused (a body is never sent twice); any other status comes back as a
        :class:`Response` with that ``status`` and its body, read up to the size limit."""
        extra = {**(headers or {}), "Content-Type": content_type}
        pairs = tuple((str(k), str(v)) for k, v in extra.items())
        for name, value in pairs:
            if not name or any(ch in name + value for ch in "\r\n\0") or name.lower() in _OWN_HEADERS:
                raise FetchError(f"the request header {name[:40]!r} cannot be sent")
        if (max_bytes is not None and max_bytes <= 0) or (timeout is not None and timeout <= 0):
            raise ValueError("max_bytes and timeout must be positive")
        target = replace(self._check_url(url), headers=pairs, max_bytes=max_bytes, method="POST", body=bytes(body))
        deadline = self._monotonic() + (timeout if timeout is not None else self.timeout)
        status, _location, response = self._request(target, self.resolve(target.host, target.port), deadline)
        if response is None:
            raise FetchError(f"HTTP {status} redirect from {target.host!r} refused (a POST is not redirected)")
        return response

    def _follow(self, target: _Target, deadline: float) -> Response:
        for _ in range(self.max_redirects + 1):
            addresses = self.resolve(target.host, target.port)
            status, location, response = self._request(target, addresses, deadline)
            if status not in _REDIRECTS:
                assert response is not None
                return response
            if not location:
                raise FetchError(f"HTTP {status} redirect without a Location")
            following = self._check_url(urljoin(target.url, location), previous_scheme=target.scheme)
            target = replace(
                following, headers=target.headers, max_bytes=target.max_bytes, conditional=target.conditional
            )
        raise FetchError(f"more than {self.max_redirects} redirects")

    def _remaining(self, deadline: float) -> float:
        left = deadline - self._monotonic()
        if left <= 0:
            raise FetchError("the fetch timed out")
        return left

    def _request(
        self, target: _Target, addresses: list[str], deadline: float
    ) -> tuple[int, str | None, Response | None]:
        last_error: OSError | None = None
        for address in addresses:
            conn = _PinnedConnection(
                target.host,
                target.port,
                address=address,
                timeout=self._remaining(deadline),
                tls=self._ssl if target.scheme == "https" else None,
            )
            try:
                conn.connect()
            except ssl.SSLError:
                conn.close()
                raise FetchError(f"TLS with {target.host!r} failed") from None
            except OSError as exc:
                conn.close()
                last_error = exc
                continue
            try:
                return self._exchange(conn, target, deadline)
            except (OSError, http.client.HTTPException):
                raise FetchError(f"the fetch from {target.host!r} failed or timed out") from None
            finally:
                conn.close()
        raise FetchError(f"cannot connect to {target.host!r}") from last_error

    def _exchange(
        self, conn: _PinnedConnection, target: _Target, deadline: float
    ) -> tuple[int, str | None, Response | None]:
        headers = {"Accept": self._accept, "Accept-Encoding": "identity", "User-Agent": "cairn"}
        headers.update(target.headers)
        conn.request(target.method, target.request_target, body=target.body, headers=headers)
        resp = conn.getresponse()
        etag = resp.getheader("ETag")
        etag = etag.strip()[:200] if etag else None
        if resp.status in _REDIRECTS:
            return resp.status, resp.getheader("Location"), None
        if resp.status == 304 and target.conditional:
            return resp.status, None, Response(target.url, b"", None, status=304, etag=etag)
        if resp.status != 200 and target.method == "GET":
            raise FetchError(f"HTTP {resp.status} from {target.host!r}")
        encoding = (resp.getheader("Content-Encoding") or "identity").strip().lower()
        if encoding != "identity":
            raise FetchError(f"a {encoding!r}-encoded response was refused")
        limit = target.max_bytes or self.max_bytes
        length = resp.getheader("Content-Length")
        if length is not None and length.strip().isdigit() and int(length) > limit:
            raise FetchError(f"the response is larger than {limit} bytes")
        body = bytearray()
        while True:
            remaining = self._remaining(deadline)
            if conn.pinned_socket is not None:  # still read by resp after conn.sock is dropped
                conn.pinned_socket.settimeout(remaining)
            chunk = resp.read1(_CHUNK)
            if not chunk:
                break
            body += chunk
            if len(body) > limit:
                raise FetchError(f"the response is larger than {limit} bytes")
        content_type = resp.getheader("Content-Type")
        media_type = content_type.split(";", 1)[0].strip().lower() if content_type else None
        return resp.status, None, Response(target.url, bytes(body), media_type or None, status=resp.status, etag=etag)


@dataclass(slots=True)
class _Entry:
    expires: float
    response: Response


class CachingFetcher:
    """A bounded in-memory TTL cache around another fetcher (successful fetches only).

    ``ttl`` is in seconds of the ``monotonic`` timer; at most ``max_entries`` documents are kept,
    the least recently used going first. Safe to share between threads.
    """

    def __init__(
        self,
        inner: Fetcher,
        *,
        ttl: float = 300.0,
        max_entries: int = 256,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if ttl < 0 or max_entries < 1:
            raise ValueError("ttl must not be negative and max_entries must be at least 1")
        self._inner = inner
        self._ttl = ttl
        self._max = max_entries
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def fetch(self, url: str) -> Response:
        """Return the cached document for ``url`` while fresh, else fetch and cache it."""
        key = url.split("#", 1)[0]
        now = self._monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires > now:
                    self._entries.move_to_end(key)
                    return entry.response
                del self._entries[key]
        response = self._inner.fetch(key)
        with self._lock:
            self._entries[key] = _Entry(self._monotonic() + self._ttl, response)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return response

    def clear(self) -> None:
        """Forget every cached document."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __bool__(self) -> bool:
        """A fetcher is always there, even with an empty cache (``len`` alone would make it false)."""
        return True


class DictFetcher:
    """A fake fetcher answering from a dict of URL to bytes, text, JSON value or :class:`Response`.

    JSON values (dicts, lists) are serialised; unknown URLs raise :class:`FetchError`. ``calls``
    records every URL asked for (fragments dropped), so tests can count fetches.
    """

    def __init__(self, documents: Mapping[str, object] | None = None, *, media_type: str = "application/json") -> None:
        self.documents: dict[str, object] = dict(documents or {})
        self.media_type = media_type
        self.calls: list[str] = []

    def fetch(self, url: str) -> Response:
        """Return the document stored for ``url`` (without its fragment)."""
        key = url.split("#", 1)[0]
        self.calls.append(key)
        if key not in self.documents:
            raise FetchError(f"nothing at {key}")
        value = self.documents[key]
        if isinstance(value, Response):
            return value
        if isinstance(value, bytes):
            return Response(key, value, self.media_type)
        if isinstance(value, str):
            return Response(key, value.encode("utf-8"), self.media_type)
        return Response(key, json.dumps(value).encode("utf-8"), self.media_type)
