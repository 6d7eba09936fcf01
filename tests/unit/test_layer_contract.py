"""The layer contract (pyproject.toml, run by scripts/check) holds on the real tree and breaks on a bad import.

A contract that cannot fail proves nothing, so each case copies the package into a scratch folder, adds one
module that imports what its layer must not, and runs the real ``lint-imports`` on the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONTRACTS = {
    c["id"]: c["name"]
    for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
}


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree), "COLUMNS": "200", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(tree / "pyproject.toml")],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def scratch_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "madoguchi",
        tmp_path / "madoguchi",
        ignore=shutil.ignore_patterns("__pycache__", "static", "templates", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_real_tree_keeps_every_contract() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in CONTRACTS.values():
        assert f"{name} KEPT" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("domain/scratch_bad.py", "import aiohttp\n", "pure-core"),
        ("chatbot/scratch_bad.py", "import sqlalchemy\n", "pure-core"),
        ("signaling/scratch_bad_counter.py", "import redis\n", None),  # not in the pure core: allowed
        ("domain/scratch_bad.py", "from madoguchi.chatbot import engine\n", "layers"),
        ("chatbot/scratch_bad.py", "from madoguchi.signaling import counter\n", "layers"),
        ("storage/scratch_bad.py", "from madoguchi.resident_chat import conversation\n", "layers"),
        ("booth/scratch_bad.py", "from madoguchi.agent_console import auth\n", "layers"),
        # the module is replaced by the bad import: the operations must not reach the socket edge
        ("signaling/steering.py", "from madoguchi.signaling import rooms\n", "operations-below-sockets"),
    ],
)
def test_a_bad_import_breaks_its_contract(tmp_path: Path, module: str, source: str, contract: str | None) -> None:
    tree = scratch_copy(tmp_path)
    (tree / "madoguchi" / module).write_text(source)
    result = lint_imports(tree)
    output = result.stdout + result.stderr
    if contract is None:
        assert result.returncode == 0, output
        return
    assert result.returncode != 0, output
    assert f"{CONTRACTS[contract]} BROKEN" in output
    bad_module = "madoguchi." + module.removesuffix(".py").replace("/", ".")
    assert bad_module in output  # the copy was analysed, not the installed package
    for other, name in CONTRACTS.items():
        if other != contract:
            assert f"{name} KEPT" in output
