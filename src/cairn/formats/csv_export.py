"""CSV text that a spreadsheet opens as data, never as formulas (CSV or formula injection, OWASP).

Every CSV the app writes goes through :func:`csv_text`: the verification batch download
(:func:`cairn.services.verification.batch.rows_to_csv`), the bulk award report and the bulk award example file
(:mod:`cairn.web.issuing.bulk`). Following OWASP's guidance, every field is quoted, and :func:`inert` makes
each value safe:

- a value that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading ``'``, which
  spreadsheets read as "this is text";
- a spreadsheet may split a line on another separator than the one the file uses (Excel in Polish or German
  splits on ``;``), or ignore the quotes, so a ``,``, ``;``, tab, line break or ``"`` inside a value may start a
  cell there too: where one is followed (after spaces) by ``=``, ``+``, ``-`` or ``@``, a ``'`` goes before that
  character. ``x;=HYPERLINK("http://evil")`` is written as ``x;'=HYPERLINK("http://evil")``.

Values that start no formula, dates and e-mail addresses among them, are written unchanged.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Final

__all__ = ["csv_text", "inert"]

_FORMULA_START: Final = ("=", "+", "-", "@", "\t", "\r")
"""What OWASP lists: a cell beginning with one of these may be run as a formula."""
_CELL_START: Final = re.compile(r"(^|[,;\t\r\n\"])( *)(?=[=+\-@])")
"""Where a reader that splits on any separator (or ignores quotes) starts a cell that would run as a formula."""


def inert(value: str) -> str:
    """``value`` made safe to open in a spreadsheet (see the module's text); unchanged when already safe."""
    text = "'" + value if value.startswith(_FORMULA_START) else value
    return _CELL_START.sub(r"\1\2'", text)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """CSV text (CRLF line ends, every field quoted) with ``header`` first and every value made :func:`inert`."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([inert(name) for name in header])
    for row in rows:
        writer.writerow([inert(value) for value in row])
    return out.getvalue()
