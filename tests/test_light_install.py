"""The base install is enough for ``mediamanager demo``; a missing extra says how to install it.

The suite runs in the full environment, so a light one is made by subtraction: a child Python
(``-S``: without the full site-packages) sees only a folder of links to the files of the
distributions that the base dependencies (``[project.dependencies]`` and what they require, from
the installed metadata) install. torch, ray, transformers, playwright, datasets, scipy... are absent there.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
BASE_REQS = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _closure() -> set[str]:
    """Canonical names of the distributions the base dependencies install, transitively."""
    seen: set[str] = set()
    todo = [r for r in map(Requirement, BASE_REQS) if r.marker is None or r.marker.evaluate()]
    while todo:
        req = todo.pop()
        key = f"{canonicalize_name(req.name)}[{','.join(sorted(req.extras))}]"
        if key in seen:
            continue
        seen.add(key)
        try:
            requires = metadata.requires(req.name) or []
        except metadata.PackageNotFoundError:
            continue
        for sub in map(Requirement, requires):
            # a requirement applies with no extra, or with one of the extras asked for (psycopg[binary])
            if sub.marker is None or any(sub.marker.evaluate({"extra": e}) for e in {"", *req.extras}):
                todo.append(sub)
    return {k.split("[")[0] for k in seen}


def _light_site(dest: Path) -> Path:
    """A site-packages holding only the base closure: links to each of its distributions' files."""
    dest.mkdir()
    for name in _closure():
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for file in dist.files or []:
            top = file.parts[0]
            source = Path(str(dist.locate_file(top)))
            if top in ("..", "__pycache__") or top.endswith(".pth") or not source.exists():
                continue
            if not (dest / top).exists():
                (dest / top).symlink_to(source)
    return dest


def _run_light(tmp_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """``code`` in a Python that sees the standard library, src/ and the base closure only."""
    site = _light_site(tmp_path / "site")
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{site}", "OMP_NUM_THREADS": "1"}
    # -S: no site-packages (and no .pth hooks) of the full environment.
    return subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_heavy_packages_are_outside_the_base_closure(tmp_path: Path) -> None:
    code = "import importlib.util as u\nfor m in MODULES: print(m, u.find_spec(m) is not None)\n"
    mods = ["torch", "ray", "transformers", "playwright", "datasets", "scipy", "gguf", "datatrove"]
    mods += ["fastapi", "numpy", "pyarrow", "c2pa", "cv2", "faiss", "fastapi_offline", "mediamanager"]
    proc = _run_light(tmp_path, f"MODULES = {mods!r}\n{code}")
    assert proc.returncode == 0, proc.stderr
    found = dict(line.split() for line in proc.stdout.splitlines())
    assert found == {m: str(i >= 8) for i, m in enumerate(mods)}


def test_demo_runs_on_the_base_install(tmp_path: Path) -> None:
    code = "import sys\nsys.argv = ['mediamanager', 'demo']\nfrom mediamanager.cli.main import app\napp()\n"
    proc = _run_light(tmp_path, code)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 of 3 altered copies found with their owner's preferences" in proc.stdout
    assert "audit log: 8 entries, chain intact" in proc.stdout


def test_each_missing_extra_names_its_pip_command(tmp_path: Path) -> None:
    code = """
from mediamanager.errors import MissingExtraError
from mediamanager.provenance import model_loader
from mediamanager.provenance.watermark import text_detect
from mediamanager.scan.executors.ray import RayExecutor
from mediamanager.scan.readers.hf import load_hf

for name, call in [
    ("ray", lambda: RayExecutor()._ray()),
    ("datasets", lambda: load_hf("nowhere")),
    ("text-watermark", lambda: text_detect._binom_sf(3, 5, 0.5)),
    ("text-watermark", lambda: model_loader.load_text_tokenizer()),
]:
    try:
        call()
    except MissingExtraError as exc:
        print(name, "->", exc)
    else:
        print(name, "-> no error")
"""
    proc = _run_light(tmp_path, code)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 4, proc.stdout
    for line in lines:
        extra = line.split(" -> ")[0]
        assert f"pip install 'mediamanager[{extra}]'" in line, line
