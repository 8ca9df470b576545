"""Batch verification: a zip of credentials or a CSV of URLs in, one row per credential out.

:class:`BatchVerifier` verifies through the instance's one verification use case
(:class:`~cairn.services.verification.service.VerificationService`). Every input is bounded:

- the batch: at most ``max_items`` credentials and ``max_bytes`` bytes;
- a zip: no encryption, no nested archives, no entry over ``MAX_INPUT_BYTES`` (what the verifier reads), no
  entry whose compression ratio exceeds ``MAX_RATIO`` (a zip bomb), at most ``max_total`` bytes uncompressed in
  all, and entries are read with a bounded read whatever their headers claim;
- a CSV: one URL a row (the ``url`` column, else the first), https only, fetched through the guarded fetcher;
- time: the batch gets ``time_budget`` seconds; rows not finished by then say ``not checked: time budget``, so
  a request never hangs on slow hosts.

Every row says when it was checked (``checked_at``, UTC). Rows posted back for a CSV (:meth:`BatchVerifier.csv_of`)
are refused once older than ``max_age`` (the instance's re-check age), so a CSV never passes off an old outcome
(a credential revoked since) as the current one: the batch is verified again instead.

Formats are never guessed here: each credential goes to the verification service, which recognises its format
and says who vouches for each issuer (the ``vouched_by`` column: the body that accredited it, or empty). A URL
that serves an Open Badges 2.0 *hosted* assertion is verified by its URL, so the assertion, badge class and
issuer are fetched and cross-checked (the second fetch of the assertion comes from the instance's caching
fetcher). Nothing is logged about the credentials (they carry personal data).
"""

from __future__ import annotations

import copy
import csv
import io
import time
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

from cairn.errors import CairnError, ConflictError, InputError
from cairn.formats.csv_export import csv_text
from cairn.services.verification.service import VerificationService, vouched_by
from cairn.vc.fetch import loads_json
from cairn.vc.formats.ob2 import looks_like_ob2
from cairn.vc.report import UNCONFIRMED, Outcome, Report
from cairn.vc.verification import MAX_INPUT_BYTES

__all__ = ["STALE_ROWS", "BatchResult", "BatchRow", "BatchVerifier", "is_hosted_ob2", "rows_to_csv"]

