"""pytest plugin (entry point ``pytest11``): the ``mimo_emulator`` fixture.

One emulator serves the whole test session; each test gets its handle back in the
starting state (default options, empty request log, cache, rate window and fault
queue). Change options for one test with ``mimo_emulator.configure(...)``.

This module stays cheap to import: the emulator is imported when the fixture runs.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .emulator import EmulatorHandle, run_emulator

__all__ = ["mimo_emulator"]


@pytest.fixture(scope="session")
def _mimo_emulator_session() -> Iterator[EmulatorHandle]:

    with run_emulator() as handle:
        yield handle


@pytest.fixture
def mimo_emulator(_mimo_emulator_session: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """A running MiMo emulator on 127.0.0.1: ``.base_url``, ``.api_key``, ``.request_log``.

    >>> def test_ask(mimo_emulator):                                    # doctest: +SKIP
    ...     client = openai.OpenAI(base_url=mimo_emulator.base_url, api_key=mimo_emulator.api_key)
    """
    _mimo_emulator_session.reset()
    try:
        yield _mimo_emulator_session
    finally:
        _mimo_emulator_session.reset()
