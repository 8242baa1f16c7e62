"""The ``mimo-audio`` boundary (``_cli.main``): broken pipes, --version, usage errors, hints."""

from __future__ import annotations

import io
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from _audio import sparse_wav, write_silence
from _mp4 import box, movie, trak, visual_entry

import mimo_openai_ext
from mimo_openai_ext._cli import EXIT_BROKEN_PIPE, main
from mimo_openai_ext._retry import set_testing

pytestmark = pytest.mark.usefixtures("no_mimo_env")

FIXTURES = Path(__file__).parent.parent / "fixtures"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "argv",
    [("estimate", "--json", "{wav}", "{wav}", "{wav}"), ("ask", "--sample", "Q", "--offline", "--json")],
)
def test_a_reader_closing_early_is_quiet(tmp_path: Path, argv: tuple[str, ...]) -> None:
    wav = write_silence(tmp_path / "a.wav", 0.5)
    command = [sys.executable, "-m", "mimo_openai_ext", *(a.format(wav=wav) for a in argv)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        proc.stdout.close()  # like `| head -0`: the reader is gone before anything is written
        _, err = proc.communicate(timeout=60)
    assert b"Traceback" not in err
    assert b"BrokenPipeError" not in err
    assert proc.returncode == EXIT_BROKEN_PIPE


class _ClosedPipe(io.StringIO):
    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_broken_pipe_in_process_returns_141(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_silence(tmp_path / "a.wav", 0.5)
    monkeypatch.setattr(sys, "stdout", _ClosedPipe())
    assert main(["probe", str(wav)]) == EXIT_BROKEN_PIPE


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"mimo-audio {mimo_openai_ext.__version__}"


def test_a_stray_argument_shows_the_subcommands_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fit", "a.wav", "b.wav"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: mimo-audio fit")
    assert "mimo-audio fit: error: unrecognized arguments: b.wav" in err


def test_ask_takes_the_question_after_options(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    wav = write_silence(tmp_path / "a.wav", 0.5)
    code, out, _ = run(capsys, "ask", str(wav), "--no-thinking", "--offline", "What is it?")
    assert code == 0
    assert 'You asked: "What is it?"' in out


def test_an_unknown_option_still_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["ask", "--sample", "--offline", "Q", "--frobnicate"])
    assert "mimo-audio ask: error: unrecognized arguments: --frobnicate" in capsys.readouterr().err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_a_connection_error_names_the_base_url_and_each_retry(capsys: pytest.CaptureFixture[str]) -> None:
    base_url = f"http://127.0.0.1:{_free_port()}/v1"
    with set_testing(True):
        code, out, err = run(
            capsys, "ask", "--sample", "Q", "--base-url", base_url, "--api-key", "sk-test-12345"
        )
    assert code == 1
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 4
    for attempt, line in zip((2, 3, 4), lines, strict=False):
        pattern = rf"mimo-audio: retrying after a connection error in \d+\.\d s \(attempt {attempt} of 4\)"
        assert re.fullmatch(pattern, line), line
    assert lines[-1].startswith(f"mimo-audio: error: could not connect to {base_url} (")
    assert "--base-url" in lines[-1]


def test_refused_format_points_at_convert(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "ask", "--offline", str(FIXTURES / "adts.aac"), "Q")
    assert code == 2
    assert err.rstrip().endswith("add --convert to this command to convert it before sending")
    code, out, err = run(capsys, "transcribe", "--offline", str(FIXTURES / "adts.aac"))
    assert (code, out) == (2, "")
    assert len(err.strip().splitlines()) == 1
    assert err.rstrip().endswith("add --convert to this command to convert it before sending")
    code, _, err = run(
        capsys, "transcribe", "--offline", "--convert", "--vad", "energy", str(FIXTURES / "adts.aac")
    )
    assert code == 0, err  # converted: the tone reads as a sound to the energy detector


def test_not_audio_gets_no_convert_hint(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    png = tmp_path / "pic.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    code, _, err = run(capsys, "ask", "--offline", str(png), "Q")
    assert code == 2
    assert "not audio" in err
    assert "--convert" not in err


def test_too_large_points_at_split(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    big = sparse_wav(tmp_path / "big.wav", size_bytes=38_000_000, sample_rate=16000)
    code, out, err = run(capsys, "ask", "--offline", str(big), "Q")
    assert code == 2
    assert out == ""
    assert "big.wav" in err
    assert err.rstrip().endswith("add --split to this command to ask about it in chunks")


def test_hints_only_where_the_flag_exists(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    big = sparse_wav(tmp_path / "big.wav", size_bytes=38_000_000, sample_rate=16000)
    code, _, err = run(capsys, "probe", str(big))
    assert code == 0, err  # probe reads headers: a big file is fine
    args: Any = type("A", (), {"command": "fit"})()
    from mimo_openai_ext import AudioTooLargeError
    from mimo_openai_ext._cli import _cli_hint

    assert _cli_hint(AudioTooLargeError("x"), args) == ""


def test_a_video_without_sound_gets_no_convert_flag_or_fit_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(movie(trak(b"vide", visual_entry(b"avc1")), brand=b"isom", tail=box(b"mdat")))
    for argv in (("probe", str(clip)), ("ask", "--offline", str(clip), "q")):
        code, _, err = run(capsys, *argv)
        assert code == 2
        assert "no audio track" in err
        assert "--convert" not in err
        assert "mimo-audio fit" not in err


def test_each_command_is_registered_by_the_module_the_dispatch_table_names() -> None:
    import argparse

    from mimo_openai_ext._cli import _COMMAND_MODULE, build_parser

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return set(sub.choices)

    assert commands(build_parser()) == set(_COMMAND_MODULE)  # none missing from the table
    for command in _COMMAND_MODULE:
        assert command in commands(build_parser(command))
    assert commands(build_parser("no-such-command")) == set(_COMMAND_MODULE)  # argparse lists them all
