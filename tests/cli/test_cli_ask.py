"""`mimo-audio ask` / `transcribe`: offline runs, JSON, streaming, one-line errors, no key leaks."""

from __future__ import annotations

import argparse
import json
import re
from typing import Any

import pytest
import soundfile as sf
from _audio import sentences, write_silence

from mimo_openai_ext import read_answer
from mimo_openai_ext._cli import main
from mimo_openai_ext._cli._connection import add_connection_arguments, open_client
from mimo_openai_ext._retry import set_testing
from mimo_openai_ext._sample import SAMPLE_TRANSCRIPT, sample_audio_path

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


def test_transcribe_offline(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    code, out, _ = run(capsys, "transcribe", "--offline", "--sample", "--language", "en")
    assert code == 0
    assert out == SAMPLE_TRANSCRIPT + "\n"  # the emulator knows what the shipped sample says
    samples, spans = sentences()
    other = tmp_path / "other.wav"
    sf.write(other, samples[: int(spans[0][1] * 16000) + 1600], 16000)  # its first sentence
    code, out, _ = run(capsys, "transcribe", "--offline", str(other), "--language", "en")
    assert code == 0
    assert "emulated transcript" in out  # other audio is described: its length, format, language
    assert "language en" in out


def test_transcribe_refuses_what_mimo_refuses_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    aac = Path(__file__).parent.parent / "fixtures" / "adts.aac"
    code, out, err = run(capsys, "transcribe", "--offline", str(aac))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "adts.aac" in err
    assert "--convert" in err


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
    args = parser.parse_args(["--offline", "--model", "mimo-v2.6-flash"])
    with open_client(args) as client:
        completion = client.chat.completions.create(
            model=args.model, messages=[{"role": "user", "content": "hi"}]
        )
    assert read_answer(completion)


def test_async_connection_helper() -> None:
    import asyncio

    from mimo_openai_ext._cli._connection import open_async_client

    parser = argparse.ArgumentParser()
    add_connection_arguments(parser)
    args = parser.parse_args(["--offline"])

    async def main() -> str:
        async with open_async_client(args) as client:
            completion = await client.chat.completions.create(
                model="mimo-v2.6-flash", messages=[{"role": "user", "content": "hi"}]
            )
        return read_answer(completion)

    assert "hi" in asyncio.run(main())


def test_refused_format_and_convert(capsys: pytest.CaptureFixture[str]) -> None:
    from pathlib import Path

    adts = str(Path(__file__).parent.parent / "fixtures" / "adts.aac")
    code, out, err = run(capsys, "ask", "--offline", adts, "What is it?")
    assert code == 2
    assert out == ""
    assert "adts.aac" in err
    assert "mimo-audio fit" in err
    pytest.importorskip("av")
    code, out, _ = run(capsys, "ask", "--offline", adts, "What is it?", "--convert")
    assert code == 0
    assert "I received 1 audio clip" in out


class _Stdin:
    """A piped standard input holding ``data``."""

    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)

    def isatty(self) -> bool:
        return False


class _Terminal(_Stdin):
    def isatty(self) -> bool:
        return True


def test_ask_and_transcribe_read_standard_input(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    data = sample_audio_path().read_bytes()
    monkeypatch.setattr("sys.stdin", _Stdin(data))
    code, out, _ = run(capsys, "ask", "--offline", "-", "What is it?")
    assert code == 0
    assert "audio 1: mp3, 4.4" in out
    code, out, _ = run(capsys, "transcribe", "--offline", "-", "--format", "srt")
    assert code == 0
    assert "Good morning." in out  # the same bytes again: standard input is read once
    assert out.startswith("1\n00:00:00,")


def test_standard_input_errors_name_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin(b""))
    code, _, err = run(capsys, "ask", "--offline", "-", "Q")
    assert code == 2
    assert "mimo-audio: error: <stdin>: is empty (0 bytes)" in err
    monkeypatch.setattr("sys.stdin", _Terminal(b""))
    code, _, err = run(capsys, "transcribe", "--offline", "-")
    assert code == 2
    assert "nothing is piped in" in err
    code, _, err = run(capsys, "ask", "--offline", "-", "-", "Q")
    assert code == 2
    assert "only once" in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--max-duration", "5"), "--max-duration needs --split"),
        (("--no-combine",), "--no-combine needs --split"),
        (("--max-duration", "5", "--no-combine"), "--max-duration and --no-combine need --split"),
    ],
)
def test_split_options_need_split(
    capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], message: str
) -> None:
    code, out, err = run(capsys, "ask", "--offline", "--sample", "Q", *extra)
    assert code == 2
    assert out == ""
    assert err.strip() == f"mimo-audio: error: {message}"


