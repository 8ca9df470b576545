"""QR codes of a link, as SVG (with a title and description for screen readers) or PNG (pure)."""

from __future__ import annotations

import io

import segno

__all__ = ["qr_code", "qr_png", "qr_svg"]


def qr_code(url: str) -> segno.QRCode:
    """The QR symbol Cairn draws for ``url`` (error correction M, never a Micro QR)."""
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, title: str, description: str) -> bytes:
    """An SVG QR code of ``url`` whose ``<title>`` and ``<desc>`` say what it is; UTF-8 bytes."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="svg", scale=6, border=4, title=title, desc=description, svgclass="qr", lineclass=None)
    return out.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """A PNG QR code of ``url`` (``scale`` pixels a module, with the standard quiet zone)."""
    out = io.BytesIO()
    qr_code(url).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
