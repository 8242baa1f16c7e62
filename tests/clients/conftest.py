"""Third-party clients (llm, langchain-openai, litellm) against the emulator, unchanged.

They are heavy, so CI installs them in a venv of their own (``.venv-clients`` in
``.ci/run``) and runs only these tests there (``-m clients``). Elsewhere a test whose
package is missing is skipped, saying so; with ``MIMO_REQUIRE_CLIENTS=1`` (set by CI in
that venv) a missing package fails instead, so the clients can never be skipped silently.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mimo_openai_ext import mimo_http_client
from mimo_openai_ext.adapter import default_library
from mimo_openai_ext.proxy import ProxyOptions, start_proxy

# LiteLLM fetches its model price table from GitHub when imported; never from a test.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


def _missing(message: str) -> None:
    if os.environ.get("MIMO_REQUIRE_CLIENTS") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message, allow_module_level=True)


def require(module: str) -> ModuleType:
    """Import ``module``, or skip (fail under ``MIMO_REQUIRE_CLIENTS=1``) saying how to get it.

    Called at the top of a test module, it skips the whole module before any fixture starts.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        _missing(f"{module} is not installed here; CI runs the client tests in .venv-clients")
        raise


def require_command(name: str) -> str:
    """The path of a console script of this venv (``llm``), or skip/fail like :func:`require`."""
    found = Path(sys.executable).with_name(name)
    path = str(found) if found.exists() else shutil.which(name)
    if path is None:
        _missing(f"the {name} command is not installed here; CI runs the client tests in .venv-clients")
        raise AssertionError("unreachable")
    return path


@pytest.fixture
def http_client() -> Iterator[Any]:
    """``mimo_http_client()``, closed after the test (an async one lives in its test's event loop)."""
    with mimo_http_client() as client:
        yield client


@pytest.fixture
def plain_http() -> Iterator[Any]:
    """A plain httpx/httpx2 client (no adapter) for a client pointed at the proxy, closed after the
    test: a client's own default one would be cached and left open at exit."""
    lib = importlib.import_module(default_library())
    with lib.Client(timeout=60) as client:
        yield client


@pytest.fixture
def proxy_url(mimo_emulator: Any) -> Iterator[str]:
    """``mimo-audio proxy`` in front of the emulator, holding its key."""
    with start_proxy(ProxyOptions(upstream=mimo_emulator.base_url, api_key=mimo_emulator.api_key)) as handle:
        yield handle.base_url
