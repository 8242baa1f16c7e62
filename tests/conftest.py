"""Shared test fixtures: generated audio, committed fixtures, emulator clients and env.

Audio (backed by the plain module ``tests/_audio.py``, which test modules import directly
for anything beyond these):

* ``make_audio(seconds=1.0, *, format="WAV", subtype=None, sample_rate=16000,
  channels=1) -> bytes``: a 440 Hz tone encoded by libsndfile (WAV, FLAC, OGG, MP3,
  AIFF, CAF, RF64, WAVEX, W64; any subtype soundfile lists).
* ``write_audio(name, seconds=1.0, **same) -> pathlib.Path``: the same, written under
  ``tmp_path`` (the file name is yours: it never decides the format).
* ``fixture_file(name) -> pathlib.Path``: a committed file from ``tests/fixtures``
  (see its README for how each was made).

Emulator (over the ``mimo_emulator`` fixture of the package's pytest plugin):

* ``client``: an ``openai.OpenAI`` pointed at the emulator, closed after the test. It
  keeps the SDK's own retries (as a user's client would) unless the module or test is
  marked ``@pytest.mark.sdk_retries(0)``.
* ``emulator_env``: ``tmp_path`` as the working directory, with ``MIMO_API_KEY`` and
  ``MIMO_BASE_URL`` pointing at the emulator (for code run as a user would: README
  blocks, notebooks, the CLI). Returns ``tmp_path``.
* ``no_mimo_env``: ``MIMO_API_KEY`` and ``MIMO_BASE_URL`` unset.
* ``no_sleep``: retries in testing mode (waits computed, never slept).

Models:

* ``text_model``: the id of a current text-only model added to ``MODELS`` for the test
  (MiMo's own line-up has none today: ``mimo-v2.5-pro`` is retired).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import encode_tone
from faults import FaultServer, serve_faults

from mimo_openai_ext import MODELS, ModelSpec
from mimo_openai_ext._retry import set_testing

FIXTURES = Path(__file__).parent / "fixtures"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sdk_retries(n): max_retries of the `client` fixture's SDK client")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the long fuzz run unless ``-m`` names it (``pytest -m fuzz``)."""
    if "fuzz" in (config.option.markexpr or ""):
        return
    kept = [item for item in items if item.get_closest_marker("fuzz") is None]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.get_closest_marker("fuzz")])
        items[:] = kept


@pytest.fixture
def make_audio() -> Callable[..., bytes]:
    return encode_tone


@pytest.fixture
def write_audio(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str, seconds: float = 1.0, **options: Any) -> Path:
        path = tmp_path / name
        path.write_bytes(encode_tone(seconds, **options))
        return path

    return write


@pytest.fixture
def fixture_file() -> Callable[[str], Path]:
    def find(name: str) -> Path:
        path = FIXTURES / name
        if not path.is_file():
            raise FileNotFoundError(f"no committed fixture {name!r} in {FIXTURES}")
        return path

    return find


@pytest.fixture
def client(request: pytest.FixtureRequest, mimo_emulator: Any) -> Iterator[openai.OpenAI]:
    marker = request.node.get_closest_marker("sdk_retries")
    options = {} if marker is None else {"max_retries": marker.args[0]}
    with mimo_emulator.client(**options) as sdk_client:
        yield sdk_client


@pytest.fixture
def emulator_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mimo_emulator: Any) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MIMO_API_KEY", mimo_emulator.api_key)
    monkeypatch.setenv("MIMO_BASE_URL", mimo_emulator.base_url)
    return tmp_path


@pytest.fixture
def no_mimo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIMO_API_KEY", raising=False)
    monkeypatch.delenv("MIMO_BASE_URL", raising=False)


@pytest.fixture
def no_sleep() -> Iterator[None]:
    with set_testing(True):
        yield


@pytest.fixture
def text_model(monkeypatch: pytest.MonkeyPatch) -> str:
    model_id = "mimo-text-only-test"
    monkeypatch.setitem(
        MODELS, model_id, ModelSpec(model_id, False, 1_048_576, audio_evidence="documented", status="test")
    )
    return model_id


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A misbehaving server of our own on loopback (``tests/faults``): script it with ``.queue(...)``."""
    with serve_faults() as server:
        yield server
