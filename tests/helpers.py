"""Small helpers shared by the tests."""

from __future__ import annotations

import re
from typing import Any

from cairn.bootstrap import Container, build
from cairn.services.verification.trust import TrustList
from cairn.vc.fetch import Fetcher

__all__ = ["csrf_of", "rewired"]


def csrf_of(page: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)


def rewired(
    container: Container, *, fetcher: Fetcher | None = None, trust: TrustList | None = None, **_: Any
) -> Container:
    """``container`` rebuilt over the same settings, clock and database, with every verification using
    ``fetcher`` (instead of the instance's) and ``trust`` (instead of the configured trust list)."""
    return build(
        container.settings,
        clock=container.clock,
        database=container.database,
        fetcher=fetcher,
        trust=trust if trust is not None else container.trust,
    )
