"""simonw's ``llm`` command, unchanged: an ``extra-openai-models.yaml`` entry pointed at the
proxy, and the MiMo models our package registers as an llm plugin (``-a`` any MiMo format).

llm sends OpenAI's shape (raw base64, ``format`` "wav" or, for anything else, "mp3") and
only takes WAV and MP3 attachments for a YAML-configured model; the plugin's models take
every format MiMo takes.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _shapes import AUDIO, expected_tokens
from conftest import require_command

pytestmark = pytest.mark.clients

LLM = require_command("llm")


def _llm(home: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "LLM_USER_PATH": str(home), **(env or {})}
    return subprocess.run(
        [LLM, *args], capture_output=True, text=True, env=full_env, timeout=120, check=False
    )


def _last_audio_tokens(home: Path, env: dict[str, str] | None = None) -> int:
    logged = json.loads(_llm(home, "logs", "--json", "-n", "1", env=env).stdout)
    return int(json.loads(logged[0]["token_details"])["prompt_tokens_details"]["audio_tokens"])


@pytest.fixture
def audio_files(tmp_path: Path) -> dict[str, Path]:
    files = {}
    for fmt, make in AUDIO.items():
        files[fmt] = tmp_path / f"hello.{fmt}"
        files[fmt].write_bytes(make())
    return files


@pytest.mark.parametrize("stream", [True, False])
def test_an_extra_openai_models_entry_through_the_proxy(
    tmp_path: Path, proxy_url: str, mimo_emulator: Any, audio_files: dict[str, Path], stream: bool
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    (tmp_path / "extra-openai-models.yaml").write_text(
        f"- model_id: mimo\n  model_name: mimo-v2.6-flash\n  api_base: {proxy_url}\n  audio: true\n"
    )
    flags = [] if stream else ["--no-stream"]
    result = _llm(tmp_path, "-m", "mimo", "-a", str(audio_files["wav"]), "What is said?", *flags)
    assert result.returncode == 0, result.stderr
    assert "audio 1: wav" in result.stdout  # MiMo's reasoning-only answer, as content
    if not stream:  # llm logs usage only for a complete (non-streamed) response
        assert _last_audio_tokens(tmp_path) == expected_tokens(audio_files["wav"].read_bytes())
    refused = _llm(tmp_path, "-m", "mimo", "-a", str(audio_files["flac"]), "What is said?")
    assert refused.returncode == 1  # llm itself: a YAML model takes only audio/wav and audio/mpeg
    assert "does not support attachments of type 'audio/flac'" in refused.stderr


@pytest.mark.parametrize("stream", [True, False])
def test_the_plugin_models_take_every_mimo_format(
    tmp_path: Path, mimo_emulator: Any, audio_files: dict[str, Path], stream: bool
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    env = {"MIMO_API_KEY": mimo_emulator.api_key, "MIMO_BASE_URL": mimo_emulator.base_url}
    attachments = [arg for path in audio_files.values() for arg in ("-a", str(path))]  # one request, 3 parts
    flags = [] if stream else ["--no-stream"]
    result = _llm(tmp_path, "-m", "mimo-v2.6-flash", *attachments, "What is said?", *flags, env=env)
    assert result.returncode == 0, result.stderr
    assert "audio 1: wav" in result.stdout
    assert "audio 2: flac" in result.stdout
    assert "audio 3: m4a" in result.stdout
    if not stream:
        heard = sum(expected_tokens(path.read_bytes()) for path in audio_files.values())
        assert _last_audio_tokens(tmp_path, env) == heard


def test_the_plugin_refuses_what_is_not_audio_with_our_message(tmp_path: Path, mimo_emulator: Any) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio at all, but long enough to be looked at " * 20)
    env = {"MIMO_API_KEY": mimo_emulator.api_key, "MIMO_BASE_URL": mimo_emulator.base_url}
    result = _llm(tmp_path, "-m", "mimo-v2.6-flash", "-a", str(notes), "What is said?", env=env)
    assert result.returncode == 1
    assert "notes.txt" in result.stderr
    assert "wav/mp3/flac/m4a/ogg" in result.stderr or "MiMo" in result.stderr
    assert mimo_emulator.request_log == []
