"""`mimo-audio ask` / `transcribe`: offline runs, JSON, streaming, one-line errors, no key leaks."""

from __future__ import annotations

import argparse
import json
from typing import Any

import pytest
from _audio import write_silence

from mimo_openai_ext._cli import main
from mimo_openai_ext._cli.ask import add_connection_arguments, open_client
from mimo_openai_ext._retry import set_testing
from mimo_openai_ext._sample import sample_audio_path

SECRET = "sk-cli-secret-key-987654321"


pytestmark = pytest.mark.usefixtures("no_mimo_env")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_ask_offline_sample(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ask", "--offline", "--sample", "What is said in this recording?")
    assert code == 0
    assert "I received 1 audio clip: audio 1: mp3, 4.43 s" in out
    assert "What is said in this recording?" in out
    assert "28 audio" in err
    assert "$" in err


def test_ask_offline_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "ask", "--offline", str(sample_audio_path()), "Describe it.", "--json", "--no-thinking"
    )
    assert code == 0
    data = json.loads(out)
    assert data["reasoning"] == ""
    assert data["usage"]["audio_tokens"] == data["estimate"]["audio_tokens"] == 28
    assert data["cost_usd"] > 0
    assert data["estimate"]["worst_case_cost_usd"] >= data["cost_usd"]


def test_ask_offline_stream(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ask", "--offline", "--sample", "What is said?", "--stream")
    assert code == 0
    _, as_json, _ = run(capsys, "ask", "--offline", "--sample", "What is said?", "--json")
    expected = json.loads(as_json)
    assert expected["reasoning"]
    assert out.strip() == expected["text"]
    assert expected["reasoning"] in err  # reasoning went to stderr, the answer to stdout


def test_transcribe_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "transcribe", "--offline", "--sample", "--language", "en")
    assert code == 0
    assert "emulated transcript" in out
    assert "language en" in out


def test_transcribe_refuses_flac_in_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    path = write_silence(tmp_path / "clip.flac", 0.5, format="FLAC")
    code, out, err = run(capsys, "transcribe", "--offline", str(path))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "clip.flac" in err
    assert "mimo-audio fit" in err


def test_api_error_is_one_line_with_status_detail_and_advice_without_the_key(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any
) -> None:
    with set_testing(True):
        code, out, err = run(
            capsys, "ask", "--base-url", mimo_emulator.base_url, "--api-key", SECRET, "--sample", "q"
        )
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("mimo-audio: error: HTTP 401 Invalid API Key")
    assert "check the API key" in lines[0]
    assert SECRET[:6] not in err  # not even the piece the server echoes back
    assert len(mimo_emulator.completions()) == 1  # 401 tried exactly once


@pytest.mark.filterwarnings("always::mimo_openai_ext.UnknownModelWarning")
def test_key_from_the_environment_is_masked_too(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MIMO_API_KEY", SECRET)
    monkeypatch.setenv("MIMO_BASE_URL", mimo_emulator.base_url)
    code, out, err = run(capsys, "ask", "--sample", "q", "--model", "no-such-model")
    assert code == 1
    assert "mimo-audio: warning: unknown MiMo model 'no-such-model'" in err
    assert "mimo-audio: error: HTTP 4" in err
    assert SECRET not in out + err


def test_missing_key_names_both_routes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "ask", "--sample", "q")
    assert code == 2
    assert "--api-key" in err
    assert "MIMO_API_KEY" in err
    assert out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ("ask", "--offline", "only-a-question"),
        ("ask", "--offline", "--sample", "a.wav", "q"),
        ("ask", "--offline", "--api-key", SECRET, "--sample", "q"),
        ("transcribe", "--offline"),
    ],
)
def test_usage_mistakes_are_one_line(capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]) -> None:
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert SECRET not in err


def test_connection_helpers_are_reusable() -> None:
    parser = argparse.ArgumentParser()
    add_connection_arguments(parser)
    args = parser.parse_args(["--offline", "--model", "mimo-v2.5"])
    with open_client(args) as client:
        completion = client.chat.completions.create(
            model=args.model, messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.choices[0].message.content


def test_async_connection_helper() -> None:
    import asyncio

    from mimo_openai_ext._cli.ask import open_async_client

    parser = argparse.ArgumentParser()
    add_connection_arguments(parser)
    args = parser.parse_args(["--offline"])

    async def main() -> str:
        async with open_async_client(args) as client:
            completion = await client.chat.completions.create(
                model="mimo-v2.5", messages=[{"role": "user", "content": "hi"}]
            )
        return completion.choices[0].message.content or ""

    assert "hi" in asyncio.run(main())


def test_refused_format_and_convert(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    adts = str(Path(__file__).parent / "fixtures" / "adts.aac")
    code, out, err = run(capsys, "ask", "--offline", adts, "What is it?")
    assert code == 2
    assert out == ""
    assert "adts.aac" in err
    assert "mimo-audio fit" in err
    pytest.importorskip("av")
    code, out, _ = run(capsys, "ask", "--offline", adts, "What is it?", "--convert")
    assert code == 0
    assert "I received 1 audio clip" in out
