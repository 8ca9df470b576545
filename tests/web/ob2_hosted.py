"""A fake Open Badges 2.0 issuer for the verifier's web tests: a hosted assertion, its badge class and issuer."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cairn.vc.fetch import Response
from cairn.vc.formats.ob2 import OB2_CONTEXT

BASE = "https://badges.example.org"
ISSUER = f"{BASE}/issuer"
BADGE = f"{BASE}/badges/python"
ASSERTION = f"{BASE}/assertions/123"
EMAIL = "ada.lovelace@example.net"
SALT = "s4lt-Y"
HASH = "sha256$" + hashlib.sha256((EMAIL + SALT).encode()).hexdigest()


def documents() -> dict[str, bytes]:
    """The issuer's documents by URL, as its server would send them."""
    docs: dict[str, Any] = {
        ISSUER: {"@context": OB2_CONTEXT, "type": "Issuer", "id": ISSUER, "name": "Example Academy", "url": BASE},
        BADGE: {
            "@context": OB2_CONTEXT,
            "type": "BadgeClass",
            "id": BADGE,
            "name": "Python Basics",
            "description": "Writes small, tested Python programs.",
            "image": f"{BASE}/badges/python.png",
            "criteria": {"narrative": "Passed the final project."},
            "issuer": ISSUER,
            "tags": ["python"],
        },
        ASSERTION: {
            "@context": OB2_CONTEXT,
            "type": "Assertion",
            "id": ASSERTION,
            "recipient": {"type": "email", "hashed": True, "salt": SALT, "identity": HASH},
            "badge": BADGE,
            "issuedOn": "2025-06-01T12:00:00Z",
            "verification": {"type": "hosted"},
        },
    }
    return {url: json.dumps(doc).encode() for url, doc in docs.items()}


class Server:
    """Serves ``documents`` by URL (and counts each fetch); everything else goes to ``inner``."""

    def __init__(self, inner: Any, documents: dict[str, bytes]) -> None:
        self.inner = inner
        self.documents = documents
        self.calls: list[str] = []

    def fetch(self, url: str) -> Response:
        self.calls.append(url)
        if url in self.documents:
            return Response(url, self.documents[url], "application/json")
        return self.inner.fetch(url)  # type: ignore[no-any-return]
