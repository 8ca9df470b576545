"""Train the skill adapter that ships in src/cairn/skills/data (run by hand; the same bytes for the same seed).

    python scripts/train_skill_adapter.py                 # writes src/cairn/skills/data/adapter-use-multilingual-v3.npz
    python scripts/train_skill_adapter.py --out /tmp/adapter.npz --threads 2

Reads SkillSkape train (../shared/data/skills-dev/skillskape_train.csv, MIT licence) and ESCO v1.1.1 in English
(../shared/data/esco/v1.1.1/en); never the validation sets (TECH, HOUSE), SkillSkape dev or bench/data.

1. SkillSkape train names only 514 skills. Its skills are split 80/20 (``--seed``): sentences naming only kept
   skills train the adapter ("A"); the others ("B": each names a skill the adapter never saw in a sentence, as
   most skills of a real learning outcome are) fit the fusion weights and calibrate the floor.
2. Training texts: A's sentences (two thirds of the draws) and ESCO's own alternative labels and descriptions,
   each pointing at its skill (a third): ``--draws`` texts drawn once, with replacement, seen ``--epochs`` times.
3. :func:`cairn.skills.train.fit_adapter`: a query map and a skill map (512 x 512, from the identity; a skill's
   vector is its preferred label's plus ``--description-weight`` times its description's, as
   :func:`cairn.skills.adapter.with_descriptions` makes them), softmax cross-entropy over all 13,896 skills
   (every skill a negative: the siblings under the same ESCO group and the encoder's top-ranked wrong skills
   weigh most), ``l2 |W - I|^2``, Adam, ``--epochs``; ``--soup`` such pairs of maps, each from its own seed (its
   own draws and order), averaged into one pair.
4. :func:`cairn.skills.train.fit_ranking` on B with the adapter applied: the four fusion weights.
5. The floor: the fused score that keeps ``--keep`` (95 %) of the correct suggestions in B's top 10.

Prints one JSON line with the counts, the weights, the floor and the CPU seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from cairn.skills.adapter import Adapter, adapter_path, save_adapter, with_descriptions  # noqa: E402
from cairn.skills.encoders import Encoder  # noqa: E402
from cairn.skills.esco import EscoData  # noqa: E402
from cairn.skills.index import SkillIndex  # noqa: E402
from cairn.skills.text import prepare_query  # noqa: E402
from cairn.skills.train import Example, fit_adapter, fit_ranking  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def split_by_skill(examples: Sequence[Example], *, seed: int, held: float = 0.2) -> tuple[list[Example], list[Example]]:
    """(sentences naming only kept skills, sentences naming a held-out skill); ``held`` of the skills are held out."""
    skills = sorted(set().union(*(e.gold for e in examples)))
    rng = np.random.default_rng(seed)
    out = set(rng.choice(np.array(skills, dtype=object), size=max(1, round(len(skills) * held)), replace=False))
    kept = [e for e in examples if not (e.gold & out)]
    other = [e for e in examples if e.gold & out]
    return kept, other


def calibrate_floor(index: SkillIndex, examples: Sequence[Example], *, keep: float, k: int = 10) -> float:
    """The fused score above which ``keep`` of the correct suggestions among the top ``k`` lie."""
    correct: list[float] = []
    for start in range(0, len(examples), 64):
        chunk = examples[start : start + 64]
        found = index.suggest_many([e.text for e in chunk], k=k)
        correct.extend(s.score for e, row in zip(chunk, found, strict=True) for s in row if s.uri in e.gold)
    if not correct:
        return float("-inf")
    return float(np.quantile(np.array(correct), 1.0 - keep))


def train(
    esco: EscoData,
    examples: Sequence[Example],
    encoder: Encoder,
    *,
    seed: int = 0,
    epochs: int = 6,
    draws: int = 12_000,
    esco_share: float = 1 / 3,
    l2: float = 1e-2,
    keep: float = 0.95,
    description_weight: float = 0.25,
    description_template: float = 0.8,
    soup: int = 4,
    refit_all: bool = False,
    index: SkillIndex | None = None,
) -> tuple[Adapter, dict[str, object]]:
    """The adapter (with its fitted ranking and floor) and a summary of what it was trained on."""
    index = index or SkillIndex.build(esco, encoder=encoder, adapter=None)
    if index.vectors is None or len(index.vectors) != len(index.uris):
        raise SystemExit("the index must hold one (preferred-label) vector per skill")
    descriptions = [esco.skills[uri].description(index.language) for uri in index.uris]
    base = with_descriptions(encoder, np.asarray(index.vectors), descriptions, description_weight, description_template)
    position = {uri: i for i, uri in enumerate(index.uris)}
    usable = [e for e in examples if any(uri in position for uri in e.gold)]
    kept, other = split_by_skill(usable, seed=seed)
    esco_texts: list[str] = []
    esco_targets: list[list[int]] = []
    for uri in index.uris:
        labels = esco.skills[uri].label(index.language)
        for text in (*labels.all()[1:], labels.description):
            if text.strip():
                esco_texts.append(text.strip())
                esco_targets.append([position[uri]])
    esco_vectors = encoder.encode_passages(esco_texts)

    def fit_maps(sentences: Sequence[Example]) -> tuple[NDArray[np.float32], NDArray[np.float32] | None]:
        texts = [prepare_query(e.text) for e in sentences]
        targets = [[position[u] for u in sorted(e.gold) if u in position] for e in sentences]
        queries = np.concatenate([encoder.encode_queries(texts), esco_vectors])
        weights = np.concatenate(
            [
                np.full(len(texts), (1 - esco_share) / max(len(texts), 1)),
                np.full(len(esco_texts), esco_share / len(esco_texts)),
            ]
        )
        all_targets = targets + esco_targets
        pairs = []
        for own in range(seed, seed + soup):
            drawn = np.random.default_rng(own).choice(len(queries), size=draws, p=weights / weights.sum())
            query_map, skill_map = fit_adapter(
                queries[drawn], [all_targets[i] for i in drawn], base, skill_side=True, epochs=epochs, l2=l2, seed=own
            )
            assert skill_map is not None
            pairs.append((query_map, skill_map))
        return (
            np.mean([pair[0] for pair in pairs], axis=0).astype(np.float32),
            np.mean([pair[1] for pair in pairs], axis=0).astype(np.float32),
        )

    query_map, skill_map = fit_maps(kept)
    adapted = _with_maps(index, base, encoder, query_map, skill_map)
    ranking = adapted.ranking.with_weights(fit_ranking(adapted, other))
    adapted.ranking = ranking
    ranking = ranking.with_floor(calibrate_floor(adapted, other, keep=keep))
    if refit_all:
        # the settings, the weights and the floor are the held-out fit's; the maps then learn from every sentence
        query_map, skill_map = fit_maps(usable)
        adapted = _with_maps(index, base, encoder, query_map, skill_map)
    adapted.ranking = ranking
    summary: dict[str, object] = {
        "encoder": encoder.name,
        "esco_version": esco.version,
        "seed": seed,
        "epochs": epochs,
        "draws_per_epoch": draws,
        "esco_share": round(esco_share, 4),
        "l2": l2,
        "description_weight": description_weight,
        "description_template": description_template,
        "soup": soup,
        "floor_keeps": keep,
        "refit_all": refit_all,
        "adapter_sentences": len(usable) if refit_all else len(kept),
        "ranking_sentences": len(other),
        "esco_texts": len(esco_texts),
    }
    adapter = Adapter(
        encoder.name,
        query_map,
        skill_map,
        adapted.ranking,
        summary,
        description_weight=description_weight,
        description_template=description_template,
    )
    return adapter, summary


def _with_maps(
    index: SkillIndex,
    base: NDArray[np.float32],
    encoder: Encoder,
    query_map: NDArray[np.float32],
    skill_map: NDArray[np.float32] | None,
) -> SkillIndex:
    trial = Adapter(encoder.name, query_map, skill_map)
    assert index.vectors is not None
    return SkillIndex(
        uris=index.uris,
        labels=index.labels,
        label_starts=index.label_starts,
        skill_types=index.skill_types,
        reuse_levels=index.reuse_levels,
        collections=index.collections,
        bm25=index.bm25,
        vectors=trial.map_skills(base),
        vector_labels=index.vector_labels,
        encoder=encoder,
        ranking=index.ranking,
        esco_version=index.esco_version,
        language=index.language,
        projection=query_map,
    )


def main() -> int:
    """Read the data, train, write the adapter, print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--esco", type=Path, default=SHARED / "esco" / "v1.1.1" / "en")
    parser.add_argument("--data", type=Path, default=SHARED / "skills-dev")
    parser.add_argument("--out", type=Path, default=None, help="default: the shipped adapter's path")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--draws", type=int, default=12_000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--description-weight", type=float, default=0.25)
    parser.add_argument(
        "--description-template", type=float, default=0.8, help="leave out descriptions this close to another's"
    )
    parser.add_argument("--soup", type=int, default=4, help="pairs of maps trained (one seed each) and averaged")
    parser.add_argument(
        "--refit-all",
        action="store_true",
        help="after fitting the weights and the floor on the held-out skills' sentences, train the maps again on all",
    )
    args = parser.parse_args()
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(name, str(args.threads))

    from cairn.skills.encoders import UseEncoder
    from cairn.skills.esco import load_esco
    from cairn.skills.evaluation import label_resolver, read_skillskape

    started = time.process_time()
    esco = load_esco(args.esco)
    examples, _ = read_skillskape(args.data / "skillskape_train.csv", label_resolver(esco))
    encoder = UseEncoder(threads=args.threads)
    adapter, summary = train(
        esco,
        examples,
        encoder,
        seed=args.seed,
        epochs=args.epochs,
        draws=args.draws,
        description_weight=args.description_weight,
        description_template=args.description_template,
        soup=args.soup,
        refit_all=args.refit_all,
    )
    out = args.out or adapter_path(encoder.name)
    fingerprint = save_adapter(adapter, out)
    assert adapter.ranking is not None
    summary |= {
        "out": str(out),
        "fingerprint": fingerprint,
        "ranking": adapter.ranking.as_dict(),
        "cpu_s": round(time.process_time() - started, 1),
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
