"""The public verifier: paste or upload a credential, read a plain-language report.

- ``GET /verify``: the form (paste JSON or a JWT, or choose a ``.json`` / ``.jwt`` file).
- ``POST /verify``: the report as a page: the verdict first, then the issuer, every Annex I element the
  credential carries, validity and status, and each check explained.
- ``POST /verify/report``: the same report as JSON, from the same form fields.

No sign-in and no CSRF token: the verifier only reads what it is given. Bodies stay bounded by the app's
:class:`cairn.web.limits.BodyLimit`; the verifier itself refuses more than ``MAX_INPUT_BYTES``.

What "it certifies" shows depends on the format (:mod:`cairn.web.verification.views`): the Annex I elements of an
Open Badges 3.0 / Verifiable Credential (:mod:`cairn.web.verification.rows`) or of a European Digital Credential,
with the EDC's seal certificate chain; an Open Badges 2.0 badge class; and each credential inside a CLR or a
presentation as its own section. The operator's trusted seal certificates (``CAIRN_TRUST_LIST``) are passed to
the ELM verifier. A URL that serves an Open Badges 2.0 *hosted* assertion is verified as such (the assertion,
badge class and issuer are fetched and cross-checked); any other URL's document is verified as fetched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
from typing import Annotated, Any, Final

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cairn.errors import CairnError
from cairn.formats.annex import read_annex
from cairn.model.definitions import Organisation
from cairn.services.endorsements.service import CheckedEndorsement
from cairn.services.trust.operator import TrustList
from cairn.services.verification.batch import is_hosted_ob2
from cairn.services.verification.service import TRUST_REASONS
from cairn.vc.holder import email_matches
from cairn.vc.report import CHECK_TITLES, Outcome, Report
from cairn.vc.verification import MAX_INPUT_BYTES
from cairn.web.careers.names import SkillNames, credential_names
from cairn.web.catalog.views import Row
from cairn.web.deps import container
from cairn.web.errors import error_body
from cairn.web.i18n import LANGUAGES, reader_language, said, translate
from cairn.web.render import render
from cairn.web.verification.counted import counted
from cairn.web.verification.rows import _str, credential_rows
from cairn.web.verification.views import achievement_view, badge_view, elm_rows, seal_view

__all__ = [
    "fetch_source",
    "holder_view",
    "local_awarders",
    "router",
    "source_at",
    "stored_views",
    "trust_view",
]

router = APIRouter(include_in_schema=False)

EXPLANATIONS = {
    "readable": "Whether what you gave could be read as a credential (JSON or a signed JWT).",
    "well-formed": "Whether the credential has the parts every Verifiable Credential must have.",
    "schema": "Whether it follows the Open Badges 3.0 format that badge wallets and platforms understand.",
    "proof": "Whether the issuer's digital signature matches the content: nothing was changed after issuing.",
    "issuer-key": "Whether the key that signed it really belongs to the issuer the credential names.",
    "validity": "Whether today falls inside the period the credential is valid for.",
    "status": "Whether the issuer has revoked or suspended the credential since issuing it.",
    "presentation": "Whether the presentation wrapping the credentials is signed and addressed as expected.",
    "shapes": "Whether the European Digital Credential follows the European Learning Model's rules (SHACL shapes).",
    "badge": "Whether the badge class and the issuer's profile could be fetched and agree with the badge.",
    "issuer-trust": "Whether someone this instance trusts vouches for the issuer (its trust list), not just its name.",
    "composite": "Whether the micro-credentials it was stacked from are still valid and meet the pathway's rules.",
}
"""What each check means, for a reader who is not a cryptographer."""

HOLDER_TEXT = {
    "match": "matches the person this credential was awarded to",
    "no-match": "does not match the person this credential was awarded to",
    "not-named": "this credential does not name its holder by email",
}
"""What the holder check says, by its result."""
MAX_URL_LENGTH = 2000


def _outcome_text(report: Report, name: str) -> str:
    outcome = report.outcome_of(name)
    return outcome.value if outcome else "not checked"


def trust_view(report: Report, lang: str) -> dict[str, Any]:
    """What the ``issuer-trust`` check found, as the page shows it in ``lang``: whether someone vouches, the chain
    link by link, the legal name the registry records, whether the issuer is one of this instance's organisations,
    and why (said from its parts, so names and dates stay as they are and the words around them are translated)."""
    trust = report.trust
    chain = [
        {**link, "scope": said(lang, link.get("scope_said") or link.get("scope") or "")}
        for link in trust.get("chain") or []
        if isinstance(link, dict)
    ]
    return {
        "vouched": bool(trust.get("vouched")),
        "chain": chain,
        "registry_identity": trust.get("identity") or {},
        "issued_here": bool(trust.get("issued_here")),
        "trust_reason": said(lang, trust.get("said") or trust.get("reason", TRUST_REASONS["nobody"])),
        # as stored (a phrase), for the page to say with the names in it marked (said_html)
        "trust_said": trust.get("said") or trust.get("reason", TRUST_REASONS["nobody"]),
    }


def holder_view(report: Report, email: str | None) -> dict[str, Any] | None:
    """The holder check for ``email`` (None when no email was given); never carries the address or hash."""
    if not email or not email.strip():
        return None
    documents = [report.credential] if report.credential else []
    documents += [inner.credential for inner in report.credentials if inner.credential]
    answers = [email_matches(doc, email) for doc in documents]
    result = "match" if True in answers else "no-match" if False in answers else "not-named"
    return {"result": result, "text": HOLDER_TEXT[result]}


_SEAL_KEYS = frozenset({"certificate_chain", "trust", "signing_time"})
_OWN_SECTIONS = frozenset({"elm-edc", "ob2-hosted", "ob2-signed"})


def _certifies(
    report: Report, lang: str, local: Mapping[str, Organisation] | None = None, names: SkillNames | None = None
) -> list[Row]:
    """The Annex I rows of the credential, by format (an Open Badges 2.0 badge has its own section instead)."""
    credential = report.credential or {}
    if not credential or report.format.startswith("ob2"):
        return []
    if report.format == "elm-edc":
        return elm_rows(credential, lang)
    return credential_rows(credential, lang, local, names)


def _validity(report: Report) -> dict[str, Any]:
    credential = report.credential or {}

    def first(*names: str) -> str | None:
        return next((_str(credential.get(n)) for n in names if _str(credential.get(n))), None)

    return {
        "validFrom": first("validFrom", "issuanceDate", "issuedOn"),
        "validUntil": first("validUntil", "expirationDate", "expires"),
        "validity": _outcome_text(report, "validity"),
        "status": _status_text(report),
    }


def _status_text(report: Report) -> str:
    """The status check in a word; ``not determined`` when it failed only because the status could not be found
    out (never read as "revoked")."""
    failed = [c for c in report.checks if c.name == "status" and c.outcome is Outcome.FAIL]
    if failed and all(c.undetermined for c in failed):
        return "not determined"
    return _outcome_text(report, "status")


def _view(
    report: Report,
    lang: str,
    trust: TrustList | None = None,
    email: str | None = None,
    *,
    depth: int = 0,
    local: Mapping[str, Organisation] | None = None,
    names: SkillNames | None = None,
) -> dict[str, Any]:
    """What the page and the JSON answer both show (``credentials``: each one inside, with its own report);
    ``local``: this instance's organisations by DID (:func:`local_awarders`); ``names``: the labels of their ESCO
    skills (:func:`cairn.web.careers.names.credential_names`; without them, the shipped extract's)."""
    elm = report.format == "elm-edc"
    credential = report.credential or {}
    issuer = {k: v for k, v in report.issuer.items() if not (elm and k in _SEAL_KEYS)}
    certificates = len(trust.certificates) if trust is not None else 0
    trusted = trust_view(report, lang)
    return {
        "verdict": report.verdict,
        "verified": report.verified,
        "vouched": report.vouched,
        "format": report.format,
        "issuer": {**issuer, **trusted},
        "holder": holder_view(report, email),
        "certifies": [asdict(row) for row in _certifies(report, lang, local, names)],
        "achievement": achievement_view(credential, lang)
        if credential and report.format not in _OWN_SECTIONS
        else None,
        "badge": badge_view(report) if report.format.startswith("ob2") and report.achievement else None,
        "seal": seal_view(report, certificates) if elm else None,
        "validity": _validity(report),
        "checks": [
            {
                **c.to_dict(),
                "reason": said(lang, c.reason),
                "said": c.reason,  # the phrase, for the page to say with the names in it marked (said_html)
                "title": CHECK_TITLES.get(c.name, c.name),
                "explanation": EXPLANATIONS.get(c.name, ""),
            }
            for c in report.checks
        ],
        "credentials": [
            _view(inner, lang, trust, depth=depth + 1, local=local, names=names)
            for inner in report.credentials[:100]
            if depth < 3
        ],
    }


def stored_views(
    request: Request, data: Mapping[str, Any], lang: str, trust: TrustList | None = None
) -> dict[str, Any]:
    """What the page shows of each report kept as JSON (:meth:`Report.to_dict`), by name: as for a report just
    made, their skills labelled in one lookup. Entries that are not reports are left out."""
    reports = {name: Report.from_dict(dict(found)) for name, found in data.items() if isinstance(found, Mapping)}
    names = credential_names(request, [d for report in reports.values() for d in _documents(report)], lang)
    return {name: _view(report, lang, trust, names=names) for name, report in reports.items()}


class _Unreadable(Exception):
    """The URL could not be fetched; ``message`` (a gettext msgid) and ``values`` say why, for the page."""

    def __init__(self, message: str, **values: Any) -> None:
        super().__init__(message)
        self.message = message
        self.values = values

    def text(self, lang: str) -> str:
        """The reason in ``lang``."""
        return translate(lang, self.message, **self.values)


def fetch_source(fetcher: Any, url: str) -> bytes:
    """The body at ``url`` through the instance's guarded fetcher (https only, no private addresses, bounded).

    Raises :class:`_Unreadable` with a message a person can act on.
    """
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise _Unreadable("The address is longer than %(n)s characters.", n=f"{MAX_URL_LENGTH:,}")
    if not url.lower().startswith(("https://", "http://")):
        raise _Unreadable("Give a web address starting with https://.")
    try:
        response = fetcher.fetch(url)
    except CairnError as exc:
        raise _Unreadable(
            "The credential could not be fetched from that address: %(reason)s.", reason=exc.message
        ) from None
    if len(response.content) > MAX_INPUT_BYTES:
        raise _Unreadable("The document at that address is larger than %(n)s bytes.", n=f"{MAX_INPUT_BYTES:,}")
    if not response.content:
        raise _Unreadable("The document at that address is empty.")
    return bytes(response.content)


def source_at(fetcher: Any, url: str) -> bytes | str:
    """What to verify for ``url``: the URL itself when it serves a hosted Open Badges 2.0 assertion (the OB 2.0
    verifier fetches it again, through the same caching fetcher, and cross-checks it with its badge class and
    issuer), else the fetched document. Raises :class:`_Unreadable`."""
    body = fetch_source(fetcher, url)
    return url.strip() if is_hosted_ob2(body) else body


async def _source(request: Request, text: str | None, file: UploadFile | None, url: str | None) -> bytes | str | None:
    """The uploaded file (first ``MAX_INPUT_BYTES`` + 1 bytes, so the verifier can say it is too large), the
    text, or what :func:`source_at` says for the URL (raises :class:`_Unreadable`)."""
    if file is not None and file.filename:
        data = await file.read(MAX_INPUT_BYTES + 1)
        if data:
            return data
    if text and text.strip():
        return text.strip()
    if url and url.strip():
        fetcher = container(request).verification.fetcher
        return await run_in_threadpool(source_at, fetcher, url)
    return None


def local_awarders(request: Request, credentials: list[Mapping[str, Any]]) -> dict[str, Organisation]:
    """This instance's organisations among the awarding bodies of ``credentials``, by DID (names for bare DIDs)."""
    ids = [body for c in credentials[:100] for body in read_annex(c).awarding_bodies[:20]]
    app = container(request)
    return app.catalog.organisations_named(ids, did_of=app.keys.did)


def _documents(report: Report) -> list[Mapping[str, Any]]:
    return [r.credential for r in (report, *report.credentials) if r.credential]


async def _verify(request: Request, source: bytes | str) -> Report:
    return counted(request, await container(request).verification.verify_async(source), "web")


def trust_list(request: Request) -> TrustList:
    """The operator's trust list (for the seal's trust mark)."""
    return container(request).verification.trust.operator


def _examples(request: Request) -> dict[str, str]:
    """The example credentials of a demo instance (``cairn serve --demo``), by name; none elsewhere."""
    examples = getattr(request.app.state, "examples", None)
    return examples if isinstance(examples, dict) else {}


EXAMPLE_LABELS: Final = {
    "vouched": "The university's award: vouched for through the ministry and the quality agency",
    "federated": "SkillBridge's award: vouched for by a federated registry",
    "forgery": "A forgery: the university's award re-signed with someone else's key",
}


def _page(request: Request, lang: str, status: int = 200, **context: Any) -> HTMLResponse:
    examples = [(name, EXAMPLE_LABELS[name]) for name in _examples(request) if name in EXAMPLE_LABELS]
    full = {"lang": lang, "path": "/verify", "max_bytes": MAX_INPUT_BYTES, "examples": examples, **context}
    return render(request, "verify/page.html", full, status=status, languages=LANGUAGES, forms=False)


TextField = Annotated[str | None, Form(max_length=MAX_INPUT_BYTES)]
UrlField = Annotated[str | None, Form(max_length=MAX_URL_LENGTH)]
EmailField = Annotated[str | None, Form(max_length=320)]
ExampleField = Annotated[str | None, Form(max_length=20)]
FileField = Annotated[UploadFile | None, File()]
LangQuery = Annotated[str | None, Query(max_length=10)]

_EMPTY = "Paste a credential, choose a file or give its web address to verify."


@router.get("/verify", response_class=HTMLResponse)
def verify_form(request: Request, lang: LangQuery = None) -> HTMLResponse:
    """The empty form."""
    return _page(request, reader_language(request, lang))


@router.post("/verify", response_class=HTMLResponse)
async def verify_page(
    request: Request,
    text: TextField = None,
    file: FileField = None,
    url: UrlField = None,
    email: EmailField = None,
    lang: LangQuery = None,
    example: ExampleField = None,
) -> HTMLResponse:
    """The report for people; a credential that fails verification still gets a 200 page saying why. On a demo
    instance, ``example`` names one of its example credentials to verify instead."""
    reader = reader_language(request, lang)
    if example and (chosen := _examples(request).get(example)) is not None:
        text, file, url = chosen, None, None
    try:
        source = await _source(request, text, file, url)
    except _Unreadable as exc:
        return _page(request, reader, 400, message=exc.text(reader), url=url)
    if source is None:
        return _page(request, reader, 400, message=translate(reader, _EMPTY))
    report = await _verify(request, source)
    local = await run_in_threadpool(local_awarders, request, _documents(report))
    names = await run_in_threadpool(credential_names, request, _documents(report), reader)
    view = _view(report, reader, trust_list(request), email, local=local, names=names)
    endorsements = await run_in_threadpool(container(request).endorsements.shown_for, report)
    return _page(
        request,
        reader,
        report=report,
        view=view,
        endorsements=endorsements,
        check_titles=CHECK_TITLES,
        text=text,
        url=url,
    )


@router.post("/verify/report")
async def verify_report(
    request: Request,
    text: TextField = None,
    file: FileField = None,
    url: UrlField = None,
    email: EmailField = None,
    lang: LangQuery = None,
) -> Response:
    """The same report as JSON: 200 when verified, 400 when not (as ``/credentials/verify``)."""
    reader = reader_language(request, lang)
    try:
        source = await _source(request, text, file, url)
    except _Unreadable as exc:
        return JSONResponse(error_body(400, exc.text("en")), status_code=400)
    if source is None:
        return JSONResponse(error_body(400, _EMPTY), status_code=400)
    report = await _verify(request, source)
    local = await run_in_threadpool(local_awarders, request, _documents(report))
    names = await run_in_threadpool(credential_names, request, _documents(report), reader)
    view = _view(report, reader, trust_list(request), email, local=local, names=names)
    endorsements = await run_in_threadpool(container(request).endorsements.shown_for, report)
    view["endorsements"] = [_endorsement_json(item, reader) for item in endorsements]
    return JSONResponse(view, status_code=200 if report.verified else 400)


def _endorsement_json(item: CheckedEndorsement, lang: str) -> dict[str, Any]:
    """An endorsement as the JSON report gives it: what the page shows (its words only when it verified)."""
    e = item.endorsement
    shown: dict[str, Any] = {
        "organisation": e.organisation,
        "name": e.names.get(lang) or e.name,
        "relation": e.relation,
        "verified": item.verified,
    }
    if item.verified:  # the signed EndorsementCredential too, for a verifier to check for itself
        shown["comment"] = e.comment
        shown["credential"] = json.loads(e.credential)
    else:
        shown["reason"] = item.reason
    return shown
