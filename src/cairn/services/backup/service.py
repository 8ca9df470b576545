"""Backup and restore of a whole instance (``cairn backup`` / ``cairn restore``).

An archive is a zip, encrypted as a whole with the operator's passphrase (:mod:`cairn.services.backup.sealed`),
holding one JSON Lines part per table (parents first) and ``manifest.json``: the format, Cairn's version, the
schema revision, the source database, when it was made, and each part's row count and SHA-256. No secret is in
the manifest. Organisations' private keys stay sealed with the instance's ``CAIRN_SECRET_KEY`` inside the archive,
so a restore needs that same secret key: it is checked against the archived keys before anything is written.

A restore goes into a migrated database at the same revision, empty (or emptied with ``force``), in one
transaction: every part's digest and count are checked first, and checked again as the rows go in, so a wrong
passphrase, a changed byte, a missing secret key or a failed insert leave the database as it was. An archive from
an older revision is refused (restore it with the release that made it, then upgrade); one from a newer revision
or one this code does not know is refused too.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy.exc import DBAPIError

from cairn.errors import ConfigurationError, ConflictError, InputError, StorageError
from cairn.services.backup import sealed as envelope
from cairn.services.backup.sealed import CHUNK, OpenedArchive, SealingWriter
from cairn.services.issuing.keys import KeyService
from cairn.store.backup import (
    SEEDED,
    clear_tables,
    insert_rows,
    read_rows,
    reset_sequences,
    row_counts,
    snapshot,
    tables,
    writing,
)
from cairn.store.database import Database

__all__ = ["FORMAT", "BackupService", "Manifest", "Progress"]

FORMAT = "cairn-backup/1"
MANIFEST = "manifest.json"
Progress = Callable[[str, int, int], None]
"""Told (table, rows done, rows in all) as a table is written or restored."""


@dataclass(frozen=True)
class Manifest:
    """What an archive holds (``manifest.json``)."""

    cairn_version: str
    revision: str | None
    dialect: str
    created_at: str
    parts: list[dict[str, Any]]
    """Per table, parents first: ``table``, ``part`` (the file in the zip), ``rows`` and ``sha256``."""

    @property
    def counts(self) -> dict[str, int]:
        return {p["table"]: int(p["rows"]) for p in self.parts}

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "cairn_version": self.cairn_version,
            "revision": self.revision,
            "dialect": self.dialect,
            "created_at": self.created_at,
            "tables": self.parts,
        }

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        try:
            body = json.loads(data)
            if body.get("format") != FORMAT:
                raise InputError(f"the archive is of format {body.get('format')!r}; this Cairn reads {FORMAT}")
            parts = [
                {"table": str(p["table"]), "part": str(p["part"]), "rows": int(p["rows"]), "sha256": str(p["sha256"])}
                for p in body["tables"]
            ]
            version, made = str(body["cairn_version"]), str(body["created_at"])
            return cls(version, body["revision"], str(body["dialect"]), made, parts)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"the archive's manifest is not valid: {exc}") from None


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    while line := stream.readline():
        yield line


class BackupService:
    """Writes and restores encrypted archives of every table."""

    def __init__(
        self,
        database: Database,
        *,
        keys: KeyService,
        version: str,
        clock: Callable[[], datetime],
        log2_n: int | None = None,
    ) -> None:
        self.database = database
        self.keys = keys
        self.version = version
        self.clock = clock
        self.log2_n = log2_n
        """scrypt's cost for new archives (default: :data:`~cairn.services.backup.sealed.DEFAULT_LOG2_N`)."""

    # -- backup ------------------------------------------------------------------------------------------------

    def backup(self, path: Path, passphrase: bytes, *, progress: Progress | None = None) -> Manifest:
        """Write every table to ``path`` (replaced only once the archive is complete; readable by its owner only)."""
        partial = path.with_name(f".{path.name}.partial")
        try:
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as out:
                sealed = SealingWriter(out, passphrase, log2_n=self.log2_n or envelope.DEFAULT_LOG2_N)
                manifest = self._write(sealed, progress)
                sealed.close()
                os.fsync(out.fileno())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return manifest

    def _write(self, sink: SealingWriter, progress: Progress | None) -> Manifest:
        parts: list[dict[str, Any]] = []
        with (
            snapshot(self.database) as (conn, revision),
            zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        ):
            counts = row_counts(conn)
            for number, table in enumerate(tables(), start=1):
                name = f"tables/{number:03d}-{table.name}.jsonl"
                digest, rows = hashlib.sha256(), 0
                with archive.open(name, "w", force_zip64=True) as part:
                    for record in read_rows(conn, table):
                        line = orjson.dumps(record) + b"\n"
                        digest.update(line)
                        part.write(line)
                        rows += 1
                        if progress and rows % 10_000 == 0:
                            progress(table.name, rows, counts[table.name])
                if progress:
                    progress(table.name, rows, rows)
                parts.append({"table": table.name, "part": name, "rows": rows, "sha256": digest.hexdigest()})
            manifest = Manifest(self.version, revision, self.database.dialect, self.clock().isoformat(), parts)
            archive.writestr(MANIFEST, json.dumps(manifest.as_json(), indent=2))
        return manifest

    # -- restore -----------------------------------------------------------------------------------------------

    def read_manifest(self, path: Path, passphrase: bytes) -> Manifest:
        """The manifest of the archive at ``path`` (opening it checks the passphrase)."""
        with self._open(path, passphrase) as archive:
            return self._manifest(archive)

    def _open(self, path: Path, passphrase: bytes) -> zipfile.ZipFile:
        raw = OpenedArchive(path, passphrase)
        try:
            return zipfile.ZipFile(io.BufferedReader(raw, CHUNK))
        except zipfile.BadZipFile:
            raw.close()
            raise InputError("the decrypted archive is not a valid zip: it is damaged") from None

    def _manifest(self, archive: zipfile.ZipFile) -> Manifest:
        try:
            manifest = Manifest.parse(archive.read(MANIFEST))
        except KeyError:
            raise InputError("the archive has no manifest") from None
        expected = [t.name for t in tables()]
        if [p["table"] for p in manifest.parts] != expected:
            raise InputError("the archive's tables are not this Cairn's tables")
        return manifest

    def _check_revision(self, manifest: Manifest) -> None:
        head = self.database.head_revision()
        if manifest.revision == head:
            return
        if manifest.revision is not None and self.database.knows_revision(manifest.revision):
            raise InputError(
                f"the archive is at schema revision {manifest.revision} (Cairn {manifest.cairn_version}) and this "
                f"Cairn at {head}: restore it with the Cairn release that made it, then run 'cairn db upgrade' "
                "with this one"
            )
        raise InputError(
            f"the archive is at schema revision {manifest.revision} (Cairn {manifest.cairn_version}), which this "
            f"Cairn (at {head}) does not know: restore it with that release or a newer one"
        )

    def _verified(self, archive: zipfile.ZipFile, manifest: Manifest) -> None:
        """Check every part's row count and digest, and that the archived signing keys open here."""
        sealed: list[tuple[int, str, bytes]] = []
        for part in manifest.parts:
            digest, rows = hashlib.sha256(), 0
            with archive.open(part["part"]) as stream:
                for line in _lines(stream):
                    digest.update(line)
                    rows += 1
                    if part["table"] == "keys":
                        row = orjson.loads(line)
                        secret = base64.b64decode(row["private_key_encrypted"])
                        sealed.append((row["organisation_id"], row["type"], secret))
            if rows != part["rows"] or digest.hexdigest() != part["sha256"]:
                raise InputError(f"the archive's part {part['part']} does not match its manifest: it was altered")
        try:
            self.keys.check_secret(sealed)
        except ConfigurationError as exc:
            raise ConfigurationError(
                f"{exc.message}. Restoring needs the CAIRN_SECRET_KEY of the instance the backup was made on: "
                "organisations' signing keys stay sealed with it inside the archive"
            ) from None

    def restore(
        self, path: Path, passphrase: bytes, *, force: bool = False, progress: Progress | None = None
    ) -> Manifest:
        """Restore the archive at ``path`` into this (migrated, empty unless ``force``) database, all or nothing."""
        if self.database.current_revision() != self.database.head_revision():
            raise InputError("the database is not migrated: run 'cairn db upgrade' first")
        with self._open(path, passphrase) as archive:
            manifest = self._manifest(archive)
            self._check_revision(manifest)
            self._verified(archive, manifest)
            try:
                with writing(self.database) as conn:
                    present = {t: n for t, n in row_counts(conn).items() if n and t not in SEEDED}
                    if present and not force:
                        raise ConflictError(
                            f"the database is not empty ({sum(present.values())} rows in {len(present)} tables): "
                            "restore into a new database, or pass --force to replace everything in it"
                        )
                    clear_tables(conn)
                    by_name = {t.name: t for t in tables()}
                    for part in manifest.parts:
                        digest = hashlib.sha256()
                        with archive.open(part["part"]) as stream:

                            def records(stream: IO[bytes] = stream, digest: Any = digest) -> Iterator[dict[str, Any]]:
                                for line in _lines(stream):
                                    digest.update(line)
                                    yield orjson.loads(line)

                            for done in insert_rows(conn, by_name[part["table"]], records()):
                                if progress and (done % 10_000 == 0 or done == part["rows"]):
                                    progress(part["table"], done, part["rows"])
                        if digest.hexdigest() != part["sha256"]:
                            raise InputError(f"the archive's part {part['part']} changed while it was restored")
                    reset_sequences(conn)
                    if row_counts(conn) != manifest.counts:
                        raise StorageError("the restored row counts do not match the archive's")
            except DBAPIError as exc:
                raise StorageError(
                    f"the restore failed and nothing was written: {type(exc.orig).__name__}: {str(exc.orig)[:300]}"
                ) from exc
        return manifest
