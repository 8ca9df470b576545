"""VC-API: issue, verify, present and update status over HTTP, in the shape the W3C test suites drive.

- ``POST /credentials/issue`` and ``POST /suites/{cryptosuite}/credentials/issue`` (bearer token with
  ``credentials:issue``): ``{credential, options}`` → ``201 {verifiableCredential}``. A credential without an
  issuer is issued by the token's organisation; one naming another issuer is refused, and so is one that breaks
  the VC Data Model (the rules of :mod:`cairn.vc.datamodel`, which the verifier applies too). It gets an ``id``,
  a start of validity and status entries when missing, and is stored with the organisation's awards
  (:class:`~cairn.services.issuing.api.ApiIssuingService`). ``options.mandatoryPointers`` (ecdsa-sd-2023) name
  what every derived credential discloses; ``options.keyType`` or
  ``POST /suites/{cryptosuite}/{keyType}/credentials/issue`` picks the ECDSA key (``P-256``, or ``P-384`` for
  ecdsa-rdfc-2019 and ecdsa-jcs-2019).
- ``POST /credentials/derive`` (public): ``{verifiableCredential, options: {selectivePointers}}`` → ``201
  {verifiableCredential}``, an ecdsa-sd-2023 credential that discloses only the mandatory and selected parts.
- ``POST /credentials/verify`` and ``POST /presentations/verify`` (public): 200 with the report when verified,
  400 with it when not. ``options.checks`` (VC-API names: ``proof``, ``credentialStatus``, ``schema``,
  ``nested``; or Cairn's own check names) chooses the optional checks that run, each one left out being reported as
  skipped; the data model, the signature and the validity period are always checked (``validity``,
  ``expiration`` and ``wellFormed`` are accepted and change nothing). Unknown names are refused. A credential
  sent as a string must be a JWT: JSON in a string is a parsing error. Each error names its problem type
  (``https://www.w3.org/TR/vc-data-model#PARSING_ERROR``, ``CRYPTOGRAPHIC_SECURITY_ERROR``,
  ``MALFORMED_VALUE_ERROR``).
- ``POST /credentials/status`` (``credentials:status``): revoke, suspend or unsuspend an award of the token's
  organisation by its id (``urn:uuid:`` award id, or the ``id`` a credential issued through the VC-API carried).
- ``GET /orgs/{slug}/did.json`` and ``GET /orgs/{slug}/status/{purpose}/{sequence}`` (public documents), and
  ``GET /orgs/{slug}/status/{purpose}/{sequence}/token`` (the same list as an IETF Status List Token;
  ``combined``: revocation and suspension in one two-bit token).

Every error answers the one JSON shape of :mod:`cairn.web.errors`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from cairn.errors import CredentialError, InputError
from cairn.services.accounts.access import TokenPrincipal
from cairn.vc.intake import VC
from cairn.vc.issuance import SUITES
from cairn.vc.proofs.ecdsa_sd import MAX_POINTERS, derive
from cairn.vc.proofs.jose import is_compact_jws
from cairn.vc.report import Outcome, Report
from cairn.vc.verification import SELECTABLE_CHECKS
from cairn.web.deps import RowId, bearer_token, container
from cairn.web.errors import answers_json
from cairn.web.verification.counted import count_verification

__all__ = ["router"]

router = APIRouter(tags=["VC-API"], dependencies=[Depends(answers_json)])


class IssueOptions(BaseModel):
    """Options of an issue request; unknown ones are ignored, as VC-API asks."""

    model_config = ConfigDict(extra="ignore")
    cryptosuite: str | None = Field(None, description=f"one of {', '.join(SUITES)}")
    keyType: Literal["P-256", "P-384", "Ed25519"] | None = Field(None, description="the ECDSA key to sign with")
    mandatoryPointers: list[Annotated[str, Field(max_length=1000)]] | None = Field(
        None, max_length=MAX_POINTERS, description="ecdsa-sd-2023: JSON Pointers every derived credential discloses"
    )


class IssueRequest(BaseModel):
    """``{credential, options}``."""

    model_config = ConfigDict(extra="ignore")
    credential: dict[str, Any]
    options: IssueOptions = Field(default_factory=IssueOptions)


class DeriveOptions(BaseModel):
    """What to disclose: JSON Pointers into the credential (the issuer's mandatory ones are always kept)."""

    model_config = ConfigDict(extra="ignore")
    selectivePointers: list[Annotated[str, Field(max_length=1000)]] = Field(
        default_factory=list, max_length=MAX_POINTERS
    )


class DeriveRequest(BaseModel):
    """``{verifiableCredential, options}``: a credential with an ecdsa-sd-2023 base proof."""

    model_config = ConfigDict(extra="ignore")
    verifiableCredential: dict[str, Any]
    options: DeriveOptions = Field(default_factory=DeriveOptions)


VCAPI_CHECKS: dict[str, frozenset[str]] = {
    "proof": frozenset({"issuer-key", "presentation"}),
    "credentialStatus": frozenset({"status"}),
    "status": frozenset({"status"}),
    "validity": frozenset(),  # the data model and the validity period are always checked
    "expiration": frozenset(),
    "wellFormed": frozenset(),
    "schema": frozenset({"schema"}),
    "credentialSchema": frozenset({"schema"}),
    "nested": frozenset({"nested"}),
} | {name: frozenset({name}) for name in SELECTABLE_CHECKS}
"""``options.checks`` names (VC-API's and Cairn's own) and the checks each one runs, beside the signature."""

_PROBLEMS = {
    "readable": "PARSING_ERROR",
    "proof": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "issuer-key": "CRYPTOGRAPHIC_SECURITY_ERROR",
    "well-formed": "MALFORMED_VALUE_ERROR",
    "schema": "MALFORMED_VALUE_ERROR",
}
"""The VCDM 2.0 problem type (section 7.1) of a failed check."""
_PROBLEM_BASE = "https://www.w3.org/TR/vc-data-model#"


class VerifyOptions(BaseModel):
    """Verification options: the challenge and domain a presentation must carry, and the checks to run."""

    model_config = ConfigDict(extra="ignore")
    challenge: str | None = Field(None, max_length=500)
    domain: str | None = Field(None, max_length=500)
    checks: list[str] | None = Field(
        None, max_length=20, description=f"checks to run beside the signature: {', '.join(sorted(VCAPI_CHECKS))}"
    )

    def selected(self) -> frozenset[str] | None:
        """The Cairn checks ``checks`` asks for (None: all); unknown names are refused."""
        if self.checks is None:
            return None
        unknown = sorted({str(name)[:40] for name in self.checks} - set(VCAPI_CHECKS))
        if unknown:
            known = ", ".join(sorted(VCAPI_CHECKS))
            raise InputError(f"unknown checks in options.checks: {', '.join(unknown)} (known: {known})")
        return frozenset().union(*(VCAPI_CHECKS[name] for name in self.checks))


class VerifyCredentialRequest(BaseModel):
    """``{verifiableCredential, options}``: a credential object, or a JWT string."""

    model_config = ConfigDict(extra="ignore")
    verifiableCredential: dict[str, Any] | str
    options: VerifyOptions = Field(default_factory=VerifyOptions)


class VerifyPresentationRequest(BaseModel):
    """``{verifiablePresentation, options}``."""

    model_config = ConfigDict(extra="ignore")
    verifiablePresentation: dict[str, Any] | str
    options: VerifyOptions = Field(default_factory=VerifyOptions)


class StatusItem(BaseModel):
    """One status to set: its purpose and whether it is on."""

    model_config = ConfigDict(extra="ignore")
    type: Literal["BitstringStatusListEntry"] = "BitstringStatusListEntry"
    statusPurpose: Literal["revocation", "suspension"]
    status: bool
    reason: str | None = Field(None, max_length=1000)


class StatusRequest(BaseModel):
    """``{credentialId, credentialStatus: [...]}``."""

    model_config = ConfigDict(extra="ignore")
    credentialId: str = Field(max_length=200)
    credentialStatus: list[StatusItem] = Field(min_length=1, max_length=2)


IssuerToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:issue"))]
StatusToken = Annotated[TokenPrincipal, Depends(bearer_token("credentials:status"))]


def _issue(
    request: Request, body: IssueRequest, principal: TokenPrincipal, suite: str | None, key_type: str | None = None
) -> Response:
    service = container(request).api_issuing
    secured = service.issue(
        body.credential,
        organisation=principal.organisation,
        suite=suite or body.options.cryptosuite,
        actor=principal.actor,
        key_type=key_type or body.options.keyType,
        mandatory_pointers=body.options.mandatoryPointers,
    )
    return JSONResponse({"verifiableCredential": secured}, status_code=201)


@router.post("/credentials/issue", status_code=201, summary="Issue a credential (VC-API)")
def issue_credential(request: Request, body: IssueRequest, principal: IssuerToken) -> Response:
    """Sign the posted credential as the token's organisation, with ``options.cryptosuite`` or its own suite."""
    return _issue(request, body, principal, None)


@router.post("/suites/{cryptosuite}/credentials/issue", status_code=201, summary="Issue with a named cryptosuite")
def issue_with_suite(request: Request, cryptosuite: str, body: IssueRequest, principal: IssuerToken) -> Response:
    """The same as ``/credentials/issue``, with the cryptosuite chosen by the URL (for test harnesses)."""
    return _issue(request, body, principal, cryptosuite)


@router.post(
    "/suites/{cryptosuite}/{key_type}/credentials/issue", status_code=201, summary="Issue with a suite and key type"
)
def issue_with_suite_and_key(
    request: Request,
    cryptosuite: str,
    key_type: Literal["P-256", "P-384", "Ed25519"],
    body: IssueRequest,
    principal: IssuerToken,
) -> Response:
    """The same as ``/credentials/issue``, with the cryptosuite and key type (``P-256``, ``P-384``) in the URL."""
    return _issue(request, body, principal, cryptosuite, key_type)


@router.post("/credentials/derive", status_code=201, summary="Derive a selective disclosure credential (VC-API)")
def derive_credential(body: DeriveRequest) -> Response:
    """The holder's step for ecdsa-sd-2023: keep the issuer's mandatory statements and those the
    ``selectivePointers`` select, with a derived proof any ecdsa-sd-2023 verifier checks."""
    try:
        derived = derive(body.verifiableCredential, selective_pointers=body.options.selectivePointers)
    except CredentialError as exc:
        raise InputError(exc.message) from None
    return JSONResponse({"verifiableCredential": derived}, status_code=201)


def _problem(check: dict[str, str]) -> dict[str, str]:
    kind = _PROBLEMS.get(check["check"])
    return {**check, "type": _PROBLEM_BASE + kind} if kind else check


def _result(report: Report) -> Response:
    body = report.to_dict()
    body["checks_passed"] = sorted({c.name for c in report.checks if c.outcome is Outcome.PASS})
    body["warnings"] = [c.to_dict() for c in report.checks if c.outcome is Outcome.WARNING]
    body["errors"] = [_problem(c.to_dict()) for c in report.checks if c.outcome is Outcome.FAIL]
    status = 200 if report.verified else 400
    try:  # orjson writes the same compact UTF-8 JSON as JSONResponse, several times faster
        return Response(orjson.dumps(body), status_code=status, media_type="application/json")
    except TypeError:  # orjson.JSONEncodeError: e.g. an integer beyond 64 bits echoed from the credential
        return JSONResponse(body, status_code=status)


def _size(request: Request) -> int | None:
    """The body's declared size, for the verification service's inline-or-thread choice."""
    size = request.headers.get("content-length", "")
    return int(size) if size.isdigit() else None


async def verify_answer(request: Request, source: Any, options: VerifyOptions) -> Response:
    """The verification report as the VC-API answer (Verifiable Credentials and presentations only)."""
    checks = options.selected()
    if isinstance(source, str) and not is_compact_jws(source):
        report = Report("unknown")
        report.add(
            "readable",
            Outcome.FAIL,
            "a credential or presentation sent as a string must be a JWT; JSON is sent as an object, not in a string",
        )
        return _result(report)
    report = await container(request).verification.verify_async(
        source, size=_size(request), challenge=options.challenge, domain=options.domain, formats=(VC,), checks=checks
    )
    count_verification(request, report, "api")
    return _result(report)


@router.post("/credentials/verify", summary="Verify a credential (VC-API)")
async def verify_credential(request: Request, body: VerifyCredentialRequest) -> Response:
    """Every check with pass / fail / warning and a reason; 200 when verified, 400 when not."""
    return await verify_answer(request, body.verifiableCredential, body.options)


@router.post("/presentations/verify", summary="Verify a presentation (VC-API)")
async def verify_presentation(request: Request, body: VerifyPresentationRequest) -> Response:
    """The presentation's proof, challenge and domain, and each credential in it."""
    return await verify_answer(request, body.verifiablePresentation, body.options)


@router.post("/credentials/status", summary="Revoke, suspend or unsuspend a credential (VC-API)")
def update_status(request: Request, body: StatusRequest, principal: StatusToken) -> Response:
    """Set the status bits of an award this organisation issued; revocation cannot be undone.

    ``credentialId`` is the credential's ``id``: an award's ``urn:uuid:``, or the id a credential issued through
    ``/credentials/issue`` was given. Another organisation's award is not found (404)."""
    service = container(request).status_lists
    award_id = container(request).api_issuing.award_id_for(body.credentialId, organisation=principal.organisation)
    done = []
    for item in body.credentialStatus:
        reason = item.reason or "updated through the VC-API"
        kwargs = {"reason": reason, "actor": principal.actor, "organisation": principal.organisation}
        if item.statusPurpose == "revocation":
            if not item.status:
                raise InputError("a revoked credential cannot be reinstated; issue a new one")
            service.revoke(award_id, **kwargs)
        elif item.status:
            service.suspend(award_id, **kwargs)
        else:
            service.unsuspend(award_id, **kwargs)
        done.append({"statusPurpose": item.statusPurpose, "status": item.status})
    return JSONResponse({"credentialId": body.credentialId, "credentialStatus": done})


@router.get("/orgs/{slug}/did.json", summary="An organisation's DID document (did:web)")
def did_document(request: Request, slug: str) -> Response:
    """Every verification method the organisation has used, so old credentials keep verifying."""
    document = container(request).keys.did_document(slug)
    return JSONResponse(document, media_type="application/did+json", headers={"Cache-Control": "public, max-age=300"})


@router.get("/orgs/{slug}/status/{purpose}/{sequence}", summary="A signed Bitstring Status List credential")
def status_list(
    request: Request,
    slug: str,
    purpose: Literal["revocation", "suspension"],
    sequence: RowId,
    if_none_match: Annotated[str | None, Header()] = None,
    accept: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """The list, signed, with an ETag; 304 when the caller's copy is current.

    Served as ``application/vc``, or as ``application/ld+json`` / ``application/json`` to a client that asks
    only for those (JSON-LD document loaders do)."""
    published = container(request).status_lists.published(slug, purpose, sequence)
    headers = {"ETag": published.etag, "Cache-Control": published.cache_control, "Vary": "Accept"}
    if published.not_modified(if_none_match):
        return Response(status_code=304, headers=headers)
    return Response(published.body, media_type=_list_media_type(published.media_type, accept), headers=headers)


@router.get(
    "/orgs/{slug}/status/{purpose}/{sequence}/token", summary="The same status list as an IETF Status List Token"
)
def status_list_token(
    request: Request,
    slug: str,
    purpose: Literal["revocation", "suspension", "combined"],
    sequence: RowId,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """The list as a signed ``application/statuslist+jwt`` (draft-ietf-oauth-status-list), for SD-JWT VCs: the
    same entries as the Bitstring Status List beside it; an ETag, and 304 when the caller's copy is current.
    ``combined``: revocation list ``sequence``'s awards in two bits each (revoked INVALID, suspended SUSPENDED),
    what SD-JWT VCs name now."""
    published = container(request).status_lists.token(slug, purpose, sequence)
    headers = {"ETag": published.etag, "Cache-Control": published.cache_control}
    if published.not_modified(if_none_match):
        return Response(status_code=304, headers=headers)
    return Response(published.body, media_type=published.media_type, headers=headers)


def _list_media_type(own: str, accept: str | None) -> str:
    wanted = [part.split(";")[0].strip().lower() for part in (accept or "").split(",")]
    if not accept or own in wanted or "*/*" in wanted or "application/*" in wanted:
        return own
    return next((t for t in ("application/ld+json", "application/json") if t in wanted), own)
