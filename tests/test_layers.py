"""The import direction of the layers (DESIGN.md), pinned: the pure core never reaches the edges or the store."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cairn"

FORBIDDEN = {
    "vc": ("cairn.store", "cairn.services", "cairn.web", "cairn.cli", "cairn.bootstrap", "cairn.model", "sqlalchemy"),
    "model": ("cairn.store", "cairn.services", "cairn.web", "cairn.cli", "cairn.bootstrap", "sqlalchemy", "fastapi"),
    "formats": ("cairn.store", "cairn.services", "cairn.web", "cairn.cli", "cairn.bootstrap", "sqlalchemy"),
    "skills": ("cairn.services", "cairn.web", "cairn.cli", "cairn.bootstrap", "fastapi"),
    "store": ("cairn.services", "cairn.web", "cairn.cli", "cairn.bootstrap", "fastapi"),
    "services": ("cairn.web", "cairn.cli", "fastapi", "jinja2", "starlette"),
    "web": ("cairn.store.tables", "cairn.store.repositories", "sqlalchemy"),
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_inwards(layer: str) -> None:
    offenders = []
    for path in (SRC / layer).rglob("*.py"):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def test_only_bootstrap_reads_the_environment() -> None:
    readers = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "os.getenv" in text:
            readers.append(path.relative_to(SRC).as_posix())
    assert readers == ["bootstrap.py"]
