"""The open-data release: a fixed set of count tables with differential privacy, made once per snapshot, and the
combination of releases from several instances (what a federating registry publishes for a whole network).

:func:`make_release` computes :data:`RELEASE_TABLES` (awards by each breakdown, learners in all) with each learner's
contribution bounded to ``bound`` awards, and adds Laplace noise from OpenDP to every cell
(:func:`~cairn.services.analytics.privacy.noisy_counts`). The privacy budget ``epsilon`` is split evenly over the
tables (sequential composition), so the whole release is ``epsilon``-differentially private with respect to one
learner. It is made once, at refresh, and stored with the snapshot: every process serves the same noisy numbers
(asking again cannot average the noise away). Cells are not withheld below *k*: the guarantee of this release is
differential privacy, and keeping every noisy cell lets releases from several instances be added up.

:func:`combine` adds up releases of the same tables from several instances (each instance's noise adds; each
instance's budget protects its own learners); no instance sends anything but its release, and nothing personal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from cairn.errors import InputError
from cairn.services.analytics.engine import Engine, Query
from cairn.services.analytics.privacy import noisy_counts

__all__ = ["FORMAT", "RELEASE_TABLES", "combine", "make_release"]

FORMAT: Final = "cairn-analytics-release/1"
RELEASE_TABLES: Final = (
    ("learners", ()),
    ("awards", ("month",)),
    ("awards", ("field",)),
    ("awards", ("eqf",)),
    ("awards", ("ects_band",)),
    ("awards", ("language",)),
    ("awards", ("mode",)),
    ("awards", ("issuer_type",)),
    ("awards", ("country",)),
    ("awards", ("region",)),
)
"""(indicator, breakdown) of each table of the release."""
MAX_TABLES: Final = 50
MAX_CELLS: Final = 20_000


def make_release(engine: Engine, *, epsilon: float, bound: int, created_at: datetime) -> dict[str, Any]:
    """The release of ``engine``'s snapshot: every table of :data:`RELEASE_TABLES` with noise for
    ``epsilon`` / number of tables each, learners' contributions bounded to ``bound`` awards."""
    if epsilon <= 0 or bound < 1:
        raise InputError("a release needs a positive epsilon and a contribution bound of at least 1")
    share = epsilon / len(RELEASE_TABLES)
    tables = []
    for indicator, by in RELEASE_TABLES:
        table = engine.table(Query(indicator, by, bound=bound))
        cells = table.cells if by else [table.total]
        # a learner is in at most `bound` cells of a learners table, and adds at most `bound` to an awards table
        noisy = noisy_counts([int(c.value or 0) for c in cells], epsilon=share, bound=bound, k=0)
        tables.append(
            {
                "indicator": indicator,
                "by": list(by),
                "cells": [{"keys": list(c.keys), "value": v} for c, v in zip(cells, noisy, strict=True)],
            }
        )
    return {
        "format": FORMAT,
        "created_at": created_at.isoformat(),
        "epsilon": epsilon,
        "epsilon_per_table": share,
        "contribution_bound": bound,
        "mechanism": "Laplace (OpenDP make_laplace), scale = contribution bound / epsilon per table",
        "tables": tables,
    }


def _check(release: Any) -> dict[str, Any]:
    if not isinstance(release, dict) or release.get("format") != FORMAT:
        raise InputError("not a Cairn analytics release (%(format)s)", format=FORMAT)
    tables = release.get("tables")
    if not isinstance(tables, list) or len(tables) > MAX_TABLES:
        raise InputError("a release has a list of at most %(n)s tables", n=str(MAX_TABLES))
    for table in tables:
        cells = table.get("cells") if isinstance(table, dict) else None
        if not isinstance(cells, list) or len(cells) > MAX_CELLS:
            raise InputError("each table of a release has a list of at most %(n)s cells", n=str(MAX_CELLS))
        for cell in cells:
            value = cell.get("value") if isinstance(cell, dict) else None
            keys = cell.get("keys") if isinstance(cell, dict) else None
            if not isinstance(value, int) or value < 0 or not isinstance(keys, list):
                raise InputError("a release's cells have keys and a count")
            if not all(isinstance(k, str) and len(k) <= 200 for k in keys):
                raise InputError("a release's keys are short texts")
    return release


def combine(releases: Sequence[Any]) -> dict[str, Any]:
    """The sum of ``releases`` (parsed JSON) table by table and cell by cell; the tables all of them have. The
    combined epsilon is stated per instance (each protects its own learners with its own budget)."""
    checked = [_check(r) for r in releases]
    if not checked:
        raise InputError("combine at least one release")
    names = [{(t["indicator"], tuple(t["by"])) for t in r["tables"]} for r in checked]
    common = set.intersection(*names)
    tables = []
    for indicator, by in sorted(common):
        sums: dict[tuple[str, ...], int] = {}
        for release in checked:
            for table in release["tables"]:
                if (table["indicator"], tuple(table["by"])) == (indicator, by):
                    for cell in table["cells"]:
                        key = tuple(cell["keys"])
                        sums[key] = sums.get(key, 0) + cell["value"]
        cells = [{"keys": list(k), "value": v} for k, v in sorted(sums.items())]
        tables.append({"indicator": indicator, "by": list(by), "cells": cells})
    return {
        "format": FORMAT,
        "combined_from": len(checked),
        "epsilon_per_instance": [r.get("epsilon") for r in checked],
        "tables": tables,
    }