MAX_RATIO: Final = 100
COLUMNS: Final = ("source", "verdict", "issuer", "vouched_by", "title", "learner", "reason", "checked_at")
STALE_ROWS: Final = (
    "these results were checked more than %(minutes)s minutes ago, so they may no longer be true: verify the "
    "batch again for a current CSV"
)
"""Why rows posted back for a CSV are refused (``%(minutes)s``: the re-check age)."""
_NOT_REACHED: Final = "not checked: time budget"
_CELL: Final = 500
_NOT_VERIFIED: Final = ("Not verified", "Not checked", UNCONFIRMED)
"""Verdicts counted as not verified (a status that could not be determined is never verified)."""
_ZIP_MAGIC: Final = (b"PK\x03\x04", b"PK\x05\x06")


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One credential of a batch: where it came from, and what verifying it found."""

    source: str
    verdict: str
    issuer: str = ""
    vouched_by: str = ""
    """Who vouches for the issuer: the body that accredited it (or this instance's operator); empty: nobody."""
    title: str = ""
    learner: str = ""
    reason: str = ""
    checked_at: str = ""
    """When it was checked (ISO 8601, UTC, to the second)."""

    def to_dict(self) -> dict[str, str]:
        """JSON form."""
        return asdict(self)

    @property
    def tone(self) -> str:
        """``ok`` (authentic and vouched for), ``warn`` (authentic, with a caveat) or ``fail``."""
        if self.verdict in _NOT_VERIFIED:
            return "fail"
        return "ok" if self.verdict in ("Authentic and vouched for", "Verified") else "warn"


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Every row, in input order, and how many were verified, not verified, and not checked."""

    rows: tuple[BatchRow, ...]

    @property
    def summary(self) -> dict[str, int]:
        """Counts by outcome."""
        verified = sum(1 for r in self.rows if r.verdict not in _NOT_VERIFIED)
        unchecked = sum(1 for r in self.rows if r.verdict == "Not checked")
        return {
            "total": len(self.rows),
            "verified": verified,
            "not_verified": len(self.rows) - verified - unchecked,
            "not_checked": unchecked,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"summary": self.summary, "rows": [r.to_dict() for r in self.rows]}


def _str(value: Any) -> str:
    return value[:_CELL] if isinstance(value, str) else ""


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _learner(credential: Mapping[str, Any]) -> str:
    subject = _map(_first(credential.get("credentialSubject")))
    if _str(subject.get("name")):
        return _str(subject.get("name"))
    identifiers = subject.get("identifier")
    hashed = False
    for ident in identifiers if isinstance(identifiers, list) else [identifiers]:
        ident = _map(ident)
        named = _str(ident.get("identityType")) == "name" and ident.get("hashed") is not True
        if named and _str(ident.get("identityHash")):
            return _str(ident.get("identityHash"))
        hashed = hashed or ident.get("hashed") is True
    if hashed:
        return "hashed identity"
    recipient = _map(credential.get("recipient"))  # Open Badges 2.0
    if recipient:
        return "hashed identity" if recipient.get("hashed") is True else "identity given"
    return _str(subject.get("id"))


def _title(report: Report, credential: Mapping[str, Any]) -> str:
    achievement = _map(_map(_first(credential.get("credentialSubject"))).get("achievement"))
    for value in (report.achievement.get("name"), achievement.get("name"), credential.get("name")):
        if _str(value):
            return _str(value)
    return ""


def _reason(report: Report) -> str:
    for wanted in (Outcome.FAIL, Outcome.WARNING):
        for check in report.checks:
            if check.outcome is wanted:
                return check.reason[:_CELL]
        for inner in report.credentials:
            for check in inner.checks:
                if check.outcome is wanted:
                    return check.reason[:_CELL]
    return ""


def is_hosted_ob2(body: bytes) -> bool:
    """Whether ``body`` is an Open Badges 2.0 assertion whose verification type is *hosted*."""
    if not looks_like_ob2(body):
        return False
    try:
        document = loads_json(body, what="assertion")
    except CairnError:
        return False  # a JWS (signed) assertion
    verification = document.get("verification") if isinstance(document, Mapping) else None
    kind = verification.get("type") if isinstance(verification, Mapping) else None
    return isinstance(kind, str) and kind.rsplit("#", 1)[-1].rsplit(":", 1)[-1].lower() in ("hosted", "hostedbadge")


def _ignored(name: str) -> bool:
    """Folders' metadata a zip tool adds (``__MACOSX/``, ``.DS_Store``): not credentials."""
    return name.startswith("__MACOSX/") or name.rsplit("/", 1)[-1].startswith(".")


class BatchVerifier:
    """Verify many credentials at once within size and time limits (see the module's text)."""

    def __init__(
        self,
        *,
        verification: VerificationService,
        max_items: int = 500,
        max_bytes: int = 20_000_000,
        max_total: int = 100_000_000,
        time_budget: float = 20.0,
        workers: int = 4,
        monotonic: Callable[[], float] = time.monotonic,
        max_age: timedelta = timedelta(minutes=60),
    ) -> None:
        self._verification = verification
        self.max_age = max_age
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.max_total = max_total
        self.time_budget = time_budget
        self._workers = workers
        self._monotonic = monotonic
        self._observe: Callable[[Report], None] | None = None

    def observed(self, observe: Callable[[Report], None]) -> BatchVerifier:
        """This verifier, calling ``observe`` with each report (from its worker threads): for one batch's counts."""
        verifier = copy.copy(self)
        verifier._observe = observe
        return verifier

    # -- reading a batch -------------------------------------------------------------------------------------

    def _zip_entries(self, data: bytes) -> list[tuple[str, bytes]]:
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            infos = archive.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
            raise InputError("the zip file cannot be read") from None
        files = [i for i in infos if not i.is_dir() and not _ignored(i.filename)]
        if not files:
            raise InputError("the zip file holds no credentials")
        if len(files) > self.max_items:
            raise InputError(f"the zip file holds {len(files):,} files; a batch may hold at most {self.max_items:,}")
        total = 0
        for info in files:
            if info.flag_bits & 0x1:
                raise InputError("encrypted zip files are refused")
            if info.filename.lower().endswith((".zip", ".jar", ".7z", ".gz", ".tar", ".rar")):
                raise InputError("zip files inside the zip are refused: put every credential at the top level")
            if info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
                raise InputError(f"a file in the zip expands more than {MAX_RATIO} times (a zip bomb?)")
            total += info.file_size
        if total > self.max_total:
            raise InputError(f"the zip file expands to more than {self.max_total:,} bytes")
        entries: list[tuple[str, bytes]] = []
        read = 0
        for info in files:
            name = info.filename[-200:]
            try:
                with archive.open(info) as handle:
                    content = handle.read(MAX_INPUT_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, ValueError, OSError, EOFError, RuntimeError):
                raise InputError(f"the file {name!r} in the zip cannot be read") from None
            if content[:4] in _ZIP_MAGIC:
                raise InputError("zip files inside the zip are refused: put every credential at the top level")
            read += len(content)
            if read > self.max_total or (info.compress_size and len(content) / info.compress_size > MAX_RATIO):
                raise InputError(f"a file in the zip expands more than {MAX_RATIO} times (a zip bomb?)")
            entries.append((name, content))
        return entries

    def _csv_urls(self, data: bytes) -> list[str]:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InputError("the CSV file is not UTF-8") from None
        rows: list[list[str]] = []
        empty = 0
        try:  # stop at the first row past the limits: a file of a million (empty) rows is not read to its end
            for row in csv.reader(io.StringIO(text, newline="")):
                if not any(cell.strip() for cell in row):
                    empty += 1
                    if empty > self.max_items:
                        raise InputError(f"the CSV file has more than {self.max_items:,} empty rows, the limit")
                    continue
                rows.append(row)
                if len(rows) > self.max_items + 1:
                    raise InputError(f"the CSV file lists more than {self.max_items:,} URLs, the limit")
        except csv.Error as exc:
            raise InputError(f"the CSV file cannot be read: {exc}") from None
        if not rows:
            raise InputError("the CSV file holds no URLs")
        header = [cell.strip().lower() for cell in rows[0]]
        column = header.index("url") if "url" in header else 0
        if "url" in header or not header[0].startswith(("https://", "http://")):
            rows = rows[1:]
        urls = [row[column].strip() if column < len(row) else "" for row in rows]
        if len(urls) > self.max_items:
            raise InputError(f"the CSV file lists {len(urls):,} URLs; a batch may hold at most {self.max_items:,}")
        if not urls:
            raise InputError("the CSV file holds no URLs")
        return urls

    # -- verifying -------------------------------------------------------------------------------------------

    def _row(self, source: str, report: Report) -> BatchRow:
        credential = report.credential or {}
        issuer = report.issuer or _map(credential.get("issuer"))
        return BatchRow(
            source=source[:_CELL],
            verdict=report.verdict,
            issuer=_str(issuer.get("name")) or _str(issuer.get("id")),
            vouched_by=vouched_by(report.trust),
            title=_title(report, credential),
            learner=_str(report.subject.get("name")) or _learner(credential),
            reason=_reason(report),
        )

    def _verify_entry(self, name: str, content: bytes | str) -> BatchRow:
        if len(content) > MAX_INPUT_BYTES:
            return BatchRow(name, "Not verified", reason=f"the file is larger than {MAX_INPUT_BYTES:,} bytes")
        report = self._verification.verify(content)
        if self._observe is not None:
            self._observe(report)
        return self._row(name, report)

    def _verify_url(self, url: str) -> BatchRow:
        if not url.lower().startswith("https://"):
            return BatchRow(url, "Not checked", reason="only https:// addresses are fetched")
        fetcher = self._verification.fetcher
        if fetcher is None:
            return BatchRow(url, "Not checked", reason="this instance does not fetch from the web")
        try:
            response = fetcher.fetch(url)
        except CairnError as exc:
            return BatchRow(url, "Not verified", reason=f"could not be fetched: {exc.message}"[:_CELL])
        if len(response.content) <= MAX_INPUT_BYTES and is_hosted_ob2(response.content):
            return self._verify_entry(url, url)  # fetched again through the cache, and cross-checked
        return self._verify_entry(url, response.content)

    def _run(self, sources: Sequence[str], task: Callable[[int], BatchRow]) -> BatchResult:
        stamp = self._verification.clock().isoformat(timespec="seconds")
        deadline = self._monotonic() + self.time_budget
        results: dict[int, BatchRow] = {}
        pool = ThreadPoolExecutor(max_workers=self._workers, thread_name_prefix="cairn-batch")
        try:
            pending: dict[Future[BatchRow], int] = {pool.submit(task, i): i for i in range(len(sources))}
            while pending:
                left = deadline - self._monotonic()
                if left <= 0:
                    break
                done, _ = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
                for future in done:
                    index = pending.pop(future)
                    try:
                        results[index] = future.result()
                    except CairnError as exc:
                        results[index] = BatchRow(sources[index], "Not verified", reason=exc.message[:_CELL])
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        rows = tuple(
            replace(
                results.get(i) or BatchRow(sources[i][:_CELL], "Not checked", reason=_NOT_REACHED), checked_at=stamp
            )
            for i in range(len(sources))
        )
        return BatchResult(rows)

    def verify_zip(self, data: bytes) -> BatchResult:
        """Verify every file in a zip archive (raises :class:`InputError` for an archive that is refused)."""
        self._check_size(data)
        entries = self._zip_entries(data)
        return self._run([n for n, _ in entries], lambda i: self._verify_entry(*entries[i]))

    def verify_urls(self, urls: Sequence[str]) -> BatchResult:
        """Fetch and verify each URL (https only)."""
        if len(urls) > self.max_items:
            raise InputError(f"a batch may hold at most {self.max_items:,} credentials")
        return self._run(list(urls), lambda i: self._verify_url(urls[i]))

    def verify_csv(self, data: bytes) -> BatchResult:
        """Fetch and verify each URL of a CSV file."""
        self._check_size(data)
        return self.verify_urls(self._csv_urls(data))

    def verify_file(self, data: bytes) -> BatchResult:
        """A zip archive (by its signature) or else a CSV of URLs."""
        self._check_size(data)
        if not data.strip():
            raise InputError("the file is empty")
        return self.verify_zip(data) if data[:4] in _ZIP_MAGIC else self.verify_csv(data)

    def csv_of(self, rows: Sequence[Mapping[str, Any]]) -> str:
        """Rows a results page showed, posted back, as CSV (:func:`rows_to_csv`); ConflictError (:data:`STALE_ROWS`)
        when any was checked longer ago than ``max_age`` or says not when, so an outcome that may have changed
        since (a revocation) is never written down as current."""
        now = self._verification.clock()
        for row in rows:
            try:
                checked = datetime.fromisoformat(str(row.get("checked_at") or ""))
            except ValueError:
                checked = None
            if checked is None or checked.tzinfo is None or now - checked > self.max_age:
                raise ConflictError(STALE_ROWS, minutes=int(self.max_age.total_seconds() // 60))
        return rows_to_csv(rows)

    def _check_size(self, data: bytes) -> None:
        if len(data) > self.max_bytes:
            raise InputError(f"a batch file may be at most {self.max_bytes:,} bytes")


def rows_to_csv(rows: Iterable[BatchRow | Mapping[str, Any]]) -> str:
    """The rows as CSV text with a header (made safe to open in a spreadsheet: :mod:`cairn.formats.csv_export`)."""
    dicts = (row.to_dict() if isinstance(row, BatchRow) else row for row in rows)
    return csv_text(COLUMNS, ([_str(values.get(c)) for c in COLUMNS] for values in dicts))
