"""The README's first-screen example runs as written, against the emulator."""

from __future__ import annotations

import shutil
import subprocess
import sys
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


def test_fixture_example_is_a_passing_test_file(tmp_path: Path) -> None:
    # The README's pytest example, run as a user would: its own file, the plugin from the
    # installed package's entry point (not from our conftest), in a fresh pytest process.
    (code, _) = python_blocks("Testing your code offline")
    (tmp_path / "test_my_app.py").write_text(code, encoding="utf-8")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(tmp_path),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed" in done.stdout


def test_transcription_example_runs(
    emulator_env: Path, capsys: pytest.CaptureFixture[str], mimo_emulator: Any
) -> None:
    import srt
    from _audio import encode_m4a, sentences

    from mimo_openai_ext.emulator import ScriptedSpeech

    clean, spans = sentences()
    (emulator_env / "lecture.m4a").write_bytes(encode_m4a(clean, rate=16000, bit_rate=48_000))
    mimo_emulator.configure(speech=(ScriptedSpeech.from_array(clean, 16000, spans),))
    (code,) = python_blocks("Transcripts with a timeline")
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md: Transcripts with a timeline", "exec"), namespace)
    namespace["client"].close()
    printed = capsys.readouterr().out.splitlines()
    texts = [text for _, _, text in spans]
    assert printed[0] == " ".join(texts)
    assert [line[16:] for line in printed[1:13]] == texts  # "  0.80    4.70 Good morning ..."
    assert float(printed[1].split()[0]) == pytest.approx(spans[0][0], abs=0.3)
    cues = list(srt.parse((emulator_env / "lecture.srt").read_text()))
    assert len(cues) == 12
    start, text = printed[13].split(" ", 1)  # the Whisper-shaped result's first segment
    assert float(start) == pytest.approx(spans[0][0], abs=0.3)
    assert text == texts[0]
