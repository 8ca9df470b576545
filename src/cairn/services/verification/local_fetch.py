"""A fetcher that answers this instance's own documents (did.json, status lists, trust lists) without the network.

A credential issued here names ``did:web:HOST:orgs:SLUG`` and status lists under ``{public_url}/orgs/...``.
Verifying it must not depend on the instance reaching itself over HTTP (it may sit behind a proxy, on
loopback, or run as several processes), nor weaken the rule that outbound fetches never target private
addresses. So URLs on the instance's own host are answered from the services directly, whatever their
scheme; every other URL goes to the guarded outbound fetcher (when there is one).

The same holds for registries' signed trust lists (``{public_url}/registries/SLUG/trust-list``): a registry of
this instance can be federated like any other (:meth:`InstanceFetcher.fetch_list`, with its ETag), without the
instance calling itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from cairn.errors import DidResolutionError, FetchError, NotFoundError, OfflineError
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.status_lists import StatusListService
from cairn.services.trust.registry import RegistryService
from cairn.vc.dids import did_web_url
from cairn.vc.fetch import Fetcher, HttpsFetcher, Response

__all__ = ["InstanceFetcher"]

_DID = re.compile(r"^/orgs/(?P<slug>[a-z0-9-]{1,80})/did\.json$")
_STATUS = re.compile(r"^/orgs/(?P<slug>[a-z0-9-]{1,80})/status/(?P<purpose>revocation|suspension)/(?P<seq>\d{1,9})$")
_TOKEN = re.compile(
    r"^/orgs/(?P<slug>[a-z0-9-]{1,80})/status/(?P<purpose>revocation|suspension|combined)/(?P<seq>\d{1,9})/token$"
)
_TRUST_LIST = re.compile(r"^/registries/(?P<slug>[a-z0-9-]{1,80})/trust-list$")
LIST_MEDIA_TYPE = "application/vc+ld+json"
"""The media type a signed trust list is served with."""


class InstanceFetcher:
    """Serve this instance's did.json documents, status lists and trust lists from memory; pass the rest outward.

    ``outward`` fetches other documents (a cache around the guarded fetcher); ``guarded`` is that guarded fetcher
    itself, for trust lists (conditional, with their own size limit and timeout, never cached here); ``registry``
    publishes this instance's trust lists."""

    def __init__(
        self,
        *,
        public_url: str,
        keys: KeyService,
        status_lists: StatusListService,
        outward: Fetcher | None = None,
        guarded: HttpsFetcher | None = None,
        registry: RegistryService | None = None,
    ) -> None:
        parts = urlsplit(public_url)
        self._host = (parts.hostname or "").lower()
        self._port = parts.port
        self._base_path = parts.path.rstrip("/")
        self._keys = keys
        self._status = status_lists
        self._outward = outward
        self._guarded = guarded
        self._registry = registry

    def _local_path(self, url: str) -> str | None:
        parts = urlsplit(url)
        if (parts.hostname or "").lower() != self._host or parts.port != self._port:
            return None
        path = parts.path
        if self._base_path and not path.startswith(self._base_path + "/"):
            return None
        return path[len(self._base_path) :]

    def fetch(self, url: str) -> Response:
        """The document at ``url``: local ones from the services, others through the outward fetcher."""
        path = self._local_path(url)
        if path is not None:
            try:
                if match := _DID.match(path):
                    return Response(url, self._keys.did_document_json(match["slug"]), "application/did+json")
                if match := _STATUS.match(path):
                    data, _, media = self._status.response(match["slug"], match["purpose"], int(match["seq"]))
                    return Response(url, data, media)
                if match := _TOKEN.match(path):
                    token = self._status.token(match["slug"], match["purpose"], int(match["seq"]))
                    return Response(url, token.body, token.media_type, etag=token.etag)
                if (match := _TRUST_LIST.match(path)) and self._registry is not None:
                    published = self._registry.trust_list(match["slug"])
                    return Response(url, published.body, LIST_MEDIA_TYPE, etag=published.etag)
            except NotFoundError as exc:
                raise FetchError(f"{url} names nothing on this instance ({exc.message})") from None
            raise FetchError(f"{url} is on this instance but is not a document it publishes")
        if self._outward is None:
            raise OfflineError(f"fetching {url} is not allowed here (no outbound fetches)")
        return self._outward.fetch(url)

    def fetch_kept(self, url: str) -> Response | None:
        """A DID document or status list credential of this instance, when its services can answer without the
        database (what they keep is current: :meth:`KeyService.kept_document_json`,
        :meth:`StatusListService.kept_response`); None for anything else, or when only the database can tell.
        Never fetches, never waits: for verifying on the event loop."""
        path = self._local_path(url)
        if path is None:
            return None
        if match := _DID.match(path):
            document = self._keys.kept_document_json(match["slug"])
            return None if document is None else Response(url, document, "application/did+json")
        if match := _STATUS.match(path):
            found = self._status.kept_response(match["slug"], match["purpose"], int(match["seq"]))
            return None if found is None else Response(url, found[0], found[2])
        return None

    def kept_all(self, did: str, urls: Sequence[object]) -> dict[str, Response] | None:
        """The DID document of ``did`` (a did:web DID of this instance's) and each of ``urls`` (status list
        credentials), by URL, when every one can be answered from memory now (:meth:`fetch_kept`); else None."""
        try:
            document = did_web_url(did)
        except DidResolutionError:
            return None
        kept: dict[str, Response] = {}
        for url in (document, *urls):
            answer = self.fetch_kept(url) if isinstance(url, str) else None
            if answer is None:
                return None
            kept[answer.url] = answer
        return kept

    def is_local(self, url: str) -> bool:
        """Whether ``url`` is on this instance (answered from its services, whatever its scheme)."""
        return self._local_path(url) is not None

    def fetch_list(self, url: str, *, etag: str | None, max_bytes: int, timeout: float) -> Response:
        """A registry's signed trust list at ``url``: ``status=304`` (no content) when its ETag is still ``etag``.

        This instance's own lists come from its registry service; others through the guarded fetcher, with
        ``If-None-Match``, at most ``max_bytes`` bytes and ``timeout`` seconds (raises :class:`FetchError`)."""
        path = self._local_path(url)
        if path is not None:
            response = self.fetch(url)
            if etag is not None and response.etag == etag:
                return Response(response.url, b"", None, status=304, etag=etag)
            if len(response.content) > max_bytes:
                raise FetchError(f"the response is larger than {max_bytes} bytes")
            return response
        if self._guarded is None:
            raise FetchError(f"fetching {url} is not allowed here (no outbound fetches)")
        headers = {"Accept": f"{LIST_MEDIA_TYPE}, application/json;q=0.9"}
        if etag:
            headers["If-None-Match"] = etag
        return self._guarded.fetch_with(url, headers=headers, max_bytes=max_bytes, timeout=timeout)
