"""pyproject.toml declares exactly what the code imports, and every optional import names its extra.

The oracle is the source itself (an AST scan of every ``import`` and ``require_extra(...)`` call) and
the installed distributions' own metadata (which distribution ships which top-level module), never
a list kept beside the code. A new ``import foo`` that no dependency declares fails here, as does
a base dependency nothing imports, or an extra-only package imported without ``require_extra``.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]

# Base dependencies nothing imports by name, each with the code that loads it.
RUNTIME_ONLY = {
    "uvloop": "uvicorn picks it as its event loop when installed",
    "httptools": "uvicorn picks it as its HTTP parser when installed",
    "python-multipart": "FastAPI parses the upload forms with it",
    "psycopg": "SQLAlchemy's postgresql+psycopg dialect loads it for PostgreSQL URLs",
}
# Extra dependencies that are tools, plugins or backends rather than imported libraries.
EXTRA_TOOLS = {
    "pytest-xdist": "pytest plugin (-n)",
    "pytest-timeout": "pytest plugin (timeout in pyproject)",
    "ruff": "linter run by scripts/test.sh",
    "mypy": "type checker run by scripts/test.sh",
    "types-defusedxml": "stubs read by mypy",
    "sentencepiece": "transformers' tokenizer backend",
    "orjson": "datatrove's JsonlReader and JsonlWriter (tests/scan/test_scan_api.py)",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _req_name(req: str) -> str:
    match = re.match(r"[A-Za-z0-9_.-]+", req.strip())
    assert match, req
    return _norm(match.group(0))


def _self_extras(req: str) -> list[str]:
    match = re.fullmatch(r"mediamanager\[([^\]]+)\]", req.strip())
    return [e.strip() for e in match.group(1).split(",")] if match else []


BASE = {_req_name(r) for r in PYPROJECT["dependencies"]}


def _extra(name: str) -> set[str]:
    """The distributions an extra installs, following ``mediamanager[...]`` references."""
    out: set[str] = set()
    for req in PYPROJECT["optional-dependencies"][name]:
        nested = _self_extras(req)
        if nested:
            for other in nested:
                out |= _extra(other)
        else:
            out.add(_req_name(req))
    return out


EXTRAS = {name: _extra(name) for name in PYPROJECT["optional-dependencies"]}
_MODULE_DISTS = {m: {_norm(d) for d in ds} for m, ds in metadata.packages_distributions().items()}


@dataclass(frozen=True)
class Use:
    module: str  # top-level module name
    where: str  # file:line
    extra: str | None  # the extra a require_extra() call names; None for an import statement
    type_checking: bool  # inside ``if TYPE_CHECKING:``


def _local_modules(root: Path) -> set[str]:
    return {p.stem for p in root.rglob("*.py")} | {p.name for p in root.rglob("*") if p.is_dir()}


def _uses(root: Path) -> Iterator[Use]:
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        guarded: set[int] = set()
        for node in ast.walk(tree):
            test = node.test if isinstance(node, ast.If) else None
            if isinstance(test, ast.Name | ast.Attribute) and ast.unparse(test).endswith("TYPE_CHECKING"):
                guarded |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
        rel = path.relative_to(ROOT)
        for node in ast.walk(tree):
            names: list[str] = []
            extra = None
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Call) and ast.unparse(node.func) == "resources.files":
                # package data read in place (confusables.json) is a dependency like an import
                (package,) = node.args
                assert isinstance(package, ast.Constant), rel
                names = [str(package.value)]
            elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("require_extra"):
                module, extra_arg = node.args
                assert isinstance(module, ast.Constant) and isinstance(extra_arg, ast.Constant), rel
                names, extra = [str(module.value)], str(extra_arg.value)
            for name in names:
                yield Use(name.split(".")[0], f"{rel}:{node.lineno}", extra, id(node) in guarded)


def _third_party(uses: Iterator[Use], local: set[str]) -> list[Use]:
    return [u for u in uses if u.module not in sys.stdlib_module_names and u.module not in local]


SRC_USES = _third_party(_uses(ROOT / "src"), {"mediamanager"})


def _dists(module: str) -> set[str]:
    # A module no installed distribution ships (an extra left out of this venv, e.g. trustmark) is
    # taken to come from the distribution of the same name.
    return _MODULE_DISTS.get(module, {_norm(module)})


def test_every_plain_import_in_src_is_a_base_dependency() -> None:
    bad = [
        f"{u.where}: import {u.module} ({'/'.join(sorted(_dists(u.module)))} is not in [project.dependencies])"
        for u in SRC_USES
        if u.extra is None and not u.type_checking and not (_dists(u.module) & BASE)
    ]
    assert not bad, "undeclared imports, or optional ones not behind require_extra():\n" + "\n".join(bad)


def test_every_require_extra_names_the_extra_that_installs_the_module() -> None:
    uses = [u for u in SRC_USES if u.extra is not None]
    assert {u.module for u in uses} >= {"ray", "datasets", "torch", "transformers", "scipy"}
    bad = []
    for u in uses:
        if u.extra not in EXTRAS:
            bad.append(f"{u.where}: require_extra names {u.extra!r}, which pyproject does not define")
        elif not (_dists(u.module) & EXTRAS[u.extra]):
            bad.append(f"{u.where}: {u.module} is not installed by mediamanager[{u.extra}]")
        elif _dists(u.module) & BASE:
            bad.append(f"{u.where}: {u.module} is a base dependency; import it directly")
    assert not bad, "\n".join(bad)


def test_every_base_dependency_is_imported_or_loaded_at_run_time() -> None:
    imported = set().union(*(_dists(u.module) for u in SRC_USES if u.extra is None))
    unused = BASE - imported - set(RUNTIME_ONLY)
    assert not unused, f"base dependencies nothing in src/ imports: {sorted(unused)}"
    assert not (set(RUNTIME_ONLY) & imported), "listed as runtime-only but imported by name"


def test_tests_and_benchmarks_import_only_declared_packages() -> None:
    declared = BASE | EXTRAS["dev"]
    local = _local_modules(ROOT / "tests") | _local_modules(ROOT / "benchmarks")
    local |= {"mediamanager", "tests", "benchmarks"}
    uses = [*_uses(ROOT / "tests"), *_uses(ROOT / "benchmarks")]
    bad = sorted(
        {
            f"{u.module} ({'/'.join(sorted(_dists(u.module)))}), first at {u.where}"
            for u in _third_party(iter(uses), local)
            if u.extra is None and not (_dists(u.module) & declared)
        }
    )
    assert not bad, "imported by tests/benchmarks, not in [dev]/[test]/[bench]:\n" + "\n".join(bad)
    everything = {u.module for u in _third_party(iter(uses), local)} | {u.module for u in SRC_USES}
    used = set().union(*(_dists(m) for m in everything))
    idle = EXTRAS["dev"] - BASE - used - set(EXTRA_TOOLS)
    assert not idle, f"extras nothing imports (drop them, or say why in EXTRA_TOOLS): {sorted(idle)}"


@pytest.mark.parametrize("heavy", ["torch", "ray", "playwright", "transformers", "datasets", "scipy"])
def test_heavy_packages_stay_out_of_the_base_install(heavy: str) -> None:
    assert heavy not in BASE