def test_a_url_cannot_be_split(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ask", "--offline", "https://example.com/a.wav", "Q", "--split")
    assert code == 2
    assert "https://example.com/a.wav: a URL is sent to MiMo as it is and cannot be split locally" in err
    assert "download it first" in err
    assert "input_audio_part" not in err


def test_retries_print_one_line_each(capsys: pytest.CaptureFixture[str], mimo_emulator: Any) -> None:
    mimo_emulator.fail_next("503", "429; retry-after=1")
    with set_testing(True):
        code, out, err = run(
            capsys, "ask", "--sample", "Q", "--base-url", mimo_emulator.base_url,
            "--api-key", mimo_emulator.api_key,
        )  # fmt: skip
    assert code == 0
    assert out
    lines = [line for line in err.splitlines() if "retrying" in line]
    assert lines[0].startswith("mimo-audio: retrying after HTTP 503 in ")
    assert lines[0].endswith(" s (attempt 2 of 4)")
    assert lines[1] == "mimo-audio: retrying after HTTP 429 in 1.0 s (attempt 3 of 4)"
    assert len(lines) == 2
    assert len(mimo_emulator.completions()) == 3


def test_split_retries_print_a_line_too(capsys: pytest.CaptureFixture[str], mimo_emulator: Any) -> None:
    mimo_emulator.fail_next("503")
    with set_testing(True):
        code, out, err = run(
            capsys, "ask", "--sample", "Q", "--split", "--max-duration", "3", "--no-combine",
            "--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key,
        )  # fmt: skip
    assert code == 0
    assert out
    lines = [line for line in err.splitlines() if "retrying" in line]
    assert len(lines) == 1
    assert lines[0].startswith("mimo-audio: retrying after HTTP 503 in ")
    assert len(mimo_emulator.completions()) == 3  # two chunks, one retried


@pytest.mark.parametrize("shown", [(), ("--json",), ("--stream",)])
def test_a_cut_answer_is_printed_and_exits_3(
    capsys: pytest.CaptureFixture[str], shown: tuple[str, ...]
) -> None:
    code, out, err = run(capsys, "ask", "--offline", "--sample", "Q", "--max-completion-tokens", "5", *shown)
    assert code == 3
    assert out.strip()  # what came back is still printed
    assert (
        "mimo-audio: warning: answer cut at --max-completion-tokens 5 (finish_reason=length): raise the limit"
        in err
    )
    assert "TruncatedAnswerWarning" not in err
    assert err.count("answer cut") == 1  # the library's own warning is replaced, not repeated


def test_exit_statuses_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ask", "--help"])
    help_text = capsys.readouterr().out
    assert "exit status:" in help_text
    assert "3  the answer was printed but MiMo cut it short" in help_text
    assert "'-' as FILE reads the audio from standard input" in help_text


def test_transcribe_refuses_a_chat_model_locally(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any
) -> None:
    code, out, err = run(
        capsys, "transcribe", "--sample", "--model", "mimo-v2.6-flash", "--base-url", mimo_emulator.base_url,
        "--api-key", mimo_emulator.api_key,
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert "mimo-v2.6-flash is not a transcription model" in err
    assert "mimo-audio ask FILE" in err
    assert "transcriptions(client)" in err
    assert mimo_emulator.completions() == []  # refused before any request


def test_transcribe_converts_m4a_itself(capsys: pytest.CaptureFixture[str], mimo_emulator: Any) -> None:
    from pathlib import Path

    m4a = Path(__file__).parent.parent / "fixtures" / "aac_brand_m4a.m4a"
    code, out, err = run(
        capsys, "transcribe", str(m4a), "--vad", "energy", "--base-url", mimo_emulator.base_url,
        "--api-key", mimo_emulator.api_key,
    )  # fmt: skip
    assert code == 0, err
    assert "s of wav audio" in out  # the ASR model takes WAV: the M4A went as a WAV piece
    assert [r.model for r in mimo_emulator.completions()] == ["mimo-v2.5-asr"]


def test_empty_model_ids_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ask", "--offline", "--sample", "Q", "--model", " "])
    assert exited.value.code == 2
    assert "argument --model: the model id is empty" in capsys.readouterr().err


def test_transcribe_retries_print_a_line(capsys: pytest.CaptureFixture[str], mimo_emulator: Any) -> None:
    mimo_emulator.fail_next("503")
    with set_testing(True):
        code, out, err = run(
            capsys, "transcribe", "--sample", "--base-url", mimo_emulator.base_url,
            "--api-key", mimo_emulator.api_key,
        )  # fmt: skip
    assert code == 0
    assert "Good morning. Could you tell me" in out  # the emulator knows the shipped sample
    assert "mimo-audio: retrying after HTTP 503 in " in err
    assert len(mimo_emulator.completions()) == 3  # the sample's two sentences, one of them twice


# --- a forgotten question, -q, and several questions about one recording --------------


@pytest.mark.parametrize(
    ("last", "why"),
    [
        ("{other}", "is an existing file"),
        ("calls/call25.wav", "looks like an audio file name"),
        ("https://example.com/b.mp3", "is a URL"),
    ],
)
def test_a_forgotten_question_is_refused_before_any_request(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, tmp_path: Any, last: str, why: str
) -> None:
    first = write_silence(tmp_path / "call24.wav", 0.5)
    other = write_silence(tmp_path / "notes", 0.5)  # an existing file, whatever its name
    argv = ["ask", str(first), last.format(other=other), "--base-url", mimo_emulator.base_url]
    code, out, err = run(capsys, *argv, "--api-key", mimo_emulator.api_key)
    assert code == 2
    assert out == ""
    assert f"{why}, not a question; nothing was sent" in err
    assert '-q "QUESTION"' in err
    assert mimo_emulator.completions() == []


def test_a_question_that_names_a_file_still_asks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "ask", "--offline", "--sample", "What is said in intro.wav?")
    assert code == 0
    assert "What is said in intro.wav?" in out


def test_q_takes_the_question_and_every_argument_is_audio(
    capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    a, b = write_silence(tmp_path / "a.wav", 0.5), write_silence(tmp_path / "b.wav", 1.0)
    code, out, _ = run(capsys, "ask", "--offline", str(a), str(b), "-q", "Compare them.")
    assert code == 0
    assert "I received 2 audio clips" in out
    assert 'You asked: "Compare them."' in out
    code, _, err = run(capsys, "ask", "--offline", str(a), "Compare them.", "-q", "Another one?")
    assert code == 2
    assert "'Compare them.' is not a file but reads as a question" in err
    code, _, err = run(capsys, "ask", "--offline", str(a), "Q?", "-q", "R?")
    assert code == 2
    assert "'Q?' is not a file but reads as a question, and -q gave the question too" in err
    assert "no such file" not in err


def test_several_questions_reuse_the_cache(capsys: pytest.CaptureFixture[str], mimo_emulator: Any) -> None:
    connection = ["--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key]
    argv = ["ask", str(sample_audio_path()), "-q", "Who speaks?", "-q", "About what?", "-q", "Why?"]
    code, out, err = run(capsys, *argv, *connection, "--no-thinking")
    assert code == 0
    assert out.startswith("Q1: Who speaks?\n")
    assert "\n\nQ2: About what?\n" in out
    assert "\n\nQ3: Why?\n" in out
    heard = [r.audio_tokens for r in mimo_emulator.completions()]
    assert heard == [28, 28, 28]  # the audio was sent with each question
    cached = int(re.search(r"\(84 audio, (\d+) cached\)", err).group(1))  # type: ignore[union-attr]
    assert cached >= 2 * 28  # the second and third questions hit the cache
    assert "the cache saved $" in err
    assert "mimo-audio: 3 questions: 84 audio tokens" in err

    code, out, _ = run(capsys, *argv, *connection, "--json")
    turns = json.loads(out)["turns"]
    assert [t["question"] for t in turns] == ["Who speaks?", "About what?", "Why?"]
    assert [t["usage"]["cached_tokens"] >= 28 for t in turns] == [True, True, True]  # a warm cache now
    assert json.loads(out)["usage"]["cache_saving_usd"] > 0


def test_several_questions_take_neither_split_nor_stream(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ask", "--offline", "--sample", "-q", "a?", "-q", "b?", "--stream")
    assert code == 2
    assert "--stream takes one question" in err
