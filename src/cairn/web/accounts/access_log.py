"""Keeping one-time secrets out of the access log: uvicorn logs each request's path with its query, and sign-in
links (``/sign-in/link?token=…``), claim links (``/claim/{token}``) and share links (``/s/{token}``) carry a secret
there. :func:`redact_access_log`, a filter on the ``uvicorn.access`` logger, puts ``[redacted]`` in their place
before any handler writes the line."""

from __future__ import annotations

import logging
import re

__all__ = ["ACCESS_LOGGER", "install", "redact", "redact_access_log"]

ACCESS_LOGGER = "uvicorn.access"
_QUERY = re.compile(r"(?<=[?&])((?:token|code|pre-authorized_code|state)=)[^&#\s]*", re.IGNORECASE)
_PATH = re.compile(r"^(/(?:claim|s)/)[^/?#\s]+")


def redact(path: str) -> str:
    """``path`` (with its query) with the values of secret-bearing parts replaced by ``[redacted]``."""
    return _QUERY.sub(r"\1[redacted]", _PATH.sub(r"\1[redacted]", path))


def redact_access_log(record: logging.LogRecord) -> bool:
    """A logging filter: uvicorn's access record (client, method, path, HTTP version, status) with its path
    redacted. Always keeps the record."""
    args = record.args
    if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
        record.args = (*args[:2], redact(args[2]), *args[3:])
    return True


def install() -> None:
    """Put the filter on the access logger (once)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if redact_access_log not in logger.filters:
        logger.addFilter(redact_access_log)
