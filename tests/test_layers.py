"""The import direction of the layers (docs/architecture.md), pinned.

The pure core never reaches the edges or the store; the web layer reaches storage only through services; and a
feature package uses another feature's public names only (nothing whose name starts with ``_``).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "cairn"

EDGES = ("cairn.web", "cairn.cli", "cairn.bootstrap")
FORBIDDEN = {
    "vc": ("cairn.store", "cairn.services", *EDGES, "cairn.model", "cairn.skills", "cairn.formats", "sqlalchemy"),
    "model": ("cairn.store", "cairn.services", *EDGES, "sqlalchemy", "fastapi"),
    "formats": ("cairn.store", "cairn.services", *EDGES, "sqlalchemy", "fastapi"),
    "skills": ("cairn.services", *EDGES, "fastapi"),
    "store": ("cairn.services", *EDGES, "fastapi"),
    "services": ("cairn.web", "cairn.cli", "cairn.bootstrap", "fastapi", "jinja2", "starlette"),
    "web": ("cairn.store", "cairn.cli", "sqlalchemy"),
    "cli": ("cairn.web.accounts", "cairn.web.catalog", "cairn.web.issuing", "cairn.web.wallet", "sqlalchemy"),
}


def _imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, imported name or None) for every absolute import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((a.name, None) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.extend((node.module, a.name) for a in node.names)
    return found


def _owner(module: str) -> str:
    """The feature package a ``cairn.*`` module belongs to: ``cairn.LAYER.FEATURE``, or its layer module."""
    return ".".join(module.split(".")[:3])


def test_the_layers_are_where_the_architecture_says() -> None:
    for layer in FORBIDDEN:
        assert (SRC / layer / "__init__.py").is_file(), layer


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_inwards(layer: str) -> None:
    offenders = []
    for path in (SRC / layer).rglob("*.py"):
        for name, _ in _imports(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[layer]):
                offenders.append(f"{path.relative_to(SRC)} imports {name}")
    assert offenders == []


def private_imports(root: Path) -> list[str]:
    """Imports under ``root`` (a ``cairn`` package folder) of another feature's private names or modules."""
    offenders = []
    for path in root.rglob("*.py"):
        rel = path.relative_to(root.parent).with_suffix("")
        here = _owner(".".join(p for p in rel.parts if p != "__init__"))
        for module, name in _imports(path):
            if not module.startswith("cairn.") or _owner(module) == here:
                continue
            private_module = any(part.startswith("_") for part in module.split(".")[1:])
            if private_module or (name is not None and name.startswith("_")):
                offenders.append(f"{path.relative_to(root)} imports {module}.{name or ''}")
    return sorted(offenders)


def test_no_feature_reaches_into_another_features_private_names() -> None:
    assert private_imports(SRC) == []


def test_services_and_web_hold_feature_packages_and_plumbing_only() -> None:
    plumbing = {
        "services": {"__init__.py", "audit.py", "mail.py"},
        "web": {"__init__.py", "app.py", "deps.py", "errors.py", "i18n.py", "limits.py", "render.py", "serving.py"},
    }
    for layer, allowed in plumbing.items():
        modules = {p.name for p in (SRC / layer).glob("*.py")}
        assert modules <= allowed, f"{layer}/ has feature modules at its top: {sorted(modules - allowed)}"


def test_no_module_is_over_600_lines() -> None:
    long = {p.relative_to(SRC).as_posix(): n for p in SRC.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600}
    assert long == {}


def test_only_bootstrap_reads_the_environment() -> None:
    readers = []
    for path in SRC.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "os.environ" in text or "os.getenv" in text:
            readers.append(path.relative_to(SRC).as_posix())
    assert readers == ["bootstrap.py"]


def test_the_private_import_rule_can_fail(tmp_path: Path) -> None:
    """The rule is not vacuous: in a made-up tree it names the private reach and lets the rest through."""
    root = tmp_path / "cairn"
    (root / "services" / "wallet").mkdir(parents=True)
    (root / "services" / "wallet" / "service.py").write_text(
        "from cairn.services.issuing.keys import _KIND, derive_key\n"
        "from cairn.services.wallet.records import _Checked\n"
        "import cairn.store._internal\n",
        encoding="utf-8",
    )
    assert private_imports(root) == [
        "services/wallet/service.py imports cairn.services.issuing.keys._KIND",
        "services/wallet/service.py imports cairn.store._internal.",
    ]


VERIFIERS = {
    "cairn.vc": {"verify"},
    "cairn.vc.intake": {"verify_any"},
    "cairn.vc.verification": {"verify"},
    "cairn.vc.presentations": {"verify_presentation", "verify_presentation_jwt"},
    "cairn.vc.proofs.data_integrity": {"verify_proofs"},
    "cairn.vc.proofs.jose": {"verify_jwt", "verify_vc_jwt", "verify_ob3_jwt"},
    "cairn.vc.formats.ob2": {"verify_ob2"},
    "cairn.vc.formats.elm": {"verify_elm"},
    "cairn.vc.formats.jades": {"verify_jades"},
}
"""The credential library's verifiers: outside ``cairn.vc`` only the one verification use case calls them."""
THE_USE_CASE = "services/verification/service.py"


def verifier_imports(path: Path) -> list[str]:
    """The verifier entry points ``path`` imports (whole verifier modules count too)."""
    found = []
    for module, name in _imports(path):
        names = VERIFIERS.get(module, set())
        if (name is None and module in VERIFIERS and module != "cairn.vc") or (name in names):
            found.append(f"{module}.{name or ''}")
    return found


def test_every_verification_goes_through_the_one_use_case() -> None:
    """Pages, APIs, wallet, sharing, PDF, CLI and batch verify through VerificationService, nothing else."""
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("vc/") or rel == THE_USE_CASE:
            continue
        offenders += [f"{rel} imports {name}" for name in verifier_imports(path)]
    assert offenders == []
    assert verifier_imports(SRC / THE_USE_CASE) == ["cairn.vc.intake.verify_any"]  # the walk sees real imports


def test_every_error_class_is_drawn_in_the_tree() -> None:
    """errors.py's docstring draws every CairnError subclass, wherever it is defined."""
    import cairn.errors

    tree = cairn.errors.__doc__ or ""
    bases: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {b.id for b in node.bases if isinstance(b, ast.Name)}
    errors = {"CairnError"}
    while grown := {name for name, of in bases.items() if of & errors} - errors:
        errors |= grown
    assert {"BakingError", "LastOwnerError", "TooManyAttemptsError"} <= errors  # the walk finds them
    missing = sorted(name for name in errors if not re.search(rf"[─ ]{name}\b", tree))
    assert missing == []
