"""The encrypted envelope of a backup: a passphrase-derived key (scrypt) and AES-256-GCM over fixed-size chunks.

Layout: a 35-byte header (magic, format version, scrypt's log2 N, r and p, a 16-byte salt, a 7-byte nonce prefix),
then the chunks, each :data:`CHUNK` bytes of plaintext (the last one shorter, possibly empty) followed by its
16-byte tag. A chunk's nonce is the prefix, its index (4 bytes) and a flag that marks the last chunk (the STREAM
construction), and the header is every chunk's associated data: chunks cannot be reordered, dropped, cut off at
the end or moved to another archive without failing to open. Fixed-size chunks make the plaintext seekable
(:class:`OpenedArchive`), so a zip inside is read without ever writing the plaintext to disk.
"""

from __future__ import annotations

import io
import os
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from cairn.errors import InputError

__all__ = ["CHUNK", "DEFAULT_LOG2_N", "OpenedArchive", "SealingWriter"]

MAGIC = b"CAIRNBK\x00"
VERSION = 1
CHUNK = 256 * 1024
TAG = 16
DEFAULT_LOG2_N = 17
"""scrypt's cost: N = 2**17, r = 8 (128 MiB of memory, about half a second), the strength OWASP recommends."""
MAX_LOG2_N = 22
_HEADER = struct.Struct(">8sBBBB16s7s")


def _derive(passphrase: bytes, salt: bytes, log2_n: int, r: int, p: int) -> AESGCM:
    if not passphrase:
        raise InputError("the backup passphrase is empty")
    key = Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase)
    return AESGCM(key)


def _nonce(prefix: bytes, index: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", index, 1 if last else 0)


class SealingWriter:
    """A write-only stream that encrypts what is written to ``out`` chunk by chunk (:meth:`close` seals the last)."""

    def __init__(self, out: BinaryIO, passphrase: bytes, *, log2_n: int = DEFAULT_LOG2_N) -> None:
        salt, prefix = os.urandom(16), os.urandom(7)
        self._header = _HEADER.pack(MAGIC, VERSION, log2_n, 8, 1, salt, prefix)
        self._aead = _derive(passphrase, salt, log2_n, 8, 1)
        self._prefix = prefix
        self._out = out
        self._buffer = bytearray()
        self._index = 0
        self._closed = False
        out.write(self._header)

    def _emit(self, data: bytes, *, last: bool) -> None:
        if self._index >= 2**32 - 1:
            raise InputError("the backup is too large for one archive")
        self._out.write(self._aead.encrypt(_nonce(self._prefix, self._index, last), data, self._header))
        self._index += 1

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:  # keep a full chunk back: it may turn out to be the last
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        """Seal what is left as the last chunk (once)."""
        if not self._closed:
            self._closed = True
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._out.flush()


class OpenedArchive(io.RawIOBase):
    """The decrypted plaintext of an archive, readable and seekable, each chunk opened (and authenticated) when read.

    Opening decrypts the first chunk: a wrong passphrase fails at once, with an :class:`InputError`."""

    def __init__(self, path: Path, passphrase: bytes) -> None:
        super().__init__()
        self._file = path.open("rb")
        try:
            header = self._file.read(_HEADER.size)
            if len(header) < _HEADER.size or not header.startswith(MAGIC):
                raise InputError(f"{path.name} is not a Cairn backup")
            _, version, log2_n, r, p, salt, prefix = _HEADER.unpack(header)
            if version != VERSION:
                raise InputError(f"{path.name} is a backup of format {version}; this Cairn reads format {VERSION}")
            if not (10 <= log2_n <= MAX_LOG2_N and 1 <= r <= 32 and 1 <= p <= 16):
                raise InputError(f"{path.name} has unreasonable key derivation parameters")
            body = path.stat().st_size - _HEADER.size
            self._chunks = -(-body // (CHUNK + TAG))
            last = body - (self._chunks - 1) * (CHUNK + TAG)
            if self._chunks == 0 or last < TAG:
                raise InputError(f"{path.name} is cut short: the backup is damaged")
            self._size = body - TAG * self._chunks
            self._header, self._prefix = header, prefix
            self._aead = _derive(passphrase, salt, log2_n, r, p)
            self._position = 0
            self._cached: tuple[int, bytes] = (-1, b"")
            self._chunk(0)
        except BaseException:
            self._file.close()
            raise

    def _chunk(self, index: int) -> bytes:
        if self._cached[0] == index:
            return self._cached[1]
        self._file.seek(_HEADER.size + index * (CHUNK + TAG))
        last = index == self._chunks - 1
        sealed = self._file.read(CHUNK + TAG)
        try:
            plain = self._aead.decrypt(_nonce(self._prefix, index, last), sealed, self._header)
        except InvalidTag:
            if index == 0:
                raise InputError("the backup does not open: a wrong passphrase, or a damaged archive") from None
            raise InputError(f"the backup is damaged or was altered (chunk {index} does not authenticate)") from None
        self._cached = (index, plain)
        return plain

    @property
    def size(self) -> int:
        """The plaintext's length."""
        return self._size

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = max(0, base + offset)
        return self._position

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        done = 0
        while done < len(view) and self._position < self._size:
            index, offset = divmod(self._position, CHUNK)
            piece = self._chunk(index)[offset : offset + len(view) - done]
            view[done : done + len(piece)] = piece
            done += len(piece)
            self._position += len(piece)
        return done

    def close(self) -> None:
        self._file.close()
        super().close()
