"""The tests' own layering: test modules share code through tests/factories.py, tests/helpers.py and other modules
that are not tests, never by importing another test module or a conftest (whose fixtures pytest provides)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent


def imported_modules(source: str, path: Path) -> list[str]:
    """Every module the code ``source`` of the file at ``path`` imports, written out in full (``from tests.web
    import x`` gives ``tests.web`` and ``tests.web.x``; relative imports are resolved against ``path``)."""
    package = path.relative_to(TESTS.parent).parent.parts
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=str(path))):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            parts = [*package[: len(package) - node.level + 1]] if node.level else []
            base = ".".join([*parts, *([node.module] if node.module else [])])
            found.append(base)
            found += [f"{base}.{alias.name}" for alias in node.names]
    return found


def is_test_or_conftest(module: str) -> bool:
    """True for ``tests.conftest``, ``tests.a11y.conftest``, ``tests.services.test_wallet`` and the like."""
    parts = module.split(".")
    return parts[0] == "tests" and any(p == "conftest" or p.startswith("test_") for p in parts[1:])


def test_no_test_file_imports_a_test_module_or_a_conftest() -> None:
    offenders = [
        f"{path.relative_to(TESTS.parent)} imports {module}"
        for path in sorted(TESTS.rglob("*.py"))
        for module in imported_modules(path.read_text(encoding="utf-8"), path)
        if is_test_or_conftest(module)
    ]
    assert offenders == [], "share code through tests/factories.py or tests/helpers.py:\n" + "\n".join(offenders)


@pytest.mark.parametrize(
    ("line", "forbidden"),
    [
        ("from tests.services.test_wallet import foreign", True),
        ("from tests.conftest import FixedClock", True),
        ("from tests.a11y import conftest", True),
        ("import tests.vc.test_jades", True),
        ("from .test_share import sign_in", True),
        ("from . import conftest", True),
        ("from .. import test_newcomer", True),
        ("from tests.factories import FixedClock", False),
        ("from tests.helpers import csrf_of", False),
        ("from tests.web import ob2_hosted", False),
        ("from . import ob2_hosted", False),
        ("from tests import hostile", False),
        ("import pytest", False),
    ],
)
def test_the_check_sees_the_imports_it_forbids(line: str, forbidden: bool) -> None:
    modules = imported_modules(line, TESTS / "web" / "test_example.py")
    assert any(is_test_or_conftest(m) for m in modules) is forbidden, modules
