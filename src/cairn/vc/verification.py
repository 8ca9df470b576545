"""One verify for any supported credential: JSON-LD with Data Integrity proofs, VC-JWT (VC-JOSE and the
Open Badges 3.0 form), enveloped credentials and Verifiable Presentations.

:func:`verify` returns a :class:`~cairn.vc.report.Report` and never raises for bad input. Checks, each
pass / fail / warning / skipped with a reason:

- ``readable``: the input is JSON or a JWT within the size and depth limits;
- ``well-formed``: the VCDM 2.0 (or 1.1) rules;
- ``schema``: the 1EdTech JSON Schema, for Open Badges 3.0 credentials;
- ``proof``: every Data Integrity proof, or the JWT signature;
- ``issuer-key``: the signing key belongs to the issuer;
- ``validity``: the validity period against ``now`` (passed in: this module has no clock);
- ``status``: Bitstring Status List (and StatusList2021) entries and the 1EdTech revocation list, fetched only
  through the ``fetcher`` the caller gives; it fails closed (:mod:`cairn.vc.status_check`).

Nothing is fetched unless the caller passes a fetcher; did:key keys resolve offline. A key the credential
carries itself (a 1EdTech ``ISSUER-URL#<publicKeyMultibase>`` method, a JWT ``jwk`` header) checks the signature,
but ``issuer-key`` is then a warning unless the issuer's own documents list it (see :mod:`cairn.vc.issuer_keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from cairn.errors import CairnError, CredentialError
from cairn.phrases import Phrase
from cairn.vc.datamodel import credential_problems, credential_version
from cairn.vc.fetch import Fetcher, loads_json
from cairn.vc.issuer_keys import KeySources
from cairn.vc.jsonld.documents import DocumentLoader
from cairn.vc.keybinding import issuer_key
from cairn.vc.keys import PublicKey
from cairn.vc.multibase import b64url_decode
from cairn.vc.ob3_schema import ob3_schema_errors
from cairn.vc.proofs.jose import JwsKey, JwtResult, is_compact_jws, kid_resolver, verify_credential_jwt
from cairn.vc.proofs.suites import controller_of
from cairn.vc.report import Outcome, Report
from cairn.vc.values import as_list, id_of, nests_deeper_than, parse_time

__all__ = ["MAX_INPUT_BYTES", "SELECTABLE_CHECKS", "ob3_schema_errors", "verify"]

MAX_INPUT_BYTES = 2_000_000
"""Largest credential accepted, in bytes."""
MAX_DEPTH = 64
MAX_NESTED = 500
"""Most credentials a CLR may hold and still be checked one by one."""
VC1 = "https://www.w3.org/2018/credentials/v1"
VC2 = "https://www.w3.org/ns/credentials/v2"
OB_TYPES = ("OpenBadgeCredential", "AchievementCredential")
SELECTABLE_CHECKS = frozenset({"issuer-key", "schema", "status", "nested", "presentation"})
"""The checks a caller may leave out (``verify(checks=...)``). ``readable``, ``well-formed``, ``proof`` and
``validity`` always run: what they find is what a verifiable credential is (VCDM 2.0 section 7.1)."""

StatusListFetch = Callable[[str], Mapping[str, Any]]
_PRESENTATION_FORMATS = frozenset({"presentation", "vp-jwt"})


def verify(
    source: bytes | str | Mapping[str, Any],
    *,
    now: datetime,
    fetcher: Fetcher | None = None,
    loader: DocumentLoader | None = None,
    fetch_status_list: StatusListFetch | None = None,
    challenge: str | None = None,
    domain: str | None = None,
    resolve_key: Callable[[str, str], PublicKey] | None = None,
    checks: Collection[str] | None = None,
) -> Report:
    """Verify a credential or presentation given as bytes, text (JSON or a JWT) or parsed JSON.

    ``now`` (time-zone aware) judges validity periods. ``fetcher`` is the only way out to the network
    (did:web, status lists); ``fetch_status_list`` overrides how status list credentials are obtained
    (it must return an already verified list). ``challenge`` and ``domain`` are what a presentation's
    proof must carry. ``resolve_key(verification_method, purpose)`` replaces key resolution (did:key offline,
    did:web and HTTPS through ``fetcher``) for callers that hold keys themselves.

    ``checks`` (names from :data:`SELECTABLE_CHECKS`; None: all) chooses which of the optional checks run: each
    one left out is reported as skipped, "not requested", and nothing is fetched for it. ``readable``,
    ``well-formed``, ``proof`` and ``validity`` always run, so nothing unsigned or malformed is called verified.
    """
    unknown = sorted(set(checks or ()) - SELECTABLE_CHECKS)
    if unknown:
        raise ValueError(f"unknown checks {unknown}; known: {sorted(SELECTABLE_CHECKS)}")
    wanted = None if checks is None else frozenset(checks)
    ctx = _Context(now, fetcher, loader, fetch_status_list, challenge, domain, resolve_key, wanted)
    try:
        return ctx.dispatch(source)
    except Exception as exc:  # a report, never an exception, whatever the input
        report = Report("unknown")
        reason = (
            exc.message if isinstance(exc, CairnError) else f"the input could not be processed ({type(exc).__name__})"
        )
        report.add("readable", Outcome.FAIL, reason)
        return report


class _Context:
    def __init__(
        self,
        now: datetime,
        fetcher: Fetcher | None,
        loader: DocumentLoader | None,
        fetch_status_list: StatusListFetch | None,
        challenge: str | None,
        domain: str | None,
        resolve_key: Callable[[str, str], PublicKey] | None = None,
        wanted: frozenset[str] | None = None,
    ) -> None:
        if now.tzinfo is None:
            raise ValueError("now must be time-zone aware")
        self.now = now
        self.fetcher = fetcher
        self.loader = loader
        self.fetch_status_list = fetch_status_list
        """The caller's own way to get verified status lists; else they are fetched (:mod:`cairn.vc.status_check`)."""
        self.challenge = challenge
        self.domain = domain
        self._resolve_key = resolve_key
        self.keys = KeySources(fetcher, resolve_key)
        self.wanted = wanted
        self.jwt_keys: dict[int, tuple[Mapping[str, Any], JwsKey]] = {}
        """The key that verified each JWT credential (by the id of its credential object), for its status list."""

    def skipped(self, report: Report, name: str) -> bool:
        """Whether the caller left the check ``name`` out; if so it is reported as skipped."""
        if self.wanted is None or name in self.wanted:
            return False
        report.add(name, Outcome.SKIPPED, Phrase("not requested (the caller chose the checks to run)"))
        return True

    # -- input --------------------------------------------------------------------------------

    def dispatch(self, source: bytes | str | Mapping[str, Any]) -> Report:
        if isinstance(source, Mapping):
            return self.document(dict(source))
        data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
        if len(data) > MAX_INPUT_BYTES:
            return self._unreadable(f"the input is larger than {MAX_INPUT_BYTES:,} bytes")
        try:
            text = data.decode("utf-8-sig").strip()
        except UnicodeDecodeError:
            return self._unreadable("the input is not UTF-8 text")
        if is_compact_jws(text):
            return self.jwt(text)
        if not text.startswith("{"):
            return self._unreadable("the input is neither a JSON credential nor a JWT")
        try:
            parsed = loads_json(text, what="credential")
        except CredentialError as exc:
            return self._unreadable(exc.message)
        except RecursionError:
            return self._unreadable(f"the JSON nests deeper than {MAX_DEPTH} levels")
        if not isinstance(parsed, dict):
            return self._unreadable("the JSON is not an object")
        return self.document(parsed, depth_checked=True)  # loads_json refuses deep nesting itself

    def _unreadable(self, reason: str, fmt: str = "unknown") -> Report:
        report = Report(fmt)
        report.add("readable", Outcome.FAIL, reason)
        return report

    def document(self, doc: dict[str, Any], *, depth_checked: bool = False) -> Report:
        from cairn.vc.presentations import ENVELOPED_CREDENTIAL, ENVELOPED_PRESENTATION

        if not depth_checked and nests_deeper_than(doc, MAX_DEPTH):
            return self._unreadable(f"the JSON nests deeper than {MAX_DEPTH} levels")
        types = as_list(doc.get("type"))
        if "VerifiablePresentation" in types:
            return self.presentation(doc)
        if ENVELOPED_PRESENTATION in types:
            return self.enveloped(doc, ENVELOPED_PRESENTATION)
        if ENVELOPED_CREDENTIAL in types:
            return self.enveloped(doc, ENVELOPED_CREDENTIAL)
        report = Report("vc-data-integrity")
        proof = doc.get("proof", {})
        if not isinstance(proof, Mapping) and not (
            isinstance(proof, list) and proof and all(isinstance(p, Mapping) for p in proof)
        ):
            # Data Integrity: a proof that is not a map (or a set of maps) is a parsing error.
            report.add("readable", Outcome.FAIL, Phrase("the proof is not a JSON object (or a list of them)"))
        else:
            report.add("readable", Outcome.PASS, Phrase("JSON"))
        self.describe(report, doc)
        self.data_integrity(report, doc)
        self.common(report, doc)
        return report

    def inner(self, item: object) -> Report:
        """A credential carried inside another document: a JSON object, or a JWT string (never JSON in a string)."""
        if isinstance(item, Mapping):
            return self.dispatch(item)
        if isinstance(item, str) and is_compact_jws(item):
            return self.jwt(item.strip())
        return self._unreadable("not a credential: a JSON object or a JWT was expected")

    # -- envelopes ----------------------------------------------------------------------------

    def enveloped(self, doc: Mapping[str, Any], kind: str) -> Report:
        """An EnvelopedVerifiableCredential or EnvelopedVerifiablePresentation: the secured document in its data:
        URL is verified, and must be of the kind the envelope says."""
        from cairn.vc.presentations import ENVELOPED_PRESENTATION, read_envelope

        envelope = read_envelope(doc, kind)
        presentation = kind == ENVELOPED_PRESENTATION
        if envelope.problem:
            return self._unreadable(envelope.problem, "enveloped-vp" if presentation else "enveloped-vc")
        if envelope.token is not None:
            report = self.jwt(envelope.token)
        else:
            inner = envelope.document
            inner_types = as_list(inner.get("type"))
            if any(t in inner_types for t in ("EnvelopedVerifiableCredential", "EnvelopedVerifiablePresentation")):
                return self._unreadable("an envelope may not hold another envelope")
            report = self.document(inner)
        if (report.format in _PRESENTATION_FORMATS) != presentation and report.outcome_of("readable") is Outcome.PASS:
            if report.format in _PRESENTATION_FORMATS:
                held = Phrase("the %(kind)s holds a presentation", kind=kind)
            else:
                held = Phrase("the %(kind)s holds a credential", kind=kind)
            report.add("well-formed", Outcome.FAIL, held)
        report.format = f"enveloped-{report.format}"
        return report

    def jwt(self, token: str) -> Report:
        try:
            payload = loads_json(b64url_decode(token.split(".")[1], max_length=MAX_INPUT_BYTES), what="JWT payload")
        except CredentialError as exc:
            return self._unreadable(exc.message, "jwt")
        if not isinstance(payload, dict):
            return self._unreadable("the JWT payload is not a JSON object", "jwt")
        if "vp" in payload or "VerifiablePresentation" in as_list(payload.get("type")):
            return self.presentation_jwt(token)
        ob3 = "vc" in payload
        used: dict[str, Any] = {}
        result: JwtResult = verify_credential_jwt(
            token, resolve_key=self.keys.credential_jwt_resolver("assertionMethod", used), now=self.now
        )
        typ = (result.header or {}).get("typ")
        vc_jose = (
            not ob3 and isinstance(typ, str) and typ.lower().removeprefix("application/") in ("vc+jwt", "vc+ld+jwt")
        )
        report = Report("vc+jwt" if vc_jose else "ob3-jwt")
        report.add("readable", Outcome.PASS, Phrase("a JWT"))
        credential = payload.get("vc") if ob3 else payload
        if not isinstance(credential, dict):
            report.add("well-formed", Outcome.FAIL, Phrase("the JWT carries no credential"))
            return report
        self.describe(report, credential)
        if result.ok and result.key is not None:
            self.jwt_keys[id(credential)] = (credential, result.key)  # held, so the id is never reused
        if result.ok:
            alg = str((result.header or {}).get("alg"))[:40]
            report.add("proof", Outcome.PASS, Phrase("the JWT signature (%(alg)s) is valid", alg=alg))
        else:
            report.add("proof", Outcome.FAIL, result.reason or Phrase("the JWT signature does not verify"))
        issuer = id_of(credential.get("issuer"))
        if self.skipped(report, "issuer-key"):
            pass
        elif "kid" in used and issuer:
            methods = [used["kid"]]
            self._key_binding(report, issuer, methods, methods if result.ok else [])
        elif "jwk" in used and issuer:
            self._issuer_key(report, *self.keys.jwk_binding(issuer, used["jwk"]))
        else:
            self._issuer_key(
                report, Outcome.WARNING, Phrase("the JWT names no key, so the key cannot be tied to the issuer")
            )
        self.common(report, credential)
        return report

    # -- proofs ---------------------------------------------------------------------------------

    def resolve_key(self, verification_method: str, purpose: str) -> PublicKey:
        return self.keys.resolve_key(verification_method, purpose)

    def jwt_resolver(self, purpose: str) -> Callable[[Mapping[str, Any]], JwsKey]:
        override = self._resolve_key
        if override is None:
            return kid_resolver(fetcher=self.fetcher, purpose=purpose)

        def resolve(header: Mapping[str, Any]) -> PublicKey:
            kid = header.get("kid")
            if not isinstance(kid, str):
                raise CredentialError("the header has no kid naming the signing key")
            return override(kid, purpose)

        return resolve

    def data_integrity(self, report: Report, doc: Mapping[str, Any]) -> None:
        from cairn.vc.proofs.data_integrity import verify_proofs

        if "proof" not in doc:
            report.add("proof", Outcome.FAIL, Phrase("the credential has no proof: anyone could have written it"))
            return
        checks = verify_proofs(doc, resolve_key=self.keys.issuer_key, loader=self.loader)
        if not checks:
            report.add("proof", Outcome.FAIL, Phrase("the proof is empty"))
            return
        issuer = id_of(doc.get("issuer"))
        any_ok = any(c.ok for c in checks)
        for check in checks:
            suite = check.cryptosuite or "unknown suite"
            if check.ok:
                vm = check.verification_method
                said = Phrase("%(suite)s signature by %(key)s is valid", suite=suite, key=str(vm))
                if issuer and vm and len(checks) > 1 and controller_of(vm) == issuer:
                    said = Phrase("%(suite)s signature by %(key)s is valid (the issuer's key)", suite=suite, key=vm)
                elif issuer and vm and len(checks) > 1:
                    said = Phrase(
                        "%(suite)s signature by %(key)s is valid (a key of another signer)", suite=suite, key=vm
                    )
                report.add("proof", Outcome.PASS, said)
            elif any_ok and "is not supported" in check.reason:
                # A proof in a set that Cairn cannot read does not undo one it has verified.
                report.add(
                    "proof", Outcome.WARNING, Phrase("another proof was not checked: %(reason)s", reason=check.reason)
                )
            else:
                report.add("proof", Outcome.FAIL, Phrase("%(suite)s: %(reason)s", suite=suite, reason=check.reason))
        methods = [c.verification_method for c in checks if c.verification_method]
        verified = [c.verification_method for c in checks if c.ok and c.verification_method]
        if issuer and not self.skipped(report, "issuer-key"):
            self._key_binding(report, issuer, methods, verified)

    def _key_binding(self, report: Report, issuer: str, methods: list[str], verified: list[str]) -> None:
        """The ``issuer-key`` check (:func:`cairn.vc.keybinding.issuer_key`)."""
        self._issuer_key(report, *issuer_key(issuer, methods, verified, self.keys.unconfirmed))

    @staticmethod
    def _issuer_key(report: Report, outcome: Outcome, reason: str) -> None:
        """A warning here means nothing the issuer controls confirmed the key: undetermined, whoever signed."""
        report.add("issuer-key", outcome, reason, undetermined=outcome is Outcome.WARNING)

    # -- presentations --------------------------------------------------------------------------

    def presentation(self, doc: dict[str, Any]) -> Report:
        from cairn.vc.presentations import presentation_problem, verify_presentation

        report = Report("presentation")
        report.add("readable", Outcome.PASS, Phrase("JSON"))
        problem = presentation_problem(doc)
        if problem:
            report.add("well-formed", Outcome.FAIL, problem)
            report.add("proof", Outcome.FAIL, Phrase("the proof was not checked: the presentation is malformed"))
        else:
            report.add("well-formed", Outcome.PASS, Phrase("follows the VCDM 2.0 rules for presentations"))
            check = verify_presentation(
                doc, resolve_key=self.resolve_key, challenge=self.challenge, domain=self.domain, loader=self.loader
            )
            report.add("proof", Outcome.PASS if check.ok else Outcome.FAIL, check.reason)
        self._presented(report, id_of(doc.get("holder")), as_list(doc.get("verifiableCredential")))
        return report

    def presentation_jwt(self, token: str) -> Report:
        from cairn.vc.presentations import verify_presentation_jwt

        report = Report("vp-jwt")
        report.add("readable", Outcome.PASS, Phrase("a JWT"))
        check = verify_presentation_jwt(
            token,
            resolve_key=self.jwt_resolver("authentication"),
            challenge=self.challenge,
            domain=self.domain,
            now=self.now,
        )
        report.add("proof", Outcome.PASS if check.ok else Outcome.FAIL, check.reason)
        self._presented(report, check.holder, list(check.credentials))
        return report

    def _presented(self, report: Report, holder: str | None, credentials: list[Any]) -> None:
        """The holder, the challenge warning and each credential a presentation carries, verified on its own."""
        report.subject = {"id": holder} if holder else {}
        if self.challenge is None and not self.skipped(report, "presentation"):
            report.add(
                "presentation", Outcome.WARNING, Phrase("no challenge was given, so a replayed presentation would pass")
            )
        for item in credentials[:MAX_NESTED]:
            report.credentials.append(self.inner(item))

    # -- the rest -------------------------------------------------------------------------------

    def describe(self, report: Report, doc: Mapping[str, Any]) -> None:
        report.credential = dict(doc)
        issuer = doc.get("issuer")
        if isinstance(issuer, Mapping):
            report.issuer = {k: issuer[k] for k in ("id", "name", "url") if isinstance(issuer.get(k), str)}
        elif isinstance(issuer, str):
            report.issuer = {"id": issuer}
        subjects = as_list(doc.get("credentialSubject"))
        subject = subjects[0] if subjects and isinstance(subjects[0], Mapping) else {}
        if isinstance(subject.get("id"), str):
            report.subject["id"] = subject["id"]
        identifiers = [i for i in as_list(subject.get("identifier")) if isinstance(i, Mapping)]
        if identifiers:
            report.subject["identifiers"] = [
                {"type": i.get("identityType"), "hashed": i.get("hashed")} for i in identifiers
            ]
        achievement = subject.get("achievement")
        if isinstance(achievement, Mapping):
            report.achievement = {
                k: achievement[k]
                for k in ("id", "name", "description", "achievementType")
                if isinstance(achievement.get(k), str)
            }
        elif isinstance(doc.get("name"), str):
            report.achievement = {"name": doc["name"]}

    def common(self, report: Report, doc: Mapping[str, Any]) -> None:
        self.well_formed(report, doc)
        if not self.skipped(report, "schema"):
            self.schema(report, doc)
        self.validity(report, doc)
        if not self.skipped(report, "status"):
            self.status(report, doc)
        if "ClrCredential" in as_list(doc.get("type")) and not self.skipped(report, "nested"):
            self.nested(report, doc)

    def nested(self, report: Report, doc: Mapping[str, Any]) -> None:
        """A CLR 2.0 credential vouches for the credentials inside it only if each of them verifies on its own."""
        subject = doc.get("credentialSubject")
        inner = as_list(subject.get("verifiableCredential")) if isinstance(subject, Mapping) else []
        if not inner:
            report.add("nested", Outcome.WARNING, Phrase("the CLR holds no credentials of its own"))
            return
        if len(inner) > MAX_NESTED:
            report.add(
                "nested",
                Outcome.FAIL,
                Phrase(
                    "the CLR holds %(n)s credentials; at most %(most)s are checked",
                    n=str(len(inner)),
                    most=str(MAX_NESTED),
                ),
            )
            return
        for item in inner:
            report.credentials.append(self.inner(item))
        failed = [r for r in report.credentials if not r.verified]
        if failed:
            report.add(
                "nested",
                Outcome.FAIL,
                Phrase(
                    "%(n)s of the %(total)s credentials inside do not verify", n=str(len(failed)), total=str(len(inner))
                ),
                undetermined=all(r.unconfirmed for r in failed),  # only their status is unknown
            )
        else:
            report.add(
                "nested",
                Outcome.PASS,
                Phrase("each of the %(n)s credentials inside verifies on its own", n=str(len(inner))),
            )

    def well_formed(self, report: Report, doc: Mapping[str, Any]) -> None:
        problems = credential_problems(doc)  # the rules the VC-API issuer applies too
        if problems:
            report.add("well-formed", Outcome.FAIL, "; ".join(problems))
        else:
            version = "1.1" if credential_version(doc) == 1 else "2.0"
            report.add("well-formed", Outcome.PASS, Phrase("follows the VCDM %(version)s rules", version=str(version)))

    def schema(self, report: Report, doc: Mapping[str, Any]) -> None:
        types = as_list(doc.get("type"))
        if not any(t in types for t in OB_TYPES):
            report.add("schema", Outcome.SKIPPED, Phrase("not an Open Badges 3.0 credential"))
            return
        if as_list(doc.get("@context"))[:1] != [VC2]:
            report.add(
                "schema",
                Outcome.SKIPPED,
                Phrase("the 1EdTech schema describes VCDM 2.0 credentials; this one is VCDM 1.1"),
            )
            return
        # The schema predates two VCDM 2.0 shapes: it wants ``proof`` as an array (one object is allowed too,
        # as in the 1EdTech vectors) and ``credentialStatus`` as one object (an array of entries, one per
        # purpose, is allowed too). Each status entry is then checked against the schema on its own.
        shaped = {**doc, "proof": [doc["proof"]]} if isinstance(doc.get("proof"), Mapping) else dict(doc)
        statuses = doc.get("credentialStatus")
        if isinstance(statuses, list) and statuses:
            errors = []
            for index, entry in enumerate(statuses):
                for problem in ob3_schema_errors({**shaped, "credentialStatus": entry}):
                    errors.append(problem.replace("credentialStatus", f"credentialStatus/{index}", 1))
            self._schema_outcome(report, sorted(set(errors)))
            return
        self._schema_outcome(report, ob3_schema_errors(shaped))

    def _schema_outcome(self, report: Report, errors: list[str]) -> None:
        if not errors:
            report.add("schema", Outcome.PASS, Phrase("valid against the 1EdTech Open Badges 3.0 JSON Schema"))
            return
        found = "; ".join(errors[:3])  # the schema's own words, about the credential's JSON
        if len(errors) > 3:
            reason = Phrase(
                "the 1EdTech Open Badges 3.0 JSON Schema finds: %(errors)s (and %(n)s more)",
                errors=found,
                n=str(len(errors) - 3),
            )
        else:
            reason = Phrase("the 1EdTech Open Badges 3.0 JSON Schema finds: %(errors)s", errors=found)
        report.add("schema", Outcome.FAIL, reason)

    def validity(self, report: Report, doc: Mapping[str, Any]) -> None:
        start = parse_time(doc.get("validFrom", doc.get("issuanceDate")))
        end = parse_time(doc.get("validUntil", doc.get("expirationDate")))
        if start is not None and start > self.now:
            report.add("validity", Outcome.FAIL, Phrase("not valid until %(date)s", date=start.isoformat()))
        elif end is not None and end < self.now:
            report.add("validity", Outcome.FAIL, Phrase("expired on %(date)s", date=end.isoformat()))
        elif end is not None:
            report.add("validity", Outcome.PASS, Phrase("valid until %(date)s", date=end.isoformat()))
        else:
            report.add("validity", Outcome.PASS, Phrase("valid with no end date"))

    def status(self, report: Report, doc: Mapping[str, Any]) -> None:
        from cairn.vc.status_check import StatusCheck

        StatusCheck(self, report, doc).run()
