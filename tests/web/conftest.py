"""The web tests run on SQLite only.

They test what the pages and the API say and do; what is stored and read back is the services' and the store's
business, and those tests run on SQLite and PostgreSQL both (as do the end-to-end newcomer tests in ``tests/``,
through the web). Running every page test twice cost a fifth of the suite's time for no storage behaviour that the
service tests do not already check on PostgreSQL.
"""

from __future__ import annotations

import pytest


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database behind a web test: SQLite (the service tests cover PostgreSQL)."""
    return str(request.param)
