"""``mimo-audio speak``: a file written in the format asked for, one line on stderr, errors one line."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from _audio import encode_tone

from mimo_openai_ext._audio.probe import probe_bytes
from mimo_openai_ext._cli import main

pytestmark = pytest.mark.usefixtures("no_mimo_env")


class _Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


class _Terminal(_Stdin):
    def isatty(self) -> bool:
        return True


def test_speak_writes_the_file_and_says_what_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "hello.mp3"
    assert main(["speak", "Hello from the command line. Goodbye!", "-o", str(out), "--offline"]) == 0
    info = probe_bytes(out.read_bytes(), source_name="hello.mp3")
    assert info.format == "mp3"  # from the name
    err = capsys.readouterr().err
    assert err.startswith(f"mimo-audio: {out}: mp3, ")
    assert f", {info.sample_rate_hz} Hz, {out.stat().st_size:,} bytes; " in err
    assert "mimo-v2.5-tts, mimo_default, 1 request, $0 (free for a limited time)" in err


@pytest.mark.parametrize(("fmt", "container"), [("flac", "flac"), ("opus", "ogg"), ("wav", "wav")])
def test_format_from_the_option(tmp_path: Path, fmt: str, container: str) -> None:
    out = tmp_path / "speech.bin"
    assert main(["speak", "Hi there.", "-o", str(out), "--format", fmt, "--voice", "Mia", "--offline"]) == 0
    assert probe_bytes(out.read_bytes(), source_name="x").format == container


def test_text_from_standard_input_and_audio_to_standard_output(
    monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    monkeypatch.setattr("sys.stdin", _Stdin("Piped text, spoken.\n"))
    assert main(["speak", "-", "-o", "-", "--format", "wav", "--offline"]) == 0
    out, err = capsysbinary.readouterr()
    assert probe_bytes(out, source_name="<stdout>").format == "wav"
    assert b"mimo-audio: <stdout>: wav, " in err


def test_clone_and_design_options_pick_their_models(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = tmp_path / "me.flac"
    ref.write_bytes(encode_tone(6.0, format="FLAC", sample_rate=24_000, freq_hz=150))
    assert (
        main(["speak", "Cloned.", "-o", str(tmp_path / "c.wav"), "--voice-clone", str(ref), "--offline"]) == 0
    )
    assert "mimo-v2.5-tts-voiceclone, a cloned voice" in capsys.readouterr().err
    args = ["speak", "Designed.", "-o", str(tmp_path / "d.wav"), "--voice-design", "a calm man", "--offline"]
    assert main(args) == 0
    assert "mimo-v2.5-tts-voicedesign, a designed voice" in capsys.readouterr().err


def test_speed_and_pieces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = "A sentence that is spoken here. " * 12
    assert main(["speak", text, "-o", str(tmp_path / "a.wav"), "--offline", "--max-chars", "100"]) == 0
    assert ", 4 requests, " in capsys.readouterr().err
    normal = probe_bytes((tmp_path / "a.wav").read_bytes(), source_name="a").duration_s
    assert main(["speak", text, "-o", str(tmp_path / "b.wav"), "--offline", "--speed", "2"]) == 0
    fast = probe_bytes((tmp_path / "b.wav").read_bytes(), source_name="b").duration_s
    assert fast == pytest.approx(normal / 2, rel=0.05)


def test_mistakes_are_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = tmp_path / "taken.wav"
    existing.write_bytes(b"keep me")
    assert main(["speak", "Hi.", "-o", str(existing), "--offline"]) == 2
    assert "taken.wav: already exists; pass --overwrite" in capsys.readouterr().err
    assert existing.read_bytes() == b"keep me"
    assert main(["speak", "Hi.", "-o", str(tmp_path / "x.wav"), "--format", "mp3", "--offline"]) == 2
    assert "the name says wav, but --format is mp3; name it x.mp3" in capsys.readouterr().err
    assert main(["speak", "Hi.", "-o", str(tmp_path / "y.wav"), "--voice", "Bob", "--offline"]) == 2
    assert "error: --voice 'Bob'" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", _Terminal(""))
    assert main(["speak", "-", "-o", str(tmp_path / "z.wav"), "--offline"]) == 2
    assert "nothing is piped in" in capsys.readouterr().err
    assert not (tmp_path / "x.wav").exists()
    assert not (tmp_path / "y.wav").exists()


def test_overwrite_replaces(tmp_path: Path) -> None:
    out = tmp_path / "again.wav"
    out.write_bytes(b"old")
    assert main(["speak", "New words.", "-o", str(out), "--offline", "--overwrite"]) == 0
    assert probe_bytes(out.read_bytes(), source_name="x").format == "wav"


@pytest.mark.parametrize(
    ("output", "extra", "said"),
    [
        ("nope/x.mp3", [], "nope/x.mp3: the folder nope does not exist; create it first"),
        ("somedir", ["--overwrite"], "somedir: is a folder; name a file inside it"),
        ("t.m4a", [], "t.m4a: speak cannot write .m4a files; end the name in one of .wav, "),
        ("notes.txt", [], "notes.txt: speak cannot write .txt files"),
    ],
)
def test_a_bad_output_is_refused_before_anything_is_sent(
    emulator_env: Path,
    mimo_emulator: Any,
    capsys: pytest.CaptureFixture[str],
    output: str,
    extra: list[str],
    said: str,
) -> None:
    (emulator_env / "somedir").mkdir()
    assert main(["speak", "Hi there.", "-o", output, *extra]) == 2
    err = capsys.readouterr().err
    assert f"mimo-audio: error: {said}" in err
    assert "/tmp" not in err.replace(str(emulator_env), "")  # names what was typed, no temporary file
    assert mimo_emulator.request_log == []
    assert sorted(p.name for p in emulator_env.iterdir()) == ["somedir"]


@pytest.mark.parametrize(("output", "fmt"), [("t.pcm", "pcm16"), ("t.pcm", "pcm"), ("t.raw", "pcm16")])
def test_any_format_the_name_allows_is_taken(tmp_path: Path, output: str, fmt: str) -> None:
    out = tmp_path / output
    assert main(["speak", "Hi there.", "-o", str(out), "--format", fmt, "--offline"]) == 0
    assert out.stat().st_size > 1000


def test_an_unknown_or_no_extension_is_wav(tmp_path: Path) -> None:
    for name in ("speech", "speech.bin", "speech.out"):
        assert main(["speak", "Hi there.", "-o", str(tmp_path / name), "--offline"]) == 0
        assert probe_bytes((tmp_path / name).read_bytes(), source_name=name).format == "wav"


def test_a_missing_key_suggests_this_command_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["speak", "Hi.", "-o", str(tmp_path / "x.wav")]) == 2
    err = capsys.readouterr().err
    assert "no MiMo API key" in err
    assert err.rstrip().endswith("`mimo-audio speak ... --offline`")
    assert "ask --offline" not in err


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["--voice", "Mia", "--voice-design", "deep"], "--voice 'Mia' with --voice-design: "),
        (["--voice", "Mia", "--voice-design", "deep"], "drop --voice (the --voice-design is the voice)"),
        (["--speed", "9"], "error: --speed 9.0: must be from 0.25 to 4"),
        (["--max-chars", "3"], "error: --max-chars 3: must be >= 20"),
        (["--voice", "Bob"], "describe it (--voice-design) or clone it from a recording (--voice-clone)"),
    ],
)
def test_mistakes_are_said_with_the_commands_flags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], said: str
) -> None:
    assert main(["speak", "Hi.", "-o", str(tmp_path / "x.wav"), *argv, "--offline"]) == 2
    err = capsys.readouterr().err
    assert said in err
    assert "voice=" not in err
    assert "voice_design" not in err
    assert not (tmp_path / "x.wav").exists()


def test_blank_text_is_named_as_the_commands_argument(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["speak", "  ", "-o", str(tmp_path / "x.wav"), "--offline"]) == 2
    assert "error: TEXT='  ': mimo-audio speak needs the words to say" in capsys.readouterr().err
