"""Small helpers shared by the web tests."""

from __future__ import annotations

import re

__all__ = ["csrf_of"]


def csrf_of(page: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page[:2000]
    return found.group(1)
