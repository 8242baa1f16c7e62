"""One list of model ids: the table. The README's "Models and retirements" section is the table,
its examples run, and no code, notebook or test helper keeps a second list of ids."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from _readme import README, python_blocks

import mimo_openai_ext
from mimo_openai_ext import MODELS, sample_audio_path
from mimo_openai_ext.config import models_markdown
from mimo_openai_ext.retry import set_testing

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(mimo_openai_ext.__file__).parent
ID = re.compile(r"\bmimo-v\d[\w.-]*")
RETIRED = {m.id for m in MODELS.values() if m.retirement is not None}
SECTION = "Models and retirements"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def test_the_readme_table_is_the_model_table() -> None:
    text = README.read_text(encoding="utf-8")
    table = text.split("<!-- models-table:start -->\n", 1)[1].split("\n<!-- models-table:end -->", 1)[0]
    assert table == models_markdown()  # regenerate: mimo_openai_ext.config.models_markdown()
    assert "<!-- models-table:start -->" in _section(text, SECTION)


def test_the_readme_names_only_ids_the_table_knows() -> None:
    text = README.read_text(encoding="utf-8")
    named = set(ID.findall(text))
    assert named <= set(MODELS), named - set(MODELS)
    outside = text.replace(_section(text, SECTION), "")
    code = "\n".join(re.findall(r"```(?:python|bash)\n(.*?)```", outside, flags=re.DOTALL))
    assert not set(ID.findall(code)) & RETIRED  # examples use today's models


def test_the_readme_section_runs(mimo_emulator: Any, emulator_env: Path) -> None:
    (block,) = python_blocks(SECTION)
    shutil.copy(sample_audio_path(), emulator_env / "call.mp3")
    namespace: dict[str, Any] = {}
    with set_testing(True):
        exec(compile(block, "README.md", "exec"), namespace)
    namespace["client"].close()
    assert namespace["answer"].usage.audio_tokens == 28
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.6-flash"]  # the retired one: not sent


def _code_strings(path: Path) -> list[str]:
    """String constants of a module that are not docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def test_no_second_list_of_ids_in_the_package_the_test_helpers_or_the_benchmarks() -> None:
    files = [p for p in PACKAGE.rglob("*.py") if p.name != "_config.py"]
    files += [p for p in (ROOT / "tests").glob("*.py") if p.name.startswith(("_", "conftest"))]
    files += sorted((ROOT / "benchmarks").rglob("*.py"))  # they use DEFAULT_MODEL / the table
    assert any(p.name == "bench_adapter.py" for p in files)
    found = {
        str(p.relative_to(ROOT)): ids for p in files if (ids := [s for s in _code_strings(p) if ID.search(s)])
    }
    assert found == {}


@pytest.mark.parametrize("notebook", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
def test_notebooks_follow_the_table(notebook: Path) -> None:
    assert ID.findall(notebook.read_text(encoding="utf-8")) == []  # they use DEFAULT_MODEL
