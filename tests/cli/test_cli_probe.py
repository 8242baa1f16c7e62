"""``mimo-audio probe`` and ``mimo-audio estimate``."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from _audio import sparse_wav

from mimo_openai_ext._cli import main


def test_probe_prints_one_line_per_file(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_audio("a.mp3", 4.0, format="WAV", sample_rate=8000)  # a WAV with the wrong name
    flac = write_audio("b.flac", 2.0, format="FLAC")
    assert main(["probe", str(wav), str(flac)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0].startswith(f"{wav}: wav (audio/wav, pcm_s16le), 4.000 s, 8000 Hz, 1 ch")
    assert out[0].endswith("~25 audio tokens")
    assert out[1].startswith(f"{flac}: flac (audio/flac")


def test_probe_keeps_going_and_fails_per_file(
    write_audio: Callable[..., Path],
    fixture_file: Callable[[str], Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = write_audio("good.wav", 1.0)
    code = main(["probe", str(fixture_file("adts.aac")), str(good), str(tmp_path / "missing.wav")])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out.startswith(f"{good}: wav")
    errors = captured.err.splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("mimo-audio: error: adts.aac: AAC in ADTS")
    assert errors[1] == f"mimo-audio: error: {tmp_path / 'missing.wav'}: no such file"  # the path as typed


def test_probe_json(write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]) -> None:
    path = write_audio("x.ogg", 2.0, format="OGG")
    assert main(["probe", "--json", str(path)]) == 0
    (row,) = json.loads(capsys.readouterr().out)["files"]
    assert row["format"] == "ogg"
    assert row["mime"] == "audio/ogg"
    assert abs(row["duration_s"] - 2.0) < 0.05
    assert row["audio_tokens"] == 13


def test_estimate_text_and_total(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_audio("a.wav", 4.0, sample_rate=8000)
    b = write_audio("b.wav", 4.0, sample_rate=8000)
    assert main(["estimate", str(a), str(b)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert "~25 audio tokens (fits mimo-v2.6-flash's 1,048,576-token context)" in out[0]
    assert "/ 50,000,000 chars (fits)" in out[0]
    assert out[2] == "total: ~50 audio tokens in one request (fits 1,048,576)"


def test_estimate_json_for_the_asr_model(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    flac = write_audio("a.flac", 1.0, format="FLAC")
    assert main(["estimate", "--model", "mimo-v2.5-asr", "--json", str(flac)]) == 1  # ASR takes wav/mp3
    summary = json.loads(capsys.readouterr().out)
    (row,) = summary["files"]
    assert summary["model"] == "mimo-v2.5-asr"
    assert row["format_accepted"] is False
    assert row["data_uri_limit"] == 10_000_000
    assert row["context_tokens"] == 8_192
    assert summary["all_fit"] is False


def test_estimate_over_the_context(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A sparse 2-hour WAV header (8 kHz, 8-bit): 45,000 tokens, over mimo-v2.5-asr's 8,192.
    path = sparse_wav(tmp_path / "long.wav", size_bytes=2 * 3600 * 8000 + 44, sample_rate=8000, bits=8)
    assert main(["estimate", "--model", "mimo-v2.5-asr", str(path)]) == 1
    out = capsys.readouterr().out
    assert "~45,000 audio tokens (DOES NOT FIT mimo-v2.5-asr's 8,192-token context)" in out
    assert "76,800,082 / 10,000,000 chars (TOO LARGE)" in out  # 57.6 MB of WAV as base64
    assert main(["estimate", "--model", "mimo-v2.6-flash", str(path)]) == 1
    assert "(fits mimo-v2.6-flash's 1,048,576-token context)" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli(write_audio: Callable[..., Path]) -> None:
    path = write_audio("m.wav", 1.0)
    done = subprocess.run(
        [sys.executable, "-m", "mimo_openai_ext", "probe", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{path}: wav")


def test_dash_reads_standard_input(make_audio: Callable[..., bytes]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mimo_openai_ext", "probe", "-"],
        input=make_audio(1.0, format="FLAC"),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().startswith("-: flac (audio/flac")


def test_unknown_model_is_a_one_line_warning(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_audio("a.wav", 1.0)
    assert main(["estimate", "--model", "mimo-v9-future", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("mimo-audio: warning: unknown MiMo model 'mimo-v9-future'")
    assert len(captured.err.splitlines()) == 1
    assert "mimo-v9-future's 1,048,576-token context" in captured.out


def test_text_only_model_takes_no_audio(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str], text_model: str
) -> None:
    path = write_audio("a.wav", 1.0)
    assert main(["estimate", "--model", text_model, str(path)]) == 1
    assert f"{text_model} takes no audio (a text-only model)" in capsys.readouterr().out


def test_estimate_says_what_to_do_when_too_large(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = sparse_wav(tmp_path / "big.wav", size_bytes=38_000_000, sample_rate=16000)
    assert main(["estimate", str(big)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert "(TOO LARGE)" in lines[0]
    assert lines[1] == (
        f"  -> shrink it: `mimo-audio fit {big}`, ask about it in chunks: "
        f'`mimo-audio ask {big} "QUESTION" --split`, or send it as an https URL'
    )
    assert main(["estimate", "--model", "mimo-v2.5-asr", str(big)]) == 1
    advice = capsys.readouterr().out.splitlines()[1]
    assert advice.endswith(f"`mimo-audio transcribe {big}`")  # fit --model mimo-v2.5-asr would fail
    assert "mimo-audio fit" not in advice


def test_estimate_gives_no_advice_when_it_fits(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["estimate", str(write_audio("ok.wav", 1.0))]) == 0
    assert "->" not in capsys.readouterr().out


def test_estimate_refuses_an_empty_model_id(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["estimate", "--model", "", str(write_audio("ok.wav", 1.0))])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --model: the model id is empty" in err
    assert "fits ''" not in err


def test_standard_input_is_read_once(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    data = write_audio("in.wav", 2.0).read_bytes()

    class Piped:
        buffer = io.BytesIO(data)

        def isatty(self) -> bool:
            return False

    monkeypatch.setattr(sys, "stdin", Piped())
    assert main(["probe", "-", "-"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2
    assert out[0] == out[1]
    assert out[0].startswith("-: wav (audio/wav, pcm_s16le), 2.000 s")


def test_the_command_estimate_suggests_for_the_asr_model_works_on_a_plain_install(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fixture_file: Callable[[str], Path]
) -> None:
    # A plain install used to print this hint for an M4A and then fail it, asking for
    # the `convert` extra (PyAV). PyAV is now a core dependency, so the hint works there.
    import importlib.metadata
    import re
    import shlex

    requires = importlib.metadata.requires("mimo-openai-ext") or []
    core = [r.split(";")[0].split(">")[0].strip() for r in requires if "extra ==" not in r]
    assert {"av", "soxr", "lameenc"} <= set(core)
    assert "convert" in (importlib.metadata.metadata("mimo-openai-ext").get_all("Provides-Extra") or [])
    source = tmp_path / "memo.m4a"
    source.write_bytes(fixture_file("aac_brand_m4a.m4a").read_bytes())
    assert main(["estimate", "--model", "mimo-v2.5-asr", str(source)]) == 1  # the ASR model takes wav/mp3
    hint = re.search(r"`(mimo-audio transcribe [^`]+)`", capsys.readouterr().out)
    assert hint is not None
    argv = shlex.split(hint.group(1))[1:]
    assert main([*argv, "--offline", "-o", str(tmp_path / "memo.txt")]) == 0
    assert (tmp_path / "memo.txt").exists()


def test_probe_goes_on_after_files_that_once_crashed_the_parser(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from _mp4 import asc, audio_entry, box, esds, movie, trak

    nested = box(b"trak")
    for _ in range(3000):  # a RecursionError before box nesting had a limit
        nested = box(b"trak", nested)
    deep = tmp_path / "deep.m4a"
    deep.write_bytes(box(b"ftyp", payload=b"M4A \0\0\0\0M4A ") + box(b"moov", nested))
    config = asc(5, 22050, 2, sbr_rate_hz=44100, explicit=True)  # "negative shift count" before
    entry = audio_entry(b"mp4a", esds(0x40, config), rate_hz=22050)
    he_aac = tmp_path / "he.m4a"
    he_aac.write_bytes(movie(trak(b"soun", entry), tail=box(b"mdat", payload=bytes(64))))
    good = write_audio("good.wav", 1.0)
    assert main(["probe", str(deep), str(he_aac), str(good)]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        "mimo-audio: error: deep.m4a: MP4 (brand 'M4A') whose track boxes are damaged (boxes nested "
        "deeper than 8 levels): check that the file was fully written or downloaded, or re-export it "
        "from its source as wav/mp3/flac/m4a/ogg"
    ]
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"{he_aac}: m4a (audio/mp4, aac), 1.000 s, 44100 Hz, 2 ch")
    assert lines[1].startswith(f"{good}: wav")


def test_probe_goes_on_whatever_one_file_raises(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A stand-in for a bug nobody has found yet: the CLI's per-file guard is what is tested.
    from mimo_openai_ext._cli import probe as probe_cli

    real = probe_cli.probe_audio
    broken, good = write_audio("broken.wav", 1.0), write_audio("good.wav", 1.0)

    def probe_audio(source: object) -> object:
        if str(source).endswith("broken.wav"):
            raise RuntimeError("something nobody foresaw")
        return real(source)  # type: ignore[arg-type]

    monkeypatch.setattr(probe_cli, "probe_audio", probe_audio)
    assert main(["probe", "--json", str(broken), str(good)]) == 2
    captured = capsys.readouterr()
    rows = json.loads(captured.out)["files"]
    assert rows[0]["error_type"] == "RuntimeError"
    assert rows[1]["format"] == "wav"
    (line,) = captured.err.splitlines()
    assert line.startswith(f"mimo-audio: error: {broken}: unexpected RuntimeError while reading its headers")
    assert "Traceback" not in captured.err
