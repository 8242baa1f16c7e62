"""The README's first-screen example runs as written, against the emulator."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _readme import python_blocks

from mimo_openai_ext import probe_audio


def test_first_screen_example_runs(
    emulator_env: Path,
    capsys: pytest.CaptureFixture[str],
    mimo_emulator: Any,
    fixture_file: Callable[[str], Path],
) -> None:
    (code,) = python_blocks("Example")
    shutil.copy(fixture_file("aac_brand_m4a.m4a"), emulator_env / "meeting.m4a")
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md: Example", "exec"), namespace)
    namespace["client"].close()
    info = probe_audio(emulator_env / "meeting.m4a")
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == f"m4a audio/mp4 {info.duration_s:.1f} s {info.audio_tokens} audio tokens"
    assert printed[1].startswith("I received 1 audio clip: audio 1: m4a")
    (record,) = mimo_emulator.completions()
    assert record.status == 200
    assert record.audio_tokens == info.audio_tokens
