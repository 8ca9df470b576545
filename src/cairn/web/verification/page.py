"""The public verifier: paste or upload a credential, read a plain-language report.

- ``GET /verify``: the form (paste JSON or a JWT, or choose a ``.json`` / ``.jwt`` file).
- ``POST /verify``: the report as a page: the verdict first, then the issuer, every Annex I element the
  credential carries, validity and status, and each check explained.
- ``POST /verify/report``: the same report as JSON, from the same form fields.

No sign-in and no CSRF token: the verifier only reads what it is given. Bodies stay bounded by the app's
:class:`cairn.web.limits.BodyLimit`; the verifier itself refuses more than ``MAX_INPUT_BYTES``.

What "it certifies" shows depends on the format (:mod:`cairn.web.verification.views`): the Annex I elements of an
Open Badges 3.0 / Verifiable Credential (:func:`credential_rows`) or of a European Digital Credential, with the
EDC's seal certificate chain; an Open Badges 2.0 badge class; and each credential inside a CLR or a
presentation as its own section. The operator's trusted seal certificates (``CAIRN_TRUST_LIST``) are passed to
the ELM verifier. A URL that serves an Open Badges 2.0 *hosted* assertion is verified as such (the assertion,
badge class and issuer are fetched and cross-checked); any other URL's document is verified as fetched.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict
from typing import Annotated, Any, Final

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from cairn.errors import CairnError
from cairn.formats.annex import Annex, localized, read_annex
from cairn.model.definitions import ANNEX_I, Organisation
from cairn.model.types import pick
from cairn.model.vocabularies import (
    ASSESSMENT_TYPES,
    EQF_LEVELS,
    PARTICIPATION_FORMS,
    QF_EHEA_CYCLES,
    QUALITY_ASSURANCE_TYPES,
    SCHEDULES,
    STACKABILITY,
    SUPERVISION,
)
from cairn.phrases import Phrase
from cairn.services.endorsements.service import CheckedEndorsement
from cairn.services.trust.operator import TrustList
from cairn.services.verification.batch import is_hosted_ob2
from cairn.services.verification.service import TRUST_REASONS
from cairn.vc.holder import email_matches
from cairn.vc.report import CHECK_TITLES, Outcome, Report
from cairn.vc.verification import MAX_INPUT_BYTES
from cairn.web.catalog.views import Item, Row, country_name, ects_text, hours_text, nqf_text, skill_links
from cairn.web.deps import container
from cairn.web.errors import error_body
from cairn.web.i18n import LANGUAGES, human_date, reader_language, said, translate
from cairn.web.render import render
from cairn.web.verification.counted import counted
from cairn.web.verification.views import achievement_view, badge_view, elm_rows, seal_view

__all__ = [
    "credential_rows",
    "fetch_source",
    "holder_view",
    "local_awarders",
    "router",
    "source_at",
    "stored_view",
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
IDENTITY_TYPES = {"name": Phrase("name"), "emailAddress": Phrase("emailAddress")}
"""OB 3.0 identity types said in the reader's language."""
MAX_URL_LENGTH = 2000
_SAFE_LINK = re.compile(r"^https?://", re.IGNORECASE)


def _name(n: int) -> str:
    return next(e.name for e in ANNEX_I if e.number == n)


def _optional(prefix: str) -> str:
    return next(e.name for e in ANNEX_I if not e.mandatory and e.name.startswith(prefix))


def _str(value: Any) -> str:
    """A string from the credential, or '' (untrusted input: anything else is ignored)."""
    return value if isinstance(value, str) else ""


def _link(value: Any) -> str:
    """An http(s) URL from the credential, or '' (never a ``javascript:`` or other scheme)."""
    text = _str(value)
    return text if _SAFE_LINK.match(text) else ""


