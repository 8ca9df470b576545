"""A fetcher that answers this instance's own documents (did.json, status lists) without the network.

A credential issued here names ``did:web:HOST:orgs:SLUG`` and status lists under ``{public_url}/orgs/...``.
Verifying it must not depend on the instance reaching itself over HTTP (it may sit behind a proxy, on
loopback, or run as several processes), nor weaken the rule that outbound fetches never target private
addresses. So URLs on the instance's own host are answered from the services directly, whatever their
scheme; every other URL goes to the guarded outbound fetcher (when there is one).
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from cairn.errors import FetchError, NotFoundError
from cairn.services.issuing.keys import KeyService
from cairn.services.issuing.status_lists import StatusListService
from cairn.vc.fetch import Fetcher, Response

__all__ = ["InstanceFetcher"]

_DID = re.compile(r"^/orgs/(?P<slug>[a-z0-9-]{1,80})/did\.json$")
_STATUS = re.compile(r"^/orgs/(?P<slug>[a-z0-9-]{1,80})/status/(?P<purpose>revocation|suspension)/(?P<seq>\d{1,9})$")


class InstanceFetcher:
    """Serve this instance's did.json documents and status lists from memory; pass the rest outward."""

    def __init__(
        self,
        *,
        public_url: str,
        keys: KeyService,
        status_lists: StatusListService,
        outward: Fetcher | None = None,
    ) -> None:
        parts = urlsplit(public_url)
        self._host = (parts.hostname or "").lower()
        self._port = parts.port
        self._base_path = parts.path.rstrip("/")
        self._keys = keys
        self._status = status_lists
        self._outward = outward

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
                    body = json.dumps(self._keys.did_document(match["slug"])).encode("utf-8")
                    return Response(url, body, "application/did+json")
                if match := _STATUS.match(path):
                    data, _, media = self._status.response(match["slug"], match["purpose"], int(match["seq"]))
                    return Response(url, data, media)
            except NotFoundError as exc:
                raise FetchError(f"{url} names nothing on this instance ({exc.message})") from None
            raise FetchError(f"{url} is on this instance but is not a document it publishes")
        if self._outward is None:
            raise FetchError(f"fetching {url} is not allowed here (no outbound fetches)")
        return self._outward.fetch(url)
