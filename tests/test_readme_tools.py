"""The README's "Using MiMo from other tools" runs: the openai SDK snippet against the emulator,
the proxy's commands as written (a free port instead of 8766), any OpenAI client through it."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import openai
import pytest
from _readme_tools import (
    CLIENT_SNIPPETS,
    CORE_SNIPPETS,
    PROXY_DOC_URL,
    bash_lines,
    snippets,
    write_audio_files,
)

from mimo_openai_ext import probe_audio


def test_every_snippet_is_run_by_one_test_file() -> None:
    assert sorted(snippets()) == sorted(CORE_SNIPPETS + CLIENT_SNIPPETS)


def _close_clients(namespace: dict[str, Any]) -> None:
    """Close what the snippet opened (the client closes the http client it was given)."""
    for value in namespace.values():
        if isinstance(value, openai.OpenAI):
            value.close()


def _run(code: str, title: str, namespace: dict[str, Any]) -> None:
    try:
        exec(compile(code, f"README.md: {title}", "exec"), namespace)
    finally:
        _close_clients(namespace)


def test_the_openai_sdk_snippet(
    emulator_env: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    write_audio_files(emulator_env)
    title = CORE_SNIPPETS[0]
    _run(snippets()[title], title, {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "I received 1 audio clip: audio 1: wav, 1.00 s" in out  # heard, and read from reasoning
    assert "[emulated transcript: 2." in out
    assert [r.audio_tokens > 0 for r in mimo_emulator.completions()] == [True, True]


def test_the_openai_speech_snippet(
    emulator_env: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    title = CORE_SNIPPETS[2]
    _run(snippets()[title], title, {"__name__": "__readme__"})
    assert capsys.readouterr().out.strip() == "audio/mpeg"
    assert probe_audio(emulator_env / "hello.mp3").format == "mp3"
    assert probe_audio(emulator_env / "streamed.wav").format == "wav"
    assert [(r.model, r.status) for r in mimo_emulator.completions()] == [("mimo-v2.5-tts", 200)] * 2


def _start(command: str, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    argv = shlex.split(command.replace("mimo-audio", f"{shlex.quote(sys.executable)} -m mimo_openai_ext", 1))
    proc = subprocess.Popen(
        [*argv, "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(60)
    return proc, (line[0].strip() if line else "")


@pytest.mark.slow  # three proxies in fresh interpreters; the in-process ones run in every venv
def test_the_proxy_commands_and_a_client_through_them(
    emulator_env: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    commands = [line for line in bash_lines() if line.startswith("mimo-audio proxy")]
    assert len(commands) == 3
    proxy_key = "readme-test-proxy-key-0123"
    for command in commands:
        command = command.replace(
            "$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')", proxy_key
        )
        proc, base_url = _start(command, dict(os.environ))
        try:
            assert base_url.endswith("/v1"), proc.stderr.read() if proc.stderr else ""
            local = base_url.replace("0.0.0.0", "127.0.0.1")  # only ever called on loopback
            title = CORE_SNIPPETS[1]
            code = snippets()[title].replace(PROXY_DOC_URL, local)
            if "--proxy-key" in command:
                code = code.replace('api_key="unused"', f'api_key="{proxy_key}"')
            _run(code, title, {"__name__": "__readme__"})
            assert capsys.readouterr().out.strip() == "mimo-v2.6-flash"
        finally:
            proc.terminate()
            proc.communicate(timeout=30)
