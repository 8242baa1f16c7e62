"""The README's migration guide runs: every snippet is executed against the emulator.

"After" snippets must run and print what the emulator answered; "Before" snippets (plain
OpenAI code) are pointed at the emulator as if at MiMo and must fail as the guide says.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
import soundfile as sf
from _readme import python_blocks

# The first line of each snippet -> what it must do against the emulator.
EXPECTED: dict[str, str | type[BaseException]] = {
    "# Before: OpenAI gpt-4o-audio-preview": openai.BadRequestError,
    "# After: MiMo, converting OpenAI-shaped messages": "I received 1 audio clip: audio 1: wav, 1.00 s",
    "# After: MiMo, building the parts directly": "I received 1 audio clip: audio 1: wav, 1.00 s",
    "# After: MiMo messages back to OpenAI's shape": "wav",
    "# Before: OpenAI Whisper": openai.NotFoundError,
    "# After: MiMo, the same call through transcriptions(client)": "mp3 audio, 1 ch, 16000 Hz, language en]",
    '# After: MiMo, response_format="text" and an async client': "[emulated transcript: 1.00 s of wav audio",
}


def _snippets() -> list[tuple[str, str]]:
    blocks = python_blocks("Migrating from OpenAI audio")
    return [(block.splitlines()[0], block) for block in blocks]


def test_every_snippet_has_an_expectation() -> None:
    assert [title for title, _ in _snippets()] == list(EXPECTED)


def _write_audio(path: Path, fmt: str, seconds: float) -> None:
    rate = 16_000
    t = np.arange(int(seconds * rate)) / rate
    buf = io.BytesIO()
    sf.write(buf, 0.3 * np.sin(2 * np.pi * 220 * t), rate, format=fmt)
    path.write_bytes(buf.getvalue())


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mimo_emulator: Any) -> Path:
    _write_audio(tmp_path / "speech.wav", "WAV", 1.0)
    _write_audio(tmp_path / "meeting.mp3", "MP3", 2.0)
    monkeypatch.chdir(tmp_path)
    for name in ("MIMO_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.setenv(name, mimo_emulator.api_key)
    for name in ("MIMO_BASE_URL", "OPENAI_BASE_URL"):
        monkeypatch.setenv(name, mimo_emulator.base_url)
    return tmp_path


def _close_clients(namespace: dict[str, Any]) -> None:
    """Close what the snippet opened, so no socket is left for the garbage collector."""
    for value in namespace.values():
        if isinstance(value, openai.OpenAI):
            value.close()


@pytest.mark.parametrize(("title", "code"), _snippets(), ids=[t for t, _ in _snippets()])
def test_snippet_runs_against_the_emulator(
    workdir: Path, capsys: pytest.CaptureFixture[str], mimo_emulator: Any, title: str, code: str
) -> None:
    expected = EXPECTED[title]
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    compiled = compile(code, f"README.md: {title}", "exec")
    try:
        if isinstance(expected, type):
            with pytest.raises(expected):
                exec(compiled, namespace)
            assert len(mimo_emulator.request_log) == 1
            return
        exec(compiled, namespace)
    finally:
        _close_clients(namespace)
    out = capsys.readouterr().out
    assert expected in out
    assert all(record.status == 200 for record in mimo_emulator.request_log)
