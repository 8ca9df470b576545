"""Pathway engine benchmark: every pathway of a synthetic 1,000-pathway catalogue against a wallet of 200
credentials; prints JSON lines.

    .venv/bin/python bench/pathways.py [--pathways 1000] [--credentials 200] [--rounds 20] [--seed 7]

The catalogue: 2,000 micro-credential definitions by 100 issuers (3 to 6 ESCO skills each from a pool of 1,500,
EQF 4 to 7, 2 to 10 ECTS); 1,000 pathways of 4 to 10 leaves in ``all``, ``any`` and ``n_of`` nodes two or three
levels deep: 70% of the leaves name a definition, 10% another issuer's achievement, 20% are criteria (skills with
a coverage, EQF, ECTS, an accredited issuer, an award window, a grade); a third of the pathways set totals. The
wallet: 160 credentials of definitions (some of them the same definition twice, 5% revoked, a few expired) and 40
of other issuers' achievements.

``pathways_evaluate_touched``
    :func:`cairn.model.pathways.evaluate_many` as a wallet calls it: indexing the wallet (``Held``), finding the
    pathways it touches, evaluating each of them: which credential counts for which leaf (each once), met or not,
    progress, ECTS and hours, the summary in words. The result tree and the missing leaves of an evaluation are
    made when first read. ``total_ms`` is the median of ``--rounds`` runs; budget 50 ms. The pathways were
    evaluated once before (each is compiled once and kept while the same object is used).
``pathways_evaluate_explained``
    The same, then every evaluation's result tree and missing leaves read: every word of every touched pathway.
``pathways_evaluate_all``
    ``untouched=True``: all 1,000 pathways answered (an untouched pathway's evaluation is made once and kept).
``pathways_evaluate_cold``
    The catalogue loaded again (new pathway objects: nothing compiled yet), then evaluated as the first line.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from cairn.formats.facts import Facts
from cairn.model.pathways import PathwayDefinition, evaluate_many, load_pathway
from cairn.model.trust import Scope

BUDGET_MS = 50
NOW = datetime(2026, 6, 1, tzinfo=UTC)
DEFINITIONS = 2000
ISSUERS = 100
SKILLS = [f"http://data.europa.eu/esco/skill/{n:08x}-0000-4000-8000-000000000000" for n in range(1500)]


def catalogue(rng: random.Random) -> list[dict[str, Any]]:
    """The definitions, as the facts a credential of each would carry."""
    return [
        {
            "slug": f"def-{d}",
            "issuer": f"did:web:issuer-{d % ISSUERS}.example.eu",
            "skills": tuple(rng.sample(SKILLS, rng.randint(3, 6))),
            "eqf": rng.randint(4, 7),
            "ects": float(rng.randint(2, 10)),
            "hours": float(rng.randint(2, 10) * 25),
        }
        for d in range(DEFINITIONS)
    ]


def criteria(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {"skills": rng.sample(SKILLS, rng.randint(1, 3))}
    if len(out["skills"]) > 1 and rng.random() < 0.5:
        out["skills_coverage"] = 0.5
    extra = rng.choice(["eqf", "ects", "accredited", "window", "grade", "none"])
    if extra == "eqf":
        out["eqf_at_least"] = rng.randint(4, 6)
    elif extra == "ects":
        out["ects_at_least"] = rng.choice([2, 3, 5])
    elif extra == "accredited":
        out["accredited_for"] = {"isced": "06"}
    elif extra == "window":
        out["awarded_within"] = {"months": rng.choice([24, 36, 60])}
    elif extra == "grade":
        out["min_grade"] = {"value": 3.5}
    return out


def leaf(rng: random.Random) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.7:
        return {"component": {"definition": f"def-{rng.randrange(DEFINITIONS)}"}}
    if roll < 0.8:
        return {"component": {"achievement": f"https://other-{rng.randrange(50)}.example/a/{rng.randrange(400)}"}}
    return {"criteria": criteria(rng)}


def rules(rng: random.Random) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [leaf(rng) for _ in range(rng.randint(1, 3))]
    choice = [leaf(rng) for _ in range(rng.randint(2, 4))]
    parts.append({"n_of": {"n": rng.randint(1, len(choice)), "of": choice}})
    if rng.random() < 0.5:
        parts.append({"any": [leaf(rng), {"all": [leaf(rng), leaf(rng)]}]})
    return {"all": parts}


def pathways(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """The pathway documents (load them with :func:`load_pathway`)."""
    out = []
    for p in range(count):
        data: dict[str, Any] = {
            "kind": "pathway",
            "id": f"pathway-{p}",
            "title": {"en": f"Pathway {p}", "pl": f"Ścieżka {p}"},
            "issuer": f"issuer-{p % ISSUERS}",
            "target": f"composite-{p}",
            "rules": rules(rng),
        }
        if rng.random() < 1 / 3:
            data["totals"] = {"ects_at_least": rng.choice([10, 15, 20, 30])}
        out.append(data)
    return out


def wallet(rng: random.Random, definitions: list[dict[str, Any]], count: int) -> list[Facts]:
    held = []
    own = int(count * 0.8)
    for i in range(count):
        awarded = NOW - timedelta(days=rng.randint(10, 2000))
        common: dict[str, Any] = {
            "awarded_at": awarded,
            "grade": rng.choice(["3.0", "3.5", "4.0", "4.5", "5.0"]),
            "valid": rng.random() > 0.05,
            "invalid_reason": "revoked",
            "valid_until": awarded + timedelta(days=1000) if rng.random() < 0.1 else None,
            "trusted_scopes": (Scope(isced=("06",)),) if rng.random() < 0.5 else (),
            "holder": "did:key:z6MkLearner",
        }
        if i < own:
            d = definitions[rng.randrange(DEFINITIONS)]
            held.append(
                Facts(
                    f"urn:uuid:{i:08d}-0000-4000-8000-000000000000",
                    achievement_id=f"https://cairn.example/micro-credentials/{d['slug']}/versions/1",
                    definition=d["slug"],
                    issuer_id=d["issuer"],
                    issuer_name=f"Issuer {d['issuer']}",
                    title=d["slug"],
                    skills=d["skills"],
                    eqf=d["eqf"],
                    ects=d["ects"],
                    hours=d["hours"],
                    **common,
                )
            )
        else:
            held.append(
                Facts(
                    f"urn:uuid:{i:08d}-0000-4000-9000-000000000000",
                    achievement_id=f"https://other-{rng.randrange(50)}.example/a/{rng.randrange(400)}",
                    issuer_id=f"did:web:other-{i}.example",
                    title=f"Foreign {i}",
                    skills=tuple(rng.sample(SKILLS, rng.randint(2, 6))),
                    eqf=rng.randint(3, 7),
                    ects=float(rng.randint(1, 8)),
                    **common,
                )
            )
    return held


def timed(
    catalogue_: list[PathwayDefinition],
    held: list[Facts],
    rounds: int,
    *,
    untouched: bool = False,
    explain: bool = False,
) -> dict[str, Any]:
    times, found = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        found = evaluate_many(catalogue_, held, now=NOW, untouched=untouched)
        if explain:
            for evaluation in found:
                evaluation.root, evaluation.missing  # noqa: B018 (made when first read)
        times.append((time.perf_counter() - start) * 1000)
    return {
        "total_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "evaluated": len(found),
        "met": sum(e.met for e in found),
        "touched": sum(e.touched for e in found),
    }


def cold(data: list[dict[str, Any]], held: list[Facts], rounds: int) -> dict[str, Any]:
    times = []
    for _ in range(rounds):
        fresh = [load_pathway(d) for d in data]
        start = time.perf_counter()
        evaluate_many(fresh, held, now=NOW)
        times.append((time.perf_counter() - start) * 1000)
    return {"total_ms": round(statistics.median(times), 2), "min_ms": round(min(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pathways", type=int, default=1000)
    parser.add_argument("--credentials", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    definitions = catalogue(rng)
    documents = pathways(rng, args.pathways)
    catalogue_ = [load_pathway(d) for d in documents]
    held = wallet(rng, definitions, args.credentials)
    base = {"pathways": args.pathways, "credentials": args.credentials}
    touched = timed(catalogue_, held, args.rounds)
    print(
        json.dumps(
            {"bench": "pathways_evaluate_touched", **base, **touched, "budget_ms": BUDGET_MS}
            | {"within_budget": touched["total_ms"] < BUDGET_MS}
        ),
        flush=True,
    )
    explained = timed(catalogue_, held, args.rounds, explain=True)
    print(json.dumps({"bench": "pathways_evaluate_explained", **base, **explained}), flush=True)
    every = timed(catalogue_, held, args.rounds, untouched=True)
    print(json.dumps({"bench": "pathways_evaluate_all", **base, **every}), flush=True)
    print(json.dumps({"bench": "pathways_evaluate_cold", **base, **cold(documents, held, 5)}), flush=True)


if __name__ == "__main__":
    main()
