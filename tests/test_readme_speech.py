"""The README's "Speech out" section runs as written: its Python and its command lines."""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _audio import encode_m4a
from _readme import README, python_blocks

from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext._cli import main


def _bash_blocks(heading: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"\n## {heading}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```bash\n(.*?)```", text[start:end], flags=re.DOTALL)


@pytest.fixture
def workdir(emulator_env: Path) -> Path:
    t = np.arange(44_100 * 6) / 44_100
    voice = (0.3 * np.sin(2 * np.pi * 160 * t)).astype(np.float32)
    (emulator_env / "me.m4a").write_bytes(encode_m4a(voice, rate=44_100))
    (emulator_env / "chapter.txt").write_text("It was a bright cold day in April. " * 20, encoding="utf-8")
    return emulator_env


def test_the_python_block_speaks_and_saves(
    workdir: Path, capsys: pytest.CaptureFixture[str], mimo_emulator: Any
) -> None:
    (code,) = python_blocks("Speech out")
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    try:
        exec(compile(code, "README.md: Speech out", "exec"), namespace)
    finally:
        namespace["client"].close()
    first, second = capsys.readouterr().out.splitlines()
    info = probe_bytes((workdir / "hello.wav").read_bytes(), source_name="hello.wav")
    assert first == f"wav {info.duration_s:.2f} s 24000 Hz $0 (free for a limited time)"
    assert second == "mimo-v2.5-tts-voicedesign mimo-v2.5-tts-voiceclone"
    assert [(r.model, r.status) for r in mimo_emulator.completions()] == [
        ("mimo-v2.5-tts", 200),
        ("mimo-v2.5-tts-voicedesign", 200),
        ("mimo-v2.5-tts-voiceclone", 200),
    ]


class _Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_the_command_lines_write_what_they_say(
    workdir: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each line run in-process as the shell would (``cat FILE | mimo-audio ...`` feeds stdin)."""
    (block,) = _bash_blocks("Speech out")
    lines = [line for line in block.splitlines() if line.strip()]
    for line in lines:
        *piped, command = (part.strip() for part in line.split("|"))
        if piped:
            cat, source = shlex.split(piped[0])
            assert cat == "cat"
            monkeypatch.setattr("sys.stdin", _Stdin((workdir / source).read_text(encoding="utf-8")))
        program, *args = shlex.split(command)
        assert program == "mimo-audio"
        assert main(args) == 0, capsys.readouterr().err
        target = args[args.index("-o") + 1]
        assert capsys.readouterr().err.startswith(f"mimo-audio: {target}: ")
    formats = {name: probe_bytes((workdir / name).read_bytes(), source_name=name).format for name in
               ("hello.wav", "calm.mp3", "mine.opus", "chapter.mp3")}  # fmt: skip
    assert formats == {"hello.wav": "wav", "calm.mp3": "mp3", "mine.opus": "ogg", "chapter.mp3": "mp3"}
    assert len(mimo_emulator.completions()) == len(lines)