def _list(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _items(*texts: str, lang: str = "") -> list[Item]:
    return [Item(t, lang) for t in texts if t]


def _country(address: Mapping[str, Any], lang: str) -> list[Item]:
    country = _str(address.get("addressCountryCode"))
    if not country:
        return _items(_str(address.get("addressCountry")))
    try:
        return [Item(country_name(country, _str(address.get("addressRegion")) or None, lang))]
    except (KeyError, LookupError, ValueError):
        return [Item(country)]


def _learner(subject: Mapping[str, Any]) -> list[Item]:
    items = _items(f"DID: {_str(subject.get('id'))}" if _str(subject.get("id")) else "")
    for ident in _list(subject.get("identifier")):
        ident = _map(ident)
        kind = IDENTITY_TYPES.get(_str(ident.get("identityType")), _str(ident.get("identityType")) or "identifier")
        if ident.get("hashed") is True:
            hashed = Phrase("%(kind)s: hashed (the learner can prove it by giving the original value)", kind=kind)
            items.append(Item(hashed))
        elif _str(ident.get("identityHash")):
            items.append(Item(Phrase("%(kind)s: %(value)s", kind=kind, value=_str(ident.get("identityHash")))))
    return items


def _outcomes(annex: Annex, written: str, lang: str) -> list[Item]:
    items = []
    for outcome in annex.outcomes:
        links = skill_links([u for u in outcome.skills if _link(u)], lang)
        if outcome.statement or links:
            items.append(Item(outcome.statement or "(no statement)", written if outcome.statement else "", links=links))
    return items


def _workload(annex: Annex, lang: str) -> list[Item]:
    items = [Item(ects_text(annex.ects, lang))] if annex.ects is not None else []
    if annex.volume:
        hours = annex.hours
        items.append(
            Item(
                hours_text(hours, lang)
                if hours is not None
                else Phrase("Volume of learning: %(volume)s", volume=annex.volume)
            )
        )
    return items


def _level(annex: Annex, lang: str) -> list[Item]:
    items = [Item("Not applicable")] if annex.level_not_applicable else []
    if annex.eqf is not None:
        items.append(Item(EQF_LEVELS.label(str(annex.eqf), lang), href=_link(annex.eqf_uri)))
    if annex.qf_ehea:
        items.append(Item(f"QF-EHEA: {QF_EHEA_CYCLES.label(annex.qf_ehea, lang)}"))
    if annex.nqf_level is not None:
        items.append(Item(nqf_text(annex.nqf_framework or "-", annex.nqf_level)))
    return items


def _quality(annex: Annex, written: str, lang: str) -> list[Item]:
    items = [Item(QUALITY_ASSURANCE_TYPES.label(t, lang)) for t in annex.quality_assurance_types]
    if annex.quality_assurance_body:
        items.append(Item(annex.quality_assurance_body, written, href=_link(annex.quality_assurance_url)))
    return items + _items(annex.quality_assurance_description, lang=written)


def _stack(annex: Annex, written: str, lang: str) -> list[Item]:
    items = [Item(STACKABILITY.label(annex.stackability, lang))] if annex.stackability else []
    for target in annex.towards:
        title = Phrase("Stacks towards: %(title)s", title=target.title or target.identifier)
        items.append(Item(title, written, href=_link(target.url)))
    return items


def _place(code: str, lang: str) -> str:
    """A country (``PL``) or region (``PL-MZ``) code as a name; the code when it is neither."""
    try:
        return country_name(code[:2].upper(), code if len(code) > 2 else None, lang)
    except (KeyError, LookupError, ValueError):
        return code


def _awarding_bodies(
    credential: Mapping[str, Any], annex: Annex, local: Mapping[str, Organisation], lang: str, written: str = ""
) -> tuple[list[Item], list[Item]]:
    """Every awarding body (the issuer first) by name, website and country, and their countries: as the credential
    describes each, else (a body on this instance) from its organisation record, else its identifier alone. Names
    are for reading only; the identifier stays beside each name."""
    issuer = _map(credential.get("issuer"))
    lead = _str(issuer.get("id"))
    bodies = [Item(_str(issuer.get("name")) or lead, written, href=_link(issuer.get("url")))]
    countries = _country(_map(issuer.get("address")), lang)
    described = {a.id: a for a in annex.awarders}
    for body in annex.awarding_bodies[:20]:
        if body == lead:
            continue
        told, org = described.get(body), local.get(body)
        name = (told.name if told else "") or (pick(org.legal_name, lang)[1] if org else "")
        url = (_link(told.url) if told else "") or (org.website if org else "")
        place = (told.place if told else "") or ((org.region or org.country) if org else "")
        bodies.append(Item(name or body, written if told else "", href=url, note=body if name else ""))
        if place and (country := _place(place, lang)) not in [c.text for c in countries]:
            countries.append(Item(country))
    return [b for b in bodies if b.text], countries


def credential_rows(
    credential: Mapping[str, Any], lang: str, local: Mapping[str, Organisation] | None = None
) -> list[Row]:
    """Every Annex I element as the (untrusted) credential states it (:func:`cairn.formats.annex.read_annex`: the
    Open Badges 3.0 shape of docs/credentials.md, or the one of awards issued before issue #12). ``local``: this
    instance's organisations by DID, for joint awarding bodies the credential names by DID alone."""
    subject = _map(next(iter(_list(credential.get("credentialSubject"))), None))
    a = _map(subject.get("achievement"))
    annex = read_annex(credential)
    written = _str(a.get("inLanguage"))  # the language of the credential's own texts, when it says
    title_lang, title = localized(a, "name", lang)
    if not title:
        title_lang, title = localized(credential, "name", lang)
    bodies, countries = _awarding_bodies(credential, annex, local or {}, lang, written)
    dates = _items(human_date(_str(credential.get("validFrom")) or _str(credential.get("issuanceDate")), lang))
    if _str(credential.get("awardedDate")) and credential.get("awardedDate") != credential.get("validFrom"):
        dates.append(
            Item(translate(lang, "Awarded %(date)s", date=human_date(_str(credential.get("awardedDate")), lang)))
        )
    assessment = [Item(ASSESSMENT_TYPES.label(t, lang)) for t in annex.assessment_types]
    participation = []
    if annex.participation_mode:
        participation.append(Item(PARTICIPATION_FORMS.label(annex.participation_mode, lang)))
    if annex.participation_schedule:
        participation.append(Item(SCHEDULES.label(annex.participation_schedule, lang)))
    supervision = annex.supervision
    return [
        Row(1, _name(1), _learner(subject)),
        Row(2, _name(2), _items(title, lang=title_lang or written)),
        Row(3, _name(3), countries),
        Row(4, _name(4), bodies),
        Row(5, _name(5), dates),
        Row(6, _name(6), _outcomes(annex, written, lang)),
        Row(7, _name(7), _workload(annex, lang)),
        Row(8, _name(8), _level(annex, lang)),
        Row(9, _name(9), assessment + _items(annex.assessment_description, lang=written)),
        Row(10, _name(10), participation + _items(annex.participation_description, lang=written)),
        Row(11, _name(11), _quality(annex, written, lang)),
        Row(0, _optional("Prerequisites"), _items(annex.prerequisites, lang=written), mandatory=False),
        Row(0, _optional("Supervision"), _items(SUPERVISION.label(supervision, lang) if supervision else ""), False),
        Row(0, _optional("Grade"), _items(annex.grade, annex.grading_scheme, lang=written), mandatory=False),
        Row(0, _optional("Integration"), _stack(annex, written, lang), mandatory=False),
        Row(0, _optional("Further information"), _items(annex.further_information, lang=written), mandatory=False),
    ]


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


def _certifies(report: Report, lang: str, local: Mapping[str, Organisation] | None = None) -> list[Row]:
    """The Annex I rows of the credential, by format (an Open Badges 2.0 badge has its own section instead)."""
    credential = report.credential or {}
    if not credential or report.format.startswith("ob2"):
        return []
    if report.format == "elm-edc":
        return elm_rows(credential, lang)
    return credential_rows(credential, lang, local)


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
) -> dict[str, Any]:
    """What the page and the JSON answer both show (``credentials``: each one inside, with its own report);
    ``local``: this instance's organisations by DID (:func:`local_awarders`)."""
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
        "certifies": [asdict(row) for row in _certifies(report, lang, local)],
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
            _view(inner, lang, trust, depth=depth + 1, local=local) for inner in report.credentials[:100] if depth < 3
        ],
    }


def stored_view(data: Mapping[str, Any], lang: str, trust: TrustList | None = None) -> dict[str, Any]:
    """What the page shows of a report kept as JSON (:meth:`Report.to_dict`): as for a report just made."""
    return _view(Report.from_dict(dict(data)), lang, trust)


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
    view = _view(report, reader, trust_list(request), email, local=local)
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
    view = _view(report, reader, trust_list(request), email, local=local)
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
