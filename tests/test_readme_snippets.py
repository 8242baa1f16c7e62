"""The README's migration guide runs: every snippet is executed against the emulator.

"After" snippets must run and print what the emulator answered; "Before" snippets (plain
OpenAI code) are pointed at the emulator as if at MiMo and must fail as the guide says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai
import pytest
from _audio import encode_tone
from _readme import python_blocks

# The first line of each snippet -> what it must do against the emulator.
EXPECTED: dict[str, str | type[BaseException]] = {
    "# Before: OpenAI gpt-4o-audio-preview": openai.BadRequestError,
    "# After: MiMo, converting OpenAI-shaped messages": "I received 1 audio clip: audio 1: wav, 1.00 s",
    "# After: MiMo, building the parts directly": "I received 1 audio clip: audio 1: wav, 1.00 s",
    "# After: MiMo messages back to OpenAI's shape": "wav",
    "# Before: OpenAI Whisper": openai.NotFoundError,
    "# After: MiMo, the same call through transcriptions(client)": "mp3 audio, 1 ch, 16000 Hz, language en,",
    '# After: MiMo, response_format="text" and an async client': "[emulated transcript: 1.00 s of wav audio",
    "# Before: OpenAI text to speech": openai.NotFoundError,
    "# After: MiMo, the same call through speech(client)": "audio/mpeg",
    "# After: MiMo, streaming to a file with an async client": "audio/ogg 200",
}


def _snippets() -> list[tuple[str, str]]:
    blocks = python_blocks("Migrating from OpenAI audio")
    return [(block.splitlines()[0], block) for block in blocks]


def test_every_snippet_has_an_expectation() -> None:
    assert [title for title, _ in _snippets()] == list(EXPECTED)


@pytest.fixture
def workdir(emulator_env: Path, monkeypatch: pytest.MonkeyPatch, mimo_emulator: Any) -> Path:
    """The emulator's env, also under OpenAI's names: "Before" snippets point at it as if at MiMo."""
    (emulator_env / "speech.wav").write_bytes(encode_tone(1.0, freq_hz=220))
    (emulator_env / "meeting.mp3").write_bytes(encode_tone(2.0, format="MP3", freq_hz=220))
    monkeypatch.setenv("OPENAI_API_KEY", mimo_emulator.api_key)
    monkeypatch.setenv("OPENAI_BASE_URL", mimo_emulator.base_url)
    return emulator_env


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
