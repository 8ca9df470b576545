"""The 1EdTech Open Badges 3.0 JSON Schema check (the ``schema`` check of :func:`cairn.vc.verification.verify`).

Two validators judge a document: a compiled one (fastjsonschema) says whether it is valid, and only when it is
not does the reference one (jsonschema, draft 2019-09) list the errors, with their wording.

Every award of a definition version carries the same achievement (about half the document, with an OB 3.0
``Alignment`` for each EU Annex I element), so the compiled check is split in two: the credential with its
achievement left out, and the achievement against the schema's ``Achievement`` definition, whose verdict is
remembered by the achievement's exact form (bounded, like the subtree memo of :mod:`cairn.vc.jsonld.fast`).
The schema reaches the achievement through one unconditional path (``credentialSubject`` ->
``AchievementSubject.achievement`` -> ``Achievement``, no ``oneOf``/``anyOf`` around it, no other reference to
``Achievement``), so the document is valid exactly when both halves are; the split is made only when the bundled
schema has that shape (:func:`split_schemas`), and the errors always come from the reference validator over the
whole document.
"""

from __future__ import annotations

import copy
import json
import pickle
from collections.abc import Callable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import fastjsonschema

__all__ = ["ACHIEVEMENT_MEMO_LIMIT", "ACHIEVEMENT_MEMO_MAX_BYTES", "ob3_schema_errors", "split_schemas"]

ACHIEVEMENT_MEMO_LIMIT = 256
"""Achievement verdicts remembered; past this many the memo starts afresh."""
ACHIEVEMENT_MEMO_MAX_BYTES = 65_536
"""Achievements whose key (their pickle, about as long as their JSON text) is longer are checked every time (the
memory stays bounded: at most ``ACHIEVEMENT_MEMO_LIMIT`` keys of this size)."""

_ACHIEVEMENT_REF = {"$ref": "#/$defs/Achievement"}
_PLAIN_KEYWORDS = frozenset(
    {
        "$schema",
        "$id",
        "$comment",
        "title",
        "description",
        "type",
        "properties",
        "required",
        "additionalProperties",
        "$defs",
    }
)
"""What the root and ``AchievementSubject`` may hold for the split to be exact: nothing that could judge the
achievement again (``patternProperties``, ``allOf``, ``if`` ...) or make its verdict conditional."""
_achievement_verdicts: dict[bytes, bool] = {}


@cache
def _ob3_schema() -> dict[str, Any]:
    text = resources.files("cairn.vc.schemas").joinpath("ob_v3p0_achievementcredential.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _ob3_validator() -> Any:
    """The reference validator (jsonschema, draft 2019-09): slow, but it explains every error."""
    from jsonschema import Draft201909Validator

    return Draft201909Validator(_ob3_schema())


def _compile(schema: Mapping[str, Any]) -> Callable[[Any], Any]:
    # The schema uses no keyword that differs between draft 7 and 2019-09 ($defs are plain JSON pointers);
    # tests check that both validators agree on every 1EdTech fixture and on generated credentials. A copy:
    # fastjsonschema rewrites the $refs of the schema it is given.
    draft7 = copy.deepcopy({**schema, "$schema": "http://json-schema.org/draft-07/schema#"})
    compiled: Callable[[Any], Any] = fastjsonschema.compile(draft7)
    return compiled


@cache
def _ob3_fast() -> Callable[[Any], Any]:
    """A compiled validator (fastjsonschema, ~10x faster) of the whole schema, for the common case, a valid
    credential."""
    return _compile(_ob3_schema())


def split_schemas(schema: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``schema`` as two: the credential with ``credentialSubject.achievement`` left unchecked, and the
    ``Achievement`` definition alone. None unless ``schema`` reaches ``Achievement`` only there, through
    ``credentialSubject`` -> ``AchievementSubject`` with nothing that could judge the achievement again or make its
    verdict conditional: then a document is valid exactly when it passes both."""
    defs = schema.get("$defs", {})
    subject = defs.get("AchievementSubject", {})
    text = json.dumps(schema)
    if (
        text.count('/$defs/Achievement"') != 1
        or text.count('/$defs/AchievementSubject"') != 1
        or schema.get("properties", {}).get("credentialSubject") != {"$ref": "#/$defs/AchievementSubject"}
        or subject.get("properties", {}).get("achievement") != _ACHIEVEMENT_REF
        or not all(
            set(s) <= _PLAIN_KEYWORDS and isinstance(s.get("additionalProperties"), bool) for s in (schema, subject)
        )
    ):
        return None
    rest = copy.deepcopy(dict(schema))  # the schema itself stays as it is
    rest["$defs"]["AchievementSubject"]["properties"]["achievement"] = {}  # any value: checked on its own
    achievement = {"$id": schema["$id"], "$defs": defs, **_ACHIEVEMENT_REF}
    return rest, achievement


@cache
def _ob3_split() -> tuple[Callable[[Any], Any], Callable[[Any], Any]] | None:
    """Compiled validators of the two halves of :func:`split_schemas` (None: the whole schema is used)."""
    halves = split_schemas(_ob3_schema())
    return None if halves is None else (_compile(halves[0]), _compile(halves[1]))


def _passes(validator: Callable[[Any], Any], value: object) -> bool:
    try:
        validator(value)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _achievement_passes(validator: Callable[[Any], Any], achievement: object) -> bool:
    """Whether ``achievement`` is valid against the ``Achievement`` definition, remembered by its exact form.

    The key is the achievement's pickle, not its JSON text: it keeps apart what JSON text would write alike and
    the validator may judge apart (a UUID or an enum member and its string, a tuple and a list, a subclass of
    str and a str, NaN and null), so a verdict is only ever reused for a value the validator sees the same.
    Only the key is made (nothing is ever unpickled); an achievement that cannot be pickled, or whose pickle is
    longer than :data:`ACHIEVEMENT_MEMO_MAX_BYTES`, is checked without the memo."""
    try:
        key = pickle.dumps(achievement, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # not picklable (or too deep): checked as it is
        return _passes(validator, achievement)
    if len(key) > ACHIEVEMENT_MEMO_MAX_BYTES:
        return _passes(validator, achievement)
    verdict = _achievement_verdicts.get(key)
    if verdict is None:
        verdict = _passes(validator, achievement)
        if len(_achievement_verdicts) >= ACHIEVEMENT_MEMO_LIMIT:
            _achievement_verdicts.clear()
        _achievement_verdicts[key] = verdict
    return verdict


def _fast_valid(document: Mapping[str, Any]) -> bool:
    """The compiled validators' verdict on the whole document, the achievement judged apart when it can be."""
    split = _ob3_split()
    subject = document.get("credentialSubject")
    if split is None or not isinstance(subject, dict) or "achievement" not in subject:
        return _passes(_ob3_fast(), document)
    rest, achievement = split
    return _passes(rest, document) and _achievement_passes(achievement, subject["achievement"])


def _explained(document: Mapping[str, Any]) -> list[str]:
    errors = sorted(_ob3_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    out = []
    for error in errors:
        path = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        out.append(f"{path}: {error.message[:160]}")
    return out


def ob3_schema_errors(document: Mapping[str, Any]) -> list[str]:
    """Problems of ``document`` against the 1EdTech OB 3.0 JSON Schema, as ``path: message`` (empty: valid)."""
    return [] if _fast_valid(document) else _explained(document)
