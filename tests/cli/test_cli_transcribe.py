"""``mimo-audio transcribe``: files, folders and globs into SRT/VTT/JSON/text, resumable, whole files only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import srt
from _audio import encode, sentences, with_noise

from mimo_openai_ext import sample_audio_path
from mimo_openai_ext._cli import main
from mimo_openai_ext._cli.transcribe import _PiecesBar
from mimo_openai_ext._transcribe import TranscribeProgress
from mimo_openai_ext.emulator import ScriptedSpeech

pytestmark = pytest.mark.sdk_retries(0)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def recordings(tmp_path: Path, mimo_emulator: Any) -> Path:
    """A folder with three recordings (the first 2, 3 and 4 sentences; WAV, FLAC, OGG), whose
    speech the emulator "recognises"."""
    clean, spans = sentences()
    noisy = with_noise(clean, 15.0, spans=spans, seed=6)
    mimo_emulator.configure(speech=(ScriptedSpeech.from_array(noisy, 16000, spans),))
    folder = tmp_path / "recordings"
    folder.mkdir()
    for name, end_s, fmt in (("a.wav", 10.8, "WAV"), ("b.flac", 14.6, "FLAC"), ("c.ogg", 20.0, "OGG")):
        (folder / name).write_bytes(encode(noisy[: int(end_s * 16000)], 16000, format=fmt))
    (folder / "notes.txt").write_text("not audio")
    return folder


def _connection(emulator: Any) -> list[str]:
    return ["--base-url", emulator.base_url, "--api-key", emulator.api_key, "--no-progress"]


def test_one_file_to_an_srt_file(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "a.srt"
    code, out, err = run(
        capsys, "transcribe", str(recordings / "a.wav"), "--format", "srt", "-o", str(out_path),
        *_connection(mimo_emulator),
    )  # fmt: skip
    assert code == 0, err
    assert out == ""
    cues = list(srt.parse(out_path.read_text(encoding="utf-8")))
    _, spans = sentences()
    assert [c.content.replace("\n", " ") for c in cues] == [spans[0][2], spans[1][2]]
    assert abs(cues[1].start.total_seconds() - spans[1][0]) <= 0.3
    assert "a.wav: 2 segments" in err


def test_counts_are_said_in_the_singular_for_one() -> None:
    from mimo_openai_ext._cli.transcribe import _segments_text

    assert (_segments_text(1), _segments_text(2), _segments_text(0)) == (
        "1 segment",
        "2 segments",
        "0 segments",
    )


def test_the_convert_hint_is_given_once(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, fixture_file: Any
) -> None:
    code, _, err = run(capsys, "transcribe", str(fixture_file("adts.aac")), *_connection(mimo_emulator))
    assert code == 2
    assert "aac is not a format MiMo accepts" in err
    assert err.count("--convert") == 1, err  # the library's message names the flag already
    assert mimo_emulator.completions() == []


def test_the_format_follows_the_output_name(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "a.vtt"
    code, _, err = run(
        capsys, "transcribe", str(recordings / "a.wav"), "-o", str(out_path), *_connection(mimo_emulator)
    )
    assert code == 0, err
    assert out_path.read_text(encoding="utf-8").startswith("WEBVTT\n\n00:00:00.")


def test_text_goes_to_standard_output(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path
) -> None:
    code, out, err = run(capsys, "transcribe", str(recordings / "a.wav"), *_connection(mimo_emulator))
    assert code == 0
    _, spans = sentences()
    assert out == f"{spans[0][2]} {spans[1][2]}\n"
    assert "mimo-v2.5-asr: " in err  # the usage line


def test_a_folder_into_a_folder_then_resume(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    subs = tmp_path / "subs"
    argv = ["transcribe", str(recordings), "--format", "vtt", "-o", str(subs), *_connection(mimo_emulator)]
    code, _, err = run(capsys, *argv)
    assert code == 0, err
    assert sorted(p.name for p in subs.iterdir()) == ["a.vtt", "b.vtt", "c.vtt"]
    assert (subs / "c.vtt").read_text(encoding="utf-8").count(" --> ") == 4
    assert "3 recording(s): 3 transcribed, 0 already done, 0 not whole" in err
    sent = len(mimo_emulator.completions())
    assert sent == 2 + 3 + 4

    code, _, err = run(capsys, *argv)  # again: the outputs exist
    assert code == 2
    assert "already exists" in err
    assert "--resume" in err

    (subs / "b.vtt").unlink()
    (subs / "c.vtt").write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n[not transcribed: HTTP 503]\n\n")
    code, _, err = run(capsys, *argv, "--resume")
    assert code == 0, err
    assert "a.wav: already done" in err
    assert len(mimo_emulator.completions()) == sent + 3 + 4  # b (missing) and c (not whole) again
    assert "[not transcribed" not in (subs / "c.vtt").read_text(encoding="utf-8")


def test_a_glob_to_json(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    out_dir = tmp_path / "json"
    code, _, err = run(
        capsys, "transcribe", str(recordings / "*.flac"), "--format", "json", "-o", str(out_dir),
        *_connection(mimo_emulator),
    )  # fmt: skip
    assert code == 0, err
    (only,) = out_dir.iterdir()
    data = json.loads(only.read_text(encoding="utf-8"))
    assert only.name == "b.json"
    assert data["complete"] is True
    assert [s["id"] for s in data["segments"]] == [0, 1, 2]
    assert {"start", "end", "text"} <= data["segments"][0].keys()


def test_a_failed_piece_is_marked_exit_1_and_redone_by_resume(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    out_path = tmp_path / "a.txt"
    argv = ["transcribe", str(recordings / "a.wav"), "-o", str(out_path), "--concurrency", "1"]
    mimo_emulator.fail_next("500", "500", "500", "500")  # the first piece fails every attempt
    from mimo_openai_ext.retry import set_testing

    with set_testing(True):
        code, _, err = run(capsys, *argv, *_connection(mimo_emulator))
    assert code == 1
    assert out_path.read_text(encoding="utf-8").startswith("[not transcribed: 00:01-00:05] Revenue grew")
    assert "1 failed (marked in the output; --resume does them again)" in err
    code, _, err = run(capsys, *argv, "--resume", *_connection(mimo_emulator))
    assert code == 0, err
    assert "[not transcribed" not in out_path.read_text(encoding="utf-8")


def test_ctrl_c_leaves_no_partial_file(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    subs = tmp_path / "subs"
    import mimo_openai_ext._transcribe_files as files

    real = files.run_transcription
    calls = []

    async def interrupted_second(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[1])
        if len(calls) == 2:
            raise KeyboardInterrupt
        return await real(*args, **kwargs)

    monkeypatch.setattr(files, "run_transcription", interrupted_second)
    code = main(
        ["transcribe", str(recordings), "-o", str(subs), "--concurrency", "1", *_connection(mimo_emulator)]
    )
    err = capsys.readouterr().err
    assert code == 130
    assert sorted(p.name for p in subs.iterdir()) == ["a.txt"]  # whole, or not there; no .part left
    assert "interrupted: 1 of 3 transcript(s) written whole" in err


def test_an_interrupted_write_leaves_nothing(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    import mimo_openai_ext._transcribe_files as files

    def replace(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "replace", replace)
    out_path = tmp_path / "a.srt"
    code = main(["transcribe", str(recordings / "a.wav"), "-o", str(out_path), *_connection(mimo_emulator)])
    capsys.readouterr()
    assert code == 130
    assert list(tmp_path.iterdir()) == [recordings]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ((), "give the audio to transcribe"),
        (("RECORDINGS",), "give a folder for their transcripts (-o DIR)"),
        (("RECORDINGS", "--sample"), "not both"),
        (("https://example.com/a.mp3",), "local audio only"),
        (("RECORDINGS/a.wav", "--max-segment", "1"), "--max-segment 1: must be at least 2 seconds"),
        (
            ("RECORDINGS/a.wav", "--max-segment", "100000"),
            "--max-segment 100000: one mimo-v2.5-asr request holds at most 324 s (its context and answer "
            "budget); pass --max-segment 324 or less",
        ),
        (("RECORDINGS/a.wav", "-", "x"), "give it alone"),
    ],
)
def test_usage_mistakes_are_one_line(
    capsys: pytest.CaptureFixture[str],
    mimo_emulator: Any,
    recordings: Path,
    argv: tuple[str, ...],
    message: str,
) -> None:
    args = [a.replace("RECORDINGS", str(recordings)) for a in argv]
    code, out, err = run(capsys, "transcribe", *args, *_connection(mimo_emulator))
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1, err
    assert message in err
    assert mimo_emulator.completions() == []


def test_progress_shows_pieces_done_out_of_pieces_cut(capsys: pytest.CaptureFixture[str]) -> None:
    bar = _PiecesBar(enabled=True)
    bar.update(TranscribeProgress("talk.m4a", 600.0, 20.0, 58, 57, 0, False, 15.0))
    bar.update(TranscribeProgress("talk.m4a", 600.0, 600.0, 120, 120, 0, True, 600.0))
    bar.close()
    err = capsys.readouterr().err
    assert "talk.m4a 57/58+ pieces:   2%" in err  # the measure is the audio, not the pieces cut so far
    assert "15/600 s audio" in err
    assert "talk.m4a 120/120 pieces: 100%" in err


def test_batch_refuses_the_asr_model_at_once(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results.jsonl"
    code, out, err = run(
        capsys, "batch", str(recordings), "-q", "Transcribe", "-o", str(results), "--model", "mimo-v2.5-asr",
        *_connection(mimo_emulator),
    )  # fmt: skip
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert "mimo-audio transcribe FILES_OR_FOLDER" in err
    assert not results.exists()
    assert mimo_emulator.completions() == []


def test_ask_batch_refuses_the_asr_model_before_any_request(mimo_emulator: Any, recordings: Path) -> None:
    from mimo_openai_ext import UnsupportedFeatureError, ask_batch

    with (
        mimo_emulator.client() as client,
        pytest.raises(UnsupportedFeatureError, match="transcription model"),
    ):
        ask_batch(client, [str(recordings / "a.wav")], "Transcribe", model="mimo-v2.5-asr")
    assert mimo_emulator.completions() == []


def test_sample_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "transcribe", "--offline", "--sample", "--format", "vtt")
    assert code == 0
    assert out.startswith("WEBVTT\n\n00:00:00.0")
    assert out.count(" --> ") == 2  # the sample's two sentences
    assert "\nGood morning.\n" in out  # the emulator knows what the shipped sample says


def test_several_recordings_into_a_file_name_are_refused_before_sending(
    capsys: pytest.CaptureFixture[str], mimo_emulator: Any, recordings: Path, tmp_path: Path
) -> None:
    one = tmp_path / "one.srt"
    code, _, err = run(
        capsys, "transcribe", str(recordings / "a.wav"), str(recordings / "b.flac"), "-o", str(one),
        *_connection(mimo_emulator),
    )  # fmt: skip
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "names a file (.srt), but 2 recordings need a folder (-o DIR)" in err
    assert not one.exists()  # no folder called one.srt/
    assert mimo_emulator.completions() == []
    as_folder = f"{tmp_path / 'subs.v2'}/"  # a trailing slash says "a folder"
    code, _, err = run(
        capsys, "transcribe", str(recordings / "a.wav"), str(recordings / "b.flac"), "-o", as_folder,
        *_connection(mimo_emulator),
    )  # fmt: skip
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "subs.v2").iterdir()) == ["a.txt", "b.txt"]


def test_a_folder_says_what_it_left_out_as_batch_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Subfolders not searched and files in other formats are named on stderr, as ``batch`` names them."""
    folder = tmp_path / "calls"
    (folder / "monday").mkdir(parents=True)
    (folder / "a.mp3").write_bytes(sample_audio_path().read_bytes())
    (folder / "b.webm").write_bytes(b"\x1aE\xdf\xa3 not really")
    code, _, err = run(capsys, "transcribe", "--offline", str(folder), "-o", str(tmp_path / "out"))
    assert code == 0, err
    assert f"{folder}: 1 subfolder(s) not searched (monday); --recursive is off" in err
    assert f"{folder}: skipped 1 file(s) in formats MiMo does not accept (.webm); add --convert" in err


def test_without_silero_the_note_says_the_flag_that_silences_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mimo_openai_ext._audio.vad.silero_installed", lambda: False)
    code, out, err = run(capsys, "transcribe", "--offline", "--sample")
    assert code == 0, err
    assert out.startswith("Good morning.")
    assert "Silero VAD is not installed" in err
    assert "add --vad energy to choose energy" in err
    assert "vad='energy'" not in err  # the library's spelling, not the command line's
