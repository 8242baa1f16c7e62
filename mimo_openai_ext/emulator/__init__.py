"""A local MiMo emulator: a real HTTP server speaking MiMo's dialect, for offline use and tests.

``run_emulator()`` starts one on a free loopback port in a background thread; the
pytest plugin gives a ``mimo_emulator`` fixture; ``mimo-audio serve`` runs one in the
foreground. Importing this package starts nothing and loads no HTTP server code.
"""

from __future__ import annotations

from ._handle import EmulatorHandle, run_emulator, start_emulator
from ._options import DEFAULT_EMULATOR_API_KEY, EmulatorOptions, RequestRecord
from ._speech import ScriptedSpeech

__all__ = [
    "DEFAULT_EMULATOR_API_KEY",
    "EmulatorHandle",
    "EmulatorOptions",
    "RequestRecord",
    "ScriptedSpeech",
    "run_emulator",
    "start_emulator",
]
