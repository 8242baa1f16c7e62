"""The floor plan holds: layers point down, no import cycles, internal imports at the top.

The layers are spelled out once, in ``pyproject.toml`` (``[tool.importlinter]``); this
runs ``lint-imports`` on them, looks for import cycles anywhere in the package (inside
the wings too), and runs ruff's ``PLC0415`` (an import inside a function is allowed only
for the heavy or optional third-party modules listed in ``banned-module-level-imports``).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    assert found, f"{name} is not installed: pip install -e '.[dev]'"
    return found


def test_import_contracts_hold() -> None:
    result = subprocess.run(
        [_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.lower().replace("0 broken", "")


def test_no_import_cycles_anywhere_in_the_package() -> None:
    graph = grimp.build_graph("mimo_openai_ext", cache_dir=None)
    cycles = []
    for module in sorted(graph.modules):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported != module and graph.chain_exists(imported=module, importer=imported):
                cycles.append(f"{module} <-> {imported}")
    assert cycles == []


def test_internal_imports_sit_at_the_top_of_their_module() -> None:
    result = subprocess.run(
        [
            _tool("ruff"),
            "check",
            "--select",
            "PLC0415,TID253",
            "--output-format",
            "concise",
            "mimo_openai_ext",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
