"""The demo's mailbox: ``GET /demo/mailbox``, the emails this demo instance wrote to its outbox, newest first.

A demo (``cairn serve --demo``) sends no email, so a newcomer trying sign-up, sign-in or a claim link would
otherwise wait for a message that never comes: this page shows the outbox instead, each email whole, with the
links to this instance clickable (any other address stays plain text). It exists only on a demo: everywhere
else the route answers 404 before reading anything. It says on the page that it is the demo's shared
mailbox, which everyone trying the demo can read; ``?to=ADDRESS`` narrows it to one recipient.
"""

from __future__ import annotations

import re
from typing import Annotated, Final

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from cairn.errors import NotFoundError
from cairn.web.deps import container, optional_account
from cairn.web.render import render

__all__ = ["SHOWN", "linked_body", "router"]

router = APIRouter(include_in_schema=False)

SHOWN: Final = 50
"""Emails the page shows at most."""
_READ: Final = 500
_URL: Final = re.compile(r"https?://[^\s<>\"\u201d]+")


def linked_body(text: str, *, public_url: str) -> Markup:
    """An email's text, escaped, with the links to this instance (under ``public_url``) made clickable."""
    prefix = public_url.rstrip("/") + "/"
    out: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        out.append(str(escape(text[last : match.start()])))
        if url.startswith(prefix):
            out.append(f'<a href="{escape(url)}" rel="noreferrer">{escape(url)}</a>')
        else:
            out.append(str(escape(url)))
        last = match.start() + len(url)
    out.append(str(escape(text[last:])))
    return Markup("".join(out))  # noqa: S704 - every piece is escaped above


@router.get("/demo/mailbox", response_class=HTMLResponse)
def mailbox(request: Request, to: Annotated[str, Query(max_length=320)] = "") -> HTMLResponse:
    """The demo's outbox, newest first (404 unless this instance is a demo)."""
    if not getattr(request.app.state, "demo", False):
        raise NotFoundError("there is no page at this address")
    services = container(request)
    wanted = " ".join(to.split()).lower()
    messages = services.mailer.messages(limit=_READ, include_sent=True)
    if wanted:
        messages = [m for m in messages if m.to.lower() == wanted]
    public_url = services.settings.public_url
    emails = [{"message": m, "body": linked_body(m.body, public_url=public_url)} for m in messages[:SHOWN]]
    context = {"emails": emails, "to": wanted, "shown": SHOWN}
    response = render(request, "auth/mailbox.html", context, signed_in=optional_account(request), forms=False)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
