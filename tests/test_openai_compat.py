"""Compatibility with every supported ``openai`` major (.ci/run runs this suite in each).

The newest 3.x runs on ``httpx2``, 1.x and 2.x on ``httpx``: the package imports neither
by name, so it works whichever the SDK brought. The HTTP adapter's transports are the one
exception: they load the library the SDK uses (``_adapter/_transport.py``, by name only
for type checking).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import openai

import mimo_openai_ext

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(mimo_openai_ext.__file__).resolve().parent


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_package_never_imports_httpx_or_httpx2() -> None:
    offenders = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if _imported_modules(path) & {"httpx", "httpx2"}
    )
    assert offenders == ["_adapter/_transport.py"], "use the openai SDK's own types/exceptions instead"


def test_the_adapter_uses_the_http_library_of_this_openai() -> None:
    from mimo_openai_ext.adapter import default_library, mimo_http_client

    expected = "httpx2" if int(openai.__version__.split(".")[0]) >= 3 else "httpx"
    assert default_library() == expected
    with mimo_http_client() as http:
        assert type(http).__module__.split(".")[0] == expected
        sdk = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1", http_client=http)
        assert sdk._client is http  # accepted as is: no wrapper, no copy


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", text)[:3])


def test_installed_openai_is_inside_the_declared_range() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'"openai>=([\d.]+),<(\d+)"', pyproject)
    assert match is not None, "pyproject.toml must declare openai>=X.Y.Z,<N"
    low, high = _version_tuple(match.group(1)), int(match.group(2))
    installed = _version_tuple(openai.__version__)
    assert low <= installed
    assert installed[0] < high


def test_ci_matrix_tests_the_declared_floor() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    floor = re.search(r'"openai>=([\d.]+),', pyproject)
    assert floor is not None
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'"openai=={floor.group(1)}"' in ci


def test_sdk_keeps_the_extension_points_we_rely_on() -> None:
    client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    try:
        quiet = client.with_options(max_retries=0)
        assert quiet.max_retries == 0
        assert client.max_retries != 0
    finally:
        client.close()
    message = openai.types.chat.ChatCompletionMessage.model_validate(
        {"role": "assistant", "content": "", "reasoning_content": "thought"}
    )
    assert getattr(message, "reasoning_content", None) == "thought"


def test_package_and_typing_file_pass_mypy_strict_with_this_openai(tmp_path: Path) -> None:
    """The package and ``tests/typing/check_sdk_types.py`` against this venv's openai stubs."""
    target = ROOT / "tests" / "typing" / "check_sdk_types.py"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "cache"),
            "mimo_openai_ext",
            str(target),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"openai {openai.__version__}:\n{result.stdout}{result.stderr}"
