"""``cairn skills suggest``: ranked ESCO skills for learning outcomes or job-ad sentences.

The index is built once from the ESCO extract shipped with Cairn (about 20 s with the multilingual encoder,
3 s lexical-only) and kept in a folder (``--index``, default ``CAIRN_SKILLS_INDEX``, else next to the SQLite
file; see ``CAIRN_SKILLS_INDEX``), then memory-mapped. It is published whole (written aside, then renamed), so a
server sharing the folder never opens half of it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cairn.cli.common import fail_cleanly
from cairn.errors import InputError

if TYPE_CHECKING:  # the index (numpy and the encoder) is imported only when a command needs it
    from cairn.skills.index import SkillIndex
    from cairn.skills.suggest import Suggestion

__all__ = ["skills"]

MAX_BATCH_BYTES = 50_000_000


@click.group()
def skills() -> None:
    """Skill suggestions from ESCO."""


def _index(folder: Path, *, lexical_only: bool) -> object:
    from cairn.skills.index import SkillIndex
    from cairn.skills.labels import shipped_esco

    if (folder / "index.json").exists():
        found = SkillIndex.load(folder)
        if found.is_current():  # else built with another skill adapter than the one shipped: build it again
            return found
    click.echo(
        f"Building the skill index in {folder} from the shipped ESCO extract (once; "
        f"{'a few seconds' if lexical_only else 'about twenty seconds'})...",
        err=True,
    )
    encoder = None
    if not lexical_only:
        from cairn.skills.encoders import UseEncoder

        encoder = UseEncoder()
    index = SkillIndex.build(shipped_esco(), encoder=encoder)
    index.publish(folder)
    return index


@skills.command("suggest")
@click.argument("texts", nargs=-1)
@click.option("--batch", type=click.Path(dir_okay=False, path_type=Path), help="one text per line; - for stdin")
@click.option("-k", "--top", default=10, show_default=True, type=click.IntRange(1, 100), help="skills per text")
@click.option("--index", "index_dir", type=click.Path(file_okay=False, path_type=Path), help="the index folder")
@click.option("--lexical-only", is_flag=True, help="BM25 over labels only: no encoder (English only)")
@fail_cleanly
def skills_suggest(
    texts: tuple[str, ...], batch: Path | None, top: int, index_dir: Path | None, lexical_only: bool
) -> None:
    """Print, for each TEXT (or each line of --batch), one JSON array of {"uri", "label", "score"}, best first.

    A text that cannot be used (empty, too long, an unsupported language) prints [] and its reason on stderr;
    the exit code is then 1.
    """
    from cairn.bootstrap import load_settings, skills_index_folder
    from cairn.skills.index import SkillIndex

    if batch is not None:
        raw = sys.stdin.buffer.read(MAX_BATCH_BYTES + 1) if str(batch) == "-" else batch.read_bytes()
        if len(raw) > MAX_BATCH_BYTES:
            raise InputError(f"the batch file is larger than {MAX_BATCH_BYTES:,} bytes; split it")
        try:
            lines = raw.decode("utf-8-sig").splitlines()
        except UnicodeDecodeError:
            raise InputError("the batch file is not UTF-8 text") from None
        texts = (*texts, *lines)
    if not texts:
        raise click.UsageError("give a TEXT or --batch FILE")
    folder = index_dir or skills_index_folder(load_settings()) or Path("cairn-skills-index")
    if lexical_only:
        folder = folder.with_name(folder.name + "-lexical")
    index = _index(folder, lexical_only=lexical_only)
    assert isinstance(index, SkillIndex)
    try:  # every text's vector in one batch; one text that cannot be used sends them one by one
        answers: list[list[Suggestion] | InputError] = list(index.suggest_many(list(texts), k=top))
    except InputError:
        answers = [_one(index, text, top) for text in texts]
    for number, answer in enumerate(answers, 1):
        if isinstance(answer, InputError):
            click.echo(f"text {number}: {answer.message}", err=True)
            click.echo("[]")
        else:
            click.echo(json.dumps([{"uri": s.uri, "label": s.label, "score": round(s.score, 4)} for s in answer]))
    sys.exit(1 if any(isinstance(a, InputError) for a in answers) else 0)


def _one(index: SkillIndex, text: str, top: int) -> list[Suggestion] | InputError:
    try:
        return index.suggest(text, k=top)
    except InputError as exc:
        return exc
