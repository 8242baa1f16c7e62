"""``mimo-audio fit`` and ``mimo-audio split``: files written, summaries printed, errors one line."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from _audio import gated_tone
from _formats import REFUSED

from mimo_openai_ext._cli import main


@pytest.fixture
def stereo_minute(tmp_path: Path) -> Path:
    mono = gated_tone(60.0, 44100, period_s=5, on_s=4, freq_hz=200, noise=0.03)
    path = tmp_path / "talk.wav"
    sf.write(path, np.stack([mono, 0.8 * mono], axis=1).astype(np.float32), 44100, subtype="PCM_16")
    return path


def test_fit_writes_and_summarises(stereo_minute: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = stereo_minute.with_name("small.flac")
    assert main(["fit", str(stereo_minute), "-o", str(out), "--max-bytes", "3000000"]) == 0
    text = capsys.readouterr().out
    assert out.is_file()
    assert out.stat().st_size <= 3_000_000
    assert sf.info(out).duration == pytest.approx(60.0)
    assert "WAV 10.6 MB -> FLAC" in text
    assert "duration 60.00 s -> 60.00 s (100.00% kept)" in text


def test_fit_names_the_output_after_the_real_format(
    stereo_minute: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked = stereo_minute.with_name("out.flac")
    assert main(["fit", str(stereo_minute), "-o", str(asked), "--max-bytes", "400000"]) == 0
    text = capsys.readouterr().out
    assert not asked.exists()
    assert stereo_minute.with_name("out.mp3").is_file()
    assert "the result is MP3" in text


def test_fit_default_output_keeps_small_files(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_audio("note.wav", 1.0)
    assert main(["fit", str(path)]) == 0
    assert path.with_name("note.wav.fit.wav").read_bytes() == path.read_bytes()
    assert "kept as is" in capsys.readouterr().out


def test_fit_that_cannot_fit_is_one_error_line(
    stereo_minute: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", str(stereo_minute), "--max-bytes", "20000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("mimo-audio: error: talk.wav:")
    assert "mimo-audio split" in err
    assert "\n" not in err


def test_split_writes_chunks(stereo_minute: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "chunks"
    assert main(["split", str(stereo_minute), "-o", str(out), "--max-duration", "20"]) == 0
    files = sorted(out.iterdir())
    assert [f.name for f in files][:2] == ["talk.001.flac", "talk.002.flac"]
    assert all(sf.info(f).duration <= 20.0 for f in files)
    covered = sum(sf.info(f).duration for f in files) - 1.0 * (len(files) - 1)
    assert covered == pytest.approx(60.0, abs=1e-3)
    assert f"{len(files)} chunks:" in capsys.readouterr().out


def test_split_rejects_bad_numbers(
    stereo_minute: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["split", str(stereo_minute), "-o", str(tmp_path), "--max-duration", "-3"])
    assert "must be positive" in capsys.readouterr().err


def test_ask_split_asks_each_chunk_and_combines(
    stereo_minute: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", str(stereo_minute), "What is it?", "--split", "--max-duration", "25"]
    argv += ["--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key, "--json"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert len(result["chunks"]) == 3
    assert result["combined"] is not None
    assert result["usage"]["audio_tokens"] == sum(
        c["answer"]["usage"]["audio_tokens"] for c in result["chunks"]
    )
    assert len(mimo_emulator.request_log) == 4


def test_ask_split_takes_one_file(
    stereo_minute: Path, mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", str(stereo_minute), str(stereo_minute), "q", "--split"]
    argv += ["--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key]
    assert main(argv) == 2
    assert "--split takes exactly one local audio file" in capsys.readouterr().err


# --- review fixes: Ctrl-C, one-line errors, outputs that are never clobbered -------


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("mimo-audio: error: ")
    assert "\n" not in err
    assert "Traceback" not in err
    return err


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a running process (Linux /proc), 0.0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_ctrl_c_stops_a_long_fit_and_leaves_no_output(tmp_path: Path) -> None:
    rate, seconds = 16000, 1200  # 20 minutes of noise: too big as FLAC, MP3 encoding takes ~4 s
    noise = np.random.default_rng(0).standard_normal(rate * seconds).astype(np.float32) * 0.05
    source, out = tmp_path / "big.wav", tmp_path / "out.mp3"
    sf.write(source, noise, rate, subtype="PCM_16")
    argv = [sys.executable, "-m", "mimo_openai_ext", "fit", str(source), "-o", str(out)]
    process = subprocess.Popen(
        [*argv, "--max-bytes", "10000000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    # interrupt once the child has done a second of work (CPU time, not wall time: a loaded
    # machine starts Python slowly, and a fixed sleep then fired before the conversion began)
    deadline = time.monotonic() + 60
    while _cpu_seconds(process.pid) < 1.0 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, "the conversion ended before it could be interrupted"
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130, err.decode()
    assert time.monotonic() - sent < 2.0
    assert b"cffi callback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.wav"]


def test_split_scales_the_default_overlap_to_short_chunks(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_audio("speech.wav", 9.0)
    assert main(["split", str(source), "-o", str(tmp_path / "d"), "--max-duration", "3"]) == 0
    assert "(overlap 0.75 s)" in capsys.readouterr().out
    assert len(list((tmp_path / "d").iterdir())) >= 3


def test_split_refuses_an_overlap_too_long_for_its_chunks(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["split", str(write_audio("speech.wav", 9.0)), "-o", str(tmp_path / "d")]
    assert main([*argv, "--max-duration", "3", "--overlap", "1"]) == 2
    err = _one_error_line(capsys)
    assert "overlap of 1 s is too long for chunks of at most 3 s" in err
    assert not (tmp_path / "d").exists()


def test_split_rejects_a_negative_overlap(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["split", str(write_audio("a.wav")), "-o", str(tmp_path / "d"), "--overlap", "-1"])
    assert caught.value.code == 2
    assert "argument --overlap: must be from 0 to 3600 seconds" in capsys.readouterr().err


def test_ask_split_with_short_chunks_works(
    write_audio: Callable[..., Path], mimo_emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", str(write_audio("long.wav", 5.0)), "What?", "--split", "--max-duration", "2"]
    argv += ["--base-url", mimo_emulator.base_url, "--api-key", mimo_emulator.api_key, "--json"]
    assert main(argv) == 0
    assert len(json.loads(capsys.readouterr().out)["chunks"]) >= 3


@pytest.mark.parametrize("value", ["500", "100000001"])
def test_fit_max_bytes_out_of_range_is_one_line(
    write_audio: Callable[..., Path], tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fit", str(write_audio("a.wav")), "-o", str(tmp_path / "x.flac"), "--max-bytes", value]) == 2
    assert "is out of range: use 1,024 to 100,000,000 bytes" in _one_error_line(capsys)


def test_fit_checks_the_output_folder_before_converting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "noise.wav"
    garbage.write_bytes(b"not audio at all" * 100)  # converting it would fail with another error
    assert main(["fit", str(garbage), "-o", str(tmp_path / "missing" / "x.flac")]) == 2
    err = _one_error_line(capsys)
    assert "missing: does not exist; create it first or choose another -o" in err


def test_split_into_a_file_is_one_line(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "existing_file"
    target.write_text("keep me")
    assert main(["split", str(write_audio("a.wav")), "-o", str(target)]) == 2
    assert "existing_file: exists and is not a folder" in _one_error_line(capsys)
    assert target.read_text() == "keep me"


def test_fit_into_a_folder_writes_inside_it(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_audio("voice.aiff", 1.0, format="AIFF")
    folder = tmp_path / "out"
    folder.mkdir()
    assert main(["fit", str(source), "-o", str(folder)]) == 0
    assert [p.name for p in folder.iterdir()] == ["voice.flac"]
    assert capsys.readouterr().out.startswith(str(folder / "voice.flac"))
    assert not tmp_path.joinpath("out.flac").exists()


def test_fit_refuses_to_replace_the_input(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = write_audio("a.wav")
    before = source.read_bytes()
    assert main(["fit", str(source), "-o", str(tmp_path), "--overwrite"]) == 2
    assert "is the input itself" in _one_error_line(capsys)
    assert source.read_bytes() == before


def test_fit_refuses_an_existing_output_unless_overwrite(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, out = write_audio("voice.aiff", 1.0, format="AIFF"), tmp_path / "x.flac"
    out.write_bytes(b"old")
    assert main(["fit", str(source), "-o", str(out)]) == 2
    assert "x.flac: already exists (the result may also be x.mp3" in _one_error_line(capsys)
    assert out.read_bytes() == b"old"
    assert main(["fit", str(source), "-o", str(out), "--overwrite"]) == 0
    assert sf.info(out).format == "FLAC"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["voice.aiff", "x.flac"]  # no temp file left


def test_fit_checks_every_name_it_could_write_before_decoding(
    stereo_minute: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import mimo_openai_ext._cli.fit as fit_command

    def no_decoding(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("decoding started before the outputs were checked")

    asked, taken = stereo_minute.with_name("out.flac"), stereo_minute.with_name("out.mp3")
    taken.write_bytes(b"an earlier result")  # 400 kB would need MP3: out.flac would become out.mp3
    monkeypatch.setattr(fit_command, "fit_audio", no_decoding)
    assert main(["fit", str(stereo_minute), "-o", str(asked), "--max-bytes", "400000"]) == 2
    err = _one_error_line(capsys)
    assert "out.mp3: already exists" in err
    assert "its extension follows its format" in err
    assert taken.read_bytes() == b"an earlier result"


def test_fit_default_names_keep_the_input_name_so_they_never_collide(
    write_audio: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_audio("para.wav", 1.0)
    flac = write_audio("para.flac", 1.0, format="FLAC")
    assert main(["fit", str(wav), "--model", "mimo-v2.5-asr"]) == 0
    assert main(["fit", str(flac), "--model", "mimo-v2.5-asr"]) == 0  # FLAC becomes WAV for ASR
    capsys.readouterr()
    assert wav.with_name("para.wav.fit.wav").read_bytes() == wav.read_bytes()
    assert sf.info(flac.with_name("para.flac.fit.wav")).format == "WAV"
    assert main(["fit", str(flac), "--model", "mimo-v2.5-asr"]) == 2  # the second run is refused at once
    assert "para.flac.fit.wav: already exists" in _one_error_line(capsys)


def test_split_refuses_old_chunks_unless_overwrite(
    write_audio: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, folder = write_audio("talk.wav", 6.0), tmp_path / "d"
    folder.mkdir()
    stale = folder / "talk.009.flac"
    stale.write_bytes(b"from an earlier run")
    other = folder / "notes.txt"
    other.write_text("mine")
    argv = ["split", str(source), "-o", str(folder), "--max-duration", "3"]
    assert main(argv) == 2
    assert "already holds 1 chunk file(s) of talk.wav" in _one_error_line(capsys)
    assert main([*argv, "--overwrite"]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["notes.txt", "talk.001.flac", "talk.002.flac", "talk.003.flac"]
    assert other.read_text() == "mine"


def test_fit_notes_a_result_too_big_for_a_data_uri(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rate = 16000  # 5 minutes of 16 kHz WAV: 9.6 MB, over the ASR model's 7.5 MB data URI
    noise = np.random.default_rng(1).standard_normal(rate * 300).astype(np.float32) * 0.05
    source = tmp_path / "take.wav"
    sf.write(source, noise, rate, subtype="PCM_16")
    argv = ["fit", str(source), "-o", str(tmp_path / "out"), "--model", "mimo-v2.5-asr"]
    assert main([*argv, "--max-bytes", "20000000"]) == 0
    text = capsys.readouterr().out
    assert "(kept as is)" in text
    assert "note: over the 7.5 MB a data URI can hold: send it to MiMo by URL" in text
    assert main([*argv, "--overwrite"]) == 0  # the default budget fits the data URI: no note
    text = capsys.readouterr().out
    assert "MP3" in text
    assert "note:" not in text


def test_fit_refuses_a_hopeless_input_before_complaining_about_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module, out = tmp_path / "a.mod", tmp_path / "out"
    module.write_bytes(REFUSED["mod"][0])
    out.mkdir()
    (out / "a.flac").write_bytes(b"an earlier result")
    assert main(["fit", str(module), "-o", f"{out}/"]) == 2
    err = _one_error_line(capsys)
    assert "tracker module" in err
    assert "already exists" not in err
