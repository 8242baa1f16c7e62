"""The README's "Using MiMo from other tools" snippets for LangChain, LiteLLM and llm, run as written
against the emulator (the inline llm YAML entry pointed at a proxy on a free port)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
from _readme_tools import (
    CLIENT_SNIPPETS,
    PROXY_DOC_URL,
    bash_lines,
    llm_yaml_entry,
    snippets,
    write_audio_files,
)
from conftest import require, require_command

pytestmark = [
    pytest.mark.clients,
    pytest.mark.filterwarnings("ignore:.* the `ReadOnly` qualifier:UserWarning"),  # LiteLLM's types
]


@pytest.mark.parametrize("title", CLIENT_SNIPPETS)
def test_the_python_snippets(
    title: str, emulator_env: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    require("langchain_openai" if "langchain" in title else "litellm")
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    write_audio_files(emulator_env)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    try:
        exec(compile(snippets()[title], f"README.md: {title}", "exec"), namespace)
    finally:  # close what the snippet opened (ChatOpenAI keeps the SDK client it built on ours)
        for value in namespace.values():
            client = getattr(value, "root_client", value)
            if type(client).__name__ == "OpenAI":
                client.close()
    out = capsys.readouterr().out
    fmt = "wav" if "langchain" in title else "m4a"
    assert f"I received 1 audio clip: audio 1: {fmt}" in out
    assert [r.audio_tokens > 0 for r in mimo_emulator.completions()] == [True]


def test_the_llm_commands(emulator_env: Path, mimo_emulator: Any, tmp_path: Path, proxy_url: str) -> None:
    llm = require_command("llm")
    mimo_emulator.configure(answer_in_content=False)  # MiMo: the answer in reasoning_content
    write_audio_files(emulator_env)
    home = tmp_path / "llm-home"
    home.mkdir()
    env = {**os.environ, "LLM_USER_PATH": str(home)}
    commands = [line for line in bash_lines() if line.startswith("llm ")]
    assert commands[0] == "llm install mimo-openai-ext"  # done: this venv has the package (and its plugin)
    for command in commands[1:]:
        argv = shlex.split(command)
        result = subprocess.run(
            [llm, *argv[1:]], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        assert result.returncode == 0, result.stderr
        assert "I received 1 audio clip: audio 1: m4a" in result.stdout
    (home / "extra-openai-models.yaml").write_text(llm_yaml_entry().replace(PROXY_DOC_URL, proxy_url) + "\n")
    result = subprocess.run(
        [llm, "-m", "mimo", "-a", "speech.wav", "What is said?"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "I received 1 audio clip: audio 1: wav" in result.stdout
